#include "chatkit_gateway/store/session_registry.hpp"

#include <algorithm>

namespace ckg::store {

void session_registry::user_sessions::compact() {
    list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(first));
    first = 0;
}

void session_registry::prune(std::int64_t now_s) {
    total_ = 0;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto& user = it->second;
        user.compact();
        std::erase_if(user.list, [now_s](const live_session& s) { return s.expires_at <= now_s; });
        total_ += user.list.size();
        it = user.list.empty() ? sessions_.erase(it) : std::next(it);
    }
}

bool session_registry::add(std::string_view user, live_session session, std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    if (total_ >= max_sessions_ && now_s != last_full_prune_s_) {
        last_full_prune_s_ = now_s;
        prune(now_s);
    }
    if (total_ >= max_sessions_) return false;
    auto& mine = sessions_[std::string(user)];
    while (mine.first < mine.list.size() && mine.list[mine.first].expires_at <= now_s) {
        ++mine.first;
        --total_;
    }
    if (mine.first > 0 && 2 * mine.first >= mine.list.size()) mine.compact();
    mine.list.push_back(std::move(session));
    ++total_;
    return true;
}

bool session_registry::remove(std::string_view user, std::string_view session_id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(user));
    if (it == sessions_.end()) return false;
    auto& mine = it->second;
    mine.compact();
    const auto removed = std::erase_if(
        mine.list, [session_id](const live_session& s) { return s.session_id == session_id; });
    total_ -= removed;
    if (mine.list.empty()) sessions_.erase(it);
    return removed > 0;
}

std::vector<live_session> session_registry::live(std::string_view user, std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(user));
    if (it == sessions_.end()) return {};
    const auto& mine = it->second;
    std::vector<live_session> out;
    for (auto s = mine.list.begin() + static_cast<std::ptrdiff_t>(mine.first); s != mine.list.end();
         ++s)
        if (s->expires_at > now_s) out.push_back(*s);
    return out;
}

std::vector<std::pair<std::string, live_session>> session_registry::some_live(std::size_t limit,
                                                                              std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, live_session>> out;
    // The expired sessions passed on the way are dropped: nothing else
    // would (no mint adds to a Redis replica's registry once Redis is back).
    for (auto it = sessions_.begin(); it != sessions_.end() && out.size() < limit;) {
        auto& mine = it->second;
        mine.compact();
        total_ -= std::erase_if(mine.list,
                                [now_s](const live_session& s) { return s.expires_at <= now_s; });
        for (auto s = mine.list.begin(); s != mine.list.end() && out.size() < limit; ++s)
            out.emplace_back(it->first, *s);
        it = mine.list.empty() ? sessions_.erase(it) : std::next(it);
    }
    return out;
}

std::size_t session_registry::size() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace ckg::store
