// Places for work that holds connections while it waits on the upstream,
// counted per user and in all: at most `per_user` at once for one user and
// `total` for all of them in this process. Past either bound a request is
// refused at once (503 overloaded) rather than queued, so that it holds no
// connection either. Two uses (docs/operations.md, "Admin API" and
// "Scaling"):
// - revocations: one per user, two in all, so that retried revokes against a
//   slow upstream lock out neither the probes on the admin listener nor the
//   public traffic's share of the upstream pool;
// - thread calls: a share of the upstream pool per user, so that one
//   identity's flood of thread requests cannot take the whole pool and its
//   queue from everyone else's mints.
#pragma once

#include <cstddef>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ckg::api {

class user_slots {
public:
    static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();
    user_slots(std::size_t per_user, std::size_t total) : per_user_(per_user), total_(total) {}

    // Held while the work runs; gives its place back when destroyed.
    class slot {
    public:
        slot(user_slots& owner, std::string user) : owner_(&owner), user_(std::move(user)) {}
        slot(slot&& other) noexcept : owner_(other.owner_), user_(std::move(other.user_)) {
            other.owner_ = nullptr;
        }
        slot(const slot&) = delete;
        slot& operator=(const slot&) = delete;
        slot& operator=(slot&&) = delete;
        ~slot();

    private:
        user_slots* owner_;
        std::string user_;
    };

    enum class refusal { total, per_user };
    struct taken {
        std::optional<slot> held;
        refusal why = refusal::total;  // when nothing is held
    };
    taken take(const std::string& user);
    std::size_t per_user() const noexcept { return per_user_; }
    std::size_t total() const noexcept { return total_; }

private:
    void give_back(const std::string& user);

    const std::size_t per_user_, total_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> running_;  // users with work running
    std::size_t running_total_ = 0;
};

}  // namespace ckg::api
