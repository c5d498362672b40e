// The store room: state that several replicas share (docs/operations.md,
// "Shared state across replicas") behind ONE interface: the per-user mint
// token bucket and daily quota, the registry of live sessions, and blocks.
// Two implementations: local_state (in-process, bounded memory; the embedded
// default) and redis_state (Redis, with local_state as its fallback).
//
// Every user is an upstream user id. Times are Unix milliseconds, passed in,
// so the decisions are testable. A failure is always errc::store_unavailable
// (the store failed and the policy is to refuse).
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ckg::store {

using unix_ms = std::int64_t;

// The longest a minted session can last: sessions last at most 600 s
// (docs/operations.md), and the API refuses an upstream expiry further away
// than this whatever the clocks' skew, so the registry may count on it.
constexpr std::int64_t longest_session_seconds = 3600;

// Replicas' wall clocks may differ: what ended is dropped from the shared
// store only this long after it ended, so that a replica whose clock runs
// up to this much ahead drops nothing another still counts on (a session
// a revocation must cancel, a block still running).
constexpr std::int64_t clock_skew_margin_seconds = 300;

enum class mint_verdict { admitted, rate_limited, over_quota };

struct mint_decision {
    mint_verdict verdict = mint_verdict::admitted;
    std::chrono::seconds retry_after{0};  // whole seconds >= 1 when refused
};

struct live_session {
    std::string session_id;
    std::int64_t expires_at = 0;  // Unix seconds, the upstream's expires_at
    std::int64_t minted_at = 0;   // Unix ms, when its mint was admitted (0: unknown)
};

struct user_status {
    std::optional<std::int64_t> blocked_until;  // Unix seconds
    std::size_t live_sessions = 0;
    std::uint64_t sessions_today = 0;
};

using done = result<std::monostate>;

// What recording a minted session found: recorded, or the user was blocked
// while the session was being minted (a revocation that listed the user's
// sessions before this one was recorded). The caller cancels the session.
enum class registration { recorded, user_blocked };

// Cancels a session upstream: true when it is gone there. Given by the API
// layer, which holds the upstream client (set_canceller); the store takes
// the session off its registry itself.
using session_canceller =
    std::function<net::awaitable<bool>(std::string user, std::string session_id)>;

class shared_state {
public:
    virtual ~shared_state() = default;

    // The wall clock (Unix ms) every call below should be given: this
    // process's own, or with Redis that clock corrected by its offset to
    // Redis's, measured at each block poll, so that replicas whose clocks
    // differ still judge a block's end, a session's expiry and a UTC day
    // alike (docs/operations.md, "Clocks").
    virtual unix_ms now() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    // The rate limit first, then the daily quota; a mint both admit counts
    // towards the user's UTC day.
    virtual net::awaitable<result<mint_decision>> admit_mint(std::string user, unix_ms now) = 0;

    // The session registry: a session stays listed until its expiry. The
    // block is checked after the session is recorded (atomically with it on
    // Redis) and revocation blocks before it lists: a mint in flight during
    // a revoke-and-block is either listed (and cancelled) or told here.
    virtual net::awaitable<result<registration>> add_session(std::string user, live_session session,
                                                             unix_ms now) = 0;
    virtual net::awaitable<done> remove_session(std::string user, std::string session_id) = 0;
    // The user's live sessions: those in the store, and those this replica
    // recorded in process while the store failed (on_error local).
    virtual net::awaitable<result<std::vector<live_session>>> sessions_of(std::string user,
                                                                          unix_ms now) = 0;
    // Notes that the user is being revoked at `now`, before its sessions are
    // listed: a session a replica recorded in process while Redis failed,
    // minted before then and written back after, is cancelled by that
    // replica (a revocation could not list it). In process: nothing to note.
    virtual net::awaitable<done> note_revocation(std::string /*user*/, unix_ms /*now*/) {
        co_return std::monostate{};
    }

    // Blocks the user for `seconds` from `now` by the store's clock (Redis
    // replicas measure it first if they have not yet): the block's end in
    // Unix seconds. blocked_until() answers from memory, never waiting on
    // the store (Redis replicas refresh it in the background).
    virtual net::awaitable<result<std::int64_t>> block(std::string user, std::int64_t seconds,
                                                       unix_ms now) = 0;
    virtual net::awaitable<done> unblock(std::string user, unix_ms now) = 0;
    virtual std::optional<std::int64_t> blocked_until(std::string_view user, unix_ms now) const = 0;

    virtual net::awaitable<result<user_status>> status(std::string user, unix_ms now) = 0;

    // Starts background work (Redis connections, block polling); never waits.
    virtual void start() {}

    // What a Redis replica calls on a session it recorded in process while
    // the store failed when, written back once the store answers, it turns
    // out to belong to a user blocked or revoked since. Set before start().
    virtual void set_canceller(session_canceller) {}
};

}  // namespace ckg::store
