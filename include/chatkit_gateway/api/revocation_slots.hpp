// The revocations running in this process (docs/operations.md, "Admin
// API"): at most `limit` at once, and one per user. Each holds an admin
// connection and up to four upstream cancels for as long as its cancels
// take; past the bound a revoke is refused at once (503 overloaded), so a
// storm of revokes (an operator's retries while the upstream is slow) can
// lock out neither the probes on the admin listener nor the public
// traffic's share of the upstream pool.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace ckg::api {

class revocation_slots {
public:
    static constexpr std::size_t default_limit = 2;
    explicit revocation_slots(std::size_t limit = default_limit) : limit_(limit) {}

    // Held while a revocation runs; gives its place back when destroyed.
    class slot {
    public:
        slot(revocation_slots& owner, std::string user) : owner_(&owner), user_(std::move(user)) {}
        slot(slot&& other) noexcept : owner_(other.owner_), user_(std::move(other.user_)) {
            other.owner_ = nullptr;
        }
        slot(const slot&) = delete;
        slot& operator=(const slot&) = delete;
        slot& operator=(slot&&) = delete;
        ~slot();

    private:
        revocation_slots* owner_;
        std::string user_;
    };

    enum class refusal { busy, same_user };
    struct taken {
        std::optional<slot> held;
        refusal why = refusal::busy;  // when nothing is held
    };
    taken take(const std::string& user);
    std::size_t limit() const noexcept { return limit_; }

private:
    void give_back(const std::string& user);

    const std::size_t limit_;
    std::mutex mutex_;
    std::set<std::string> running_;
};

}  // namespace ckg::api
