#include "chatkit_gateway/store/session_registry.hpp"

#include <algorithm>

namespace ckg::store {

void session_registry::prune(std::int64_t now_s) {
    total_ = 0;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        std::erase_if(it->second, [now_s](const live_session& s) { return s.expires_at <= now_s; });
        total_ += it->second.size();
        it = it->second.empty() ? sessions_.erase(it) : std::next(it);
    }
}

bool session_registry::add(std::string_view user, live_session session, std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    if (total_ >= max_sessions_ && now_s != last_full_prune_s_) {
        last_full_prune_s_ = now_s;
        prune(now_s);
    }
    if (total_ >= max_sessions_) return false;
    auto& list = sessions_[std::string(user)];
    while (!list.empty() && list.front().expires_at <= now_s) {
        list.pop_front();
        --total_;
    }
    list.push_back(std::move(session));
    ++total_;
    return true;
}

void session_registry::remove(std::string_view user, std::string_view session_id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(user));
    if (it == sessions_.end()) return;
    total_ -= std::erase_if(
        it->second, [session_id](const live_session& s) { return s.session_id == session_id; });
    if (it->second.empty()) sessions_.erase(it);
}

std::vector<live_session> session_registry::live(std::string_view user, std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(user));
    if (it == sessions_.end()) return {};
    std::vector<live_session> out;
    for (const auto& s : it->second)
        if (s.expires_at > now_s) out.push_back(s);
    return out;
}

std::size_t session_registry::size() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace ckg::store
