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
    }
    auto& e = it->second;
    if (e.day != day) e = entry{day, 0};
    if (limit != 0 && e.count >= limit) return count_outcome::over_limit;
    ++e.count;
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

std::vector<std::pair<std::string, std::uint64_t>> day_counter::take_all(std::int64_t day) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (auto& [user, e] : counts_)
        if (e.day == day && e.count > 0) out.emplace_back(user, e.count);
    counts_.clear();
    return out;
}

void day_counter::give_back(std::string_view user, std::int64_t day, std::uint64_t n) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(std::string(user));
    if (it == counts_.end()) {
        if (counts_.size() >= max_users_) return;
        it = counts_.emplace(std::string(user), entry{day, 0}).first;
    }
    if (it->second.day != day) it->second = entry{day, 0};
    it->second.count += n;
}

}  // namespace ckg::store
