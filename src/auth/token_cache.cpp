#include "chatkit_gateway/auth/token_cache.hpp"

#include <functional>

namespace ckg::auth {

token_cache::token_cache(std::size_t capacity, std::chrono::seconds leeway)
    : per_shard_capacity_(std::max<std::size_t>(1, capacity / shard_count)),
      leeway_(leeway.count()) {}

token_cache::shard& token_cache::shard_for(std::string_view token) const {
    // The shard comes from the token's last bytes (signature bytes, as good
    // as random), so the whole token is hashed only once, by the map.
    std::size_t h = token.size();
    for (std::size_t i = token.size() >= 8 ? token.size() - 8 : 0; i < token.size(); ++i)
        h = h * 131 + static_cast<unsigned char>(token[i]);
    return shards_[h % shard_count];
}

std::shared_ptr<const authenticated_user> token_cache::find(std::string_view token,
                                                            std::int64_t now) const {
    auto& s = shard_for(token);
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(token);
    if (it == s.entries.end()) return nullptr;
    if (now > it->second->who.expires_at + leeway_) {
        s.entries.erase(it);
        return nullptr;
    }
    return it->second;
}

void token_cache::insert(std::string_view token, std::shared_ptr<const authenticated_user> user) {
    auto& s = shard_for(token);
    std::lock_guard lock(s.mutex);
    // Bounded: when full, drop an arbitrary entry; it costs one re-verification.
    if (s.entries.size() >= per_shard_capacity_) s.entries.erase(s.entries.begin());
    s.entries.insert_or_assign(std::string(token), std::move(user));
}

void token_cache::clear() {
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        s.entries.clear();
    }
}

std::size_t token_cache::size() const {
    std::size_t n = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.entries.size();
    }
    return n;
}

}  // namespace ckg::auth
