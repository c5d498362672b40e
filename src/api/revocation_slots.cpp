#include "chatkit_gateway/api/revocation_slots.hpp"

namespace ckg::api {

revocation_slots::slot::~slot() {
    if (owner_ != nullptr) owner_->give_back(user_);
}

revocation_slots::taken revocation_slots::take(const std::string& user) {
    std::lock_guard lock(mutex_);
    if (running_.count(user) > 0) return {std::nullopt, refusal::same_user};
    if (running_.size() >= limit_) return {std::nullopt, refusal::busy};
    running_.insert(user);
    return {slot(*this, user), refusal::busy};
}

void revocation_slots::give_back(const std::string& user) {
    std::lock_guard lock(mutex_);
    running_.erase(user);
}

}  // namespace ckg::api
