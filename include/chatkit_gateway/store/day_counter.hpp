// Mints per upstream user id in the current UTC day, in process. Bounded:
// when `max_users` is reached, counts of earlier days are dropped (once a
// day: after that every entry is today's, and a new user's mint must not
// scan them all under the lock); if every entry is today's, the new user is
// not tracked (the caller counts and logs it) rather than everyone being
// refused. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ckg::store {

enum class count_outcome { counted, over_limit, untracked };

class day_counter {
public:
    explicit day_counter(std::size_t max_users = 100000) : max_users_(max_users) {}

    // Adds one for `day` unless the count already reached `limit` (0: no limit).
    count_outcome take(std::string_view user, std::int64_t day, std::uint64_t limit);
    std::uint64_t count(std::string_view user, std::int64_t day) const;
    std::size_t size() const;
    // The mints of `day` counted since the last call, per user, to hand on
    // to a shared count; the counts themselves stay (the limit still reads them).
    std::vector<std::pair<std::string, std::uint64_t>> take_unhanded(std::int64_t day);
    bool has_unhanded() const;
    // The shared count of `user`'s `day` after a hand-over: a larger one
    // becomes this count (mints elsewhere count towards the limit here too).
    void settle(std::string_view user, std::int64_t day, std::uint64_t shared);

private:
    struct entry {
        std::int64_t day = 0;
        std::uint64_t count = 0;
        std::uint64_t handed = 0;  // of `count`, handed on already
    };
    std::size_t max_users_;
    std::int64_t pruned_day_ = -1;  // earlier days' counts are gone as of this day
    std::uint64_t unhanded_ = 0;    // mints counted since take_unhanded()
    // Whether take() ever counted anyone: settle(), called on every mint
    // Redis admits, then skips the lock both io threads would share.
    std::atomic<bool> counted_any_{false};
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> counts_;
};

}  // namespace ckg::store
