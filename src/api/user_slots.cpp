#include "chatkit_gateway/api/user_slots.hpp"

namespace ckg::api {

user_slots::slot::~slot() {
    if (owner_ != nullptr) owner_->give_back(user_);
}

user_slots::taken user_slots::take(const std::string& user) {
    std::lock_guard lock(mutex_);
    const auto it = running_.find(user);
    if (it != running_.end() && it->second >= per_user_) return {std::nullopt, refusal::per_user};
    if (running_total_ >= total_) return {std::nullopt, refusal::total};
    ++running_[user];
    ++running_total_;
    return {slot(*this, user), refusal::total};
}

void user_slots::give_back(const std::string& user) {
    std::lock_guard lock(mutex_);
    const auto it = running_.find(user);
    if (it == running_.end()) return;
    if (--it->second == 0) running_.erase(it);
    --running_total_;
}

}  // namespace ckg::api
