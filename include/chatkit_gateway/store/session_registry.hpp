// The live sessions of each upstream user id, in process: recorded at mint,
// removed at cancel, dropped once expired. Bounded: past `max_sessions`
// expired entries are pruned; if all are live the new one is not recorded
// (add returns false; the caller counts and logs it). Thread-safe.
//
// A mint costs O(1) (amortized) however many sessions its user holds: a
// user's sessions are kept in the order they were minted, which is nearly
// the order they expire in, so expired ones are dropped from the front; any
// that expire out of order are skipped by live() and dropped by the next
// full prune. A full registry is pruned at most once a second, so that a
// registry full of live sessions does not make every mint scan it.
//
// Each user's sessions are a vector whose dropped front is erased once it
// is half of it, not a std::deque: a deque takes a 512-byte block for its
// first element, and most users hold one or two sessions (docs/operations.md,
// "Scaling").
#pragma once

#include "chatkit_gateway/store/shared_state.hpp"

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ckg::store {

class session_registry {
public:
    explicit session_registry(std::size_t max_sessions = 500000) : max_sessions_(max_sessions) {}

    bool add(std::string_view user, live_session session, std::int64_t now_s);
    // Whether the session was there.
    bool remove(std::string_view user, std::string_view session_id);
    std::vector<live_session> live(std::string_view user, std::int64_t now_s);
    // Up to `limit` live sessions of any users (user, session), copied: what
    // a Redis replica writes back once the store answers again. The expired
    // ones it passes are dropped.
    std::vector<std::pair<std::string, live_session>> some_live(std::size_t limit,
                                                                std::int64_t now_s);
    std::size_t size() const;

private:
    // A user's sessions: those before `first` were dropped (expired).
    struct user_sessions {
        std::vector<live_session> list;
        std::size_t first = 0;
        void compact();
    };

    void prune(std::int64_t now_s);
    std::size_t max_sessions_;
    std::size_t total_ = 0;
    std::int64_t last_full_prune_s_ = -1;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, user_sessions> sessions_;
};

}  // namespace ckg::store
