#include "chatkit_gateway/auth/token_cache.hpp"

#include <functional>

namespace ckg::auth {
namespace {

// What a hash-map node costs beyond its key and value (buckets, links, allocator headers).
constexpr std::size_t node_overhead = 64;

// The heap memory of a decoded JSON value, approximately: one slot per
// element plus string bytes. The parser limits depth to 16.
std::size_t json_bytes(const boost::json::value& v) {
    if (v.is_string()) return v.get_string().size();
    std::size_t n = 0;
    if (v.is_array()) {
        for (const auto& e : v.get_array()) n += sizeof(boost::json::value) + json_bytes(e);
    } else if (v.is_object()) {
        for (const auto& kv : v.get_object())
            n += sizeof(boost::json::key_value_pair) + kv.key().size() + json_bytes(kv.value());
    }
    return n;
}

}  // namespace

token_cache::token_cache(std::size_t max_entries, std::chrono::seconds leeway,
                         std::size_t max_bytes)
    : per_shard_entries_(std::max<std::size_t>(1, max_entries / shard_count)),
      per_shard_bytes_(std::max<std::size_t>(1, max_bytes / shard_count)),
      leeway_(leeway.count()) {}

std::size_t token_cache::entry_bytes(std::string_view token, const authenticated_user& user) {
    std::size_t claims = 0;
    for (const auto& kv : user.who.claims)
        claims += sizeof(boost::json::key_value_pair) + kv.key().size() + json_bytes(kv.value());
    return node_overhead + token.size() + sizeof(authenticated_user) + user.who.issuer.size() +
           user.who.user.size() + user.upstream_user_id.size() + user.log_id.size() + claims;
}

token_cache::shard& token_cache::shard_for(std::string_view token) const {
    // The shard comes from the token's last bytes (signature bytes, as good
    // as random), so the whole token is hashed only once, by the map.
    std::size_t h = token.size();
    for (std::size_t i = token.size() >= 8 ? token.size() - 8 : 0; i < token.size(); ++i)
        h = h * 131 + static_cast<unsigned char>(token[i]);
    return shards_[h % shard_count];
}

void token_cache::erase(shard& s, decltype(shard::entries)::iterator it) {
    s.bytes -= it->second.bytes;
    s.entries.erase(it);
}

std::shared_ptr<const authenticated_user> token_cache::find(std::string_view token,
                                                            std::int64_t now) const {
    auto& s = shard_for(token);
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(token);
    if (it == s.entries.end()) return nullptr;
    if (now > it->second.user->who.expires_at + leeway_) {
        erase(s, it);
        return nullptr;
    }
    return it->second.user;
}

bool token_cache::insert(std::string_view token, std::shared_ptr<const authenticated_user> user,
                         std::uint64_t generation) {
    const auto cost = entry_bytes(token, *user);
    if (cost > per_shard_bytes_) return false;
    auto& s = shard_for(token);
    std::lock_guard lock(s.mutex);
    // Checked under the shard lock: clear() publishes its generation before
    // it takes this lock, so an insert either sees the new generation or
    // lands before the clear empties this shard.
    if (generation_.load() != generation) return false;
    if (auto old = s.entries.find(token); old != s.entries.end()) erase(s, old);
    // Bounded: when full, drop arbitrary entries; each costs one re-verification.
    while (!s.entries.empty() &&
           (s.entries.size() >= per_shard_entries_ || s.bytes + cost > per_shard_bytes_))
        erase(s, s.entries.begin());
    s.entries.emplace(std::string(token), entry{std::move(user), cost});
    s.bytes += cost;
    return true;
}

void token_cache::clear(std::uint64_t generation) {
    generation_.store(generation);
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        s.entries.clear();
        s.bytes = 0;
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

std::size_t token_cache::bytes() const {
    std::size_t n = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.bytes;
    }
    return n;
}

}  // namespace ckg::auth
