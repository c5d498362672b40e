#include "chatkit_gateway/store/day_counter.hpp"

namespace ckg::store {

count_outcome day_counter::take(std::string_view user, std::int64_t day, std::uint64_t limit) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(std::string(user));
    if (it == counts_.end()) {
        if (counts_.size() >= max_users_ && pruned_day_ != day) {
            pruned_day_ = day;
            std::erase_if(counts_, [day](const auto& e) { return e.second.day != day; });
        }
        if (counts_.size() >= max_users_) return count_outcome::untracked;
        it = counts_.emplace(std::string(user), entry{day, 0}).first;
        counted_any_.store(true, std::memory_order_relaxed);
    }
    auto& e = it->second;
    if (e.day != day) e = entry{day, 0};
    if (limit != 0 && e.count >= limit) return count_outcome::over_limit;
    ++e.count;
    ++unhanded_;
    return count_outcome::counted;
}

std::uint64_t day_counter::count(std::string_view user, std::int64_t day) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(std::string(user));
    return it == counts_.end() || it->second.day != day ? 0 : it->second.count;
}

std::size_t day_counter::size() const {
    std::lock_guard lock(mutex_);
    return counts_.size();
}

std::vector<std::pair<std::string, std::uint64_t>> day_counter::take_unhanded(std::int64_t day) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::uint64_t>> out;
    if (unhanded_ == 0) return out;
    unhanded_ = 0;
    for (auto& [user, e] : counts_) {
        if (e.day != day || e.count <= e.handed) continue;
        out.emplace_back(user, e.count - e.handed);
        e.handed = e.count;
    }
    return out;
}

bool day_counter::has_unhanded() const {
    std::lock_guard lock(mutex_);
    return unhanded_ > 0;
}

void day_counter::settle(std::string_view user, std::int64_t day, std::uint64_t shared) {
    // The usual case with Redis: this replica never decided alone. A take()
    // racing with this call is a mint decided alone just now, which the next
    // hand-over settles.
    if (!counted_any_.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex_);
    auto it = counts_.find(std::string(user));
    if (it == counts_.end() || it->second.day != day || shared <= it->second.count) return;
    it->second.handed += shared - it->second.count;  // not this process's to hand on
    it->second.count = shared;
}

}  // namespace ckg::store
