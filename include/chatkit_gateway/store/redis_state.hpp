// shared_state in Redis (docs/operations.md, "Shared state across
// replicas"): one pipelined redis_connection per io_context, Lua scripts
// or MULTI/EXEC for everything that must be atomic (two round trips per
// mint: the limit script before the upstream call, the registry write after
// it), and blocks
// polled every 250 ms on the first context into an in-memory block_list, so
// the per-request block check never waits on Redis and a replica keeps the
// blocks it knew while the store fails. The poll has a connection of its
// own with a longer deadline: a long block list fetched after a change
// neither delays mints nor, if it fails, drops the connection they use.
//
// A store error on the public path follows redis.on_error: "local" decides
// with this replica's own local_state; "refuse" fails (503
// store_unavailable). Admin operations always fail on a store error: a
// revocation or block that only one replica would know is no revocation.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/io_pool.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/store/block_cache_order.hpp"
#include "chatkit_gateway/store/local_state.hpp"
#include "chatkit_gateway/store/redis_connection.hpp"
#include "chatkit_gateway/store/redis_keys.hpp"
#include "chatkit_gateway/store/redis_replies.hpp"
#include "chatkit_gateway/store/redis_scripts.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <vector>

namespace ckg::store {

class redis_state final : public shared_state {
public:
    // Throws std::runtime_error when the TLS context cannot be built (ca_file).
    redis_state(const config::gateway_config& config, io_pool& pool,
                observability::metrics& metrics);
    ~redis_state() override;

    void start() override;
    void set_canceller(session_canceller cancel) override { canceller_ = std::move(cancel); }
    unix_ms now() const override;

    net::awaitable<result<mint_decision>> admit_mint(std::string user, unix_ms now) override;
    net::awaitable<result<registration>> add_session(std::string user, live_session session,
                                                     unix_ms now) override;
    net::awaitable<done> remove_session(std::string user, std::string session_id) override;
    net::awaitable<result<std::vector<live_session>>> sessions_of(std::string user,
                                                                  unix_ms now) override;
    net::awaitable<done> note_revocation(std::string user, unix_ms now) override;
    net::awaitable<result<std::int64_t>> block(std::string user, std::int64_t seconds,
                                               unix_ms now) override;
    net::awaitable<done> unblock(std::string user, unix_ms now) override;
    std::optional<std::int64_t> blocked_until(std::string_view user, unix_ms now) const override;
    net::awaitable<result<user_status>> status(std::string user, unix_ms now) override;

    static constexpr std::chrono::milliseconds block_poll_interval{250};
    // The most changed users one poll reply carries; past it (a replica away
    // while many blocks were made) the whole set is read page by page.
    static constexpr int max_changes_per_poll = 10000;
    // ... and the most bytes of their user ids: half what a reply may hold
    // (redis_options::max_reply_bytes), so that long ids read the whole set
    // a page at a time instead of failing every poll.
    static constexpr std::size_t max_change_bytes_per_poll = 4 << 20;
    // ZSCAN's page size hint; the most live blocks a scan keeps (the block
    // cache's own bound: past it the blocks read so far are applied, counted
    // as untracked), and the most pages it reads (a server that never ends
    // its scan is cut there, and the next poll starts afresh).
    static constexpr int blocks_per_scan_page = 1000;
    static constexpr std::size_t max_scanned_blocks = 1'000'000;
    // ... and the most bytes of user ids it keeps (the block cache's too).
    static constexpr std::size_t max_scanned_user_bytes = block_list::default_max_bytes;
    static constexpr int max_scan_pages = 10000;
    // About one registry write in this many, drawn at random, also drops
    // the user's expired sessions.
    static constexpr unsigned registry_trim_every = 8;
    // The sessions recorded in process while the store failed are written
    // back this many at a time (round trips in flight), in batches of at
    // most this many (read from the in-process registry under its lock).
    static constexpr std::int64_t sessions_restored_at_once = 8;
    static constexpr std::size_t sessions_restored_per_poll = 2000;

private:
    net::awaitable<redis_connection*> connection();
    // On this context's connection, or on `via` when given; `replies`:
    // the number of commands in `command` (redis_connection::call).
    net::awaitable<result<resp_value>> round_trip(std::string_view operation, std::string command,
                                                  redis_connection* via = nullptr,
                                                  std::size_t replies = 1);
    net::awaitable<result<resp_value>> script(std::string_view operation, const redis_script& s,
                                              std::vector<std::string> keys,
                                              std::vector<std::string> args,
                                              redis_connection* via = nullptr);
    // Counts and (at most once a second) logs a store error on the public path;
    // true when the request must then be refused.
    bool degraded(std::string_view operation, const failure& f, unix_ms now);
    // The registry write (on this context's connection, or a write-back on
    // the poll's): recorded, or the user's block marker says blocked (or,
    // written back, the user was revoked after the session's mint).
    net::awaitable<result<registration>> write_session(const std::string& user,
                                                       const live_session& session, unix_ms now,
                                                       bool written_back = false);
    // Takes a session off the user's registry in Redis (on `via` or this
    // context's connection).
    net::awaitable<done> unlist(const std::string& user, const std::string& session_id,
                                redis_connection* via = nullptr);
    // Writes the sessions this replica recorded in process while the store
    // failed to Redis, where every replica's revocation and status find
    // them, and forgets them here; one that belongs to a user blocked or
    // revoked since its mint is cancelled (canceller_). Runs beside the
    // block poll.
    static net::awaitable<void> restore_local_sessions(redis_state* self);
    struct session_restore_job;
    net::awaitable<void> session_restore_worker(session_restore_job& job);
    // Adds the mints this replica admitted in process while the store failed
    // to their users' day counts in Redis, where every replica's quota and
    // status read them. Runs beside the block poll.
    static net::awaitable<void> restore_day_counts(redis_state* self);
    struct day_count_restore_job;
    net::awaitable<void> day_count_restore_worker(day_count_restore_job& job);
    std::string hand_over_id();
    // Cancels the sessions a write-back found blocked or revoked
    // (to_cancel_), a few at a time, on the first context as the poll.
    static net::awaitable<void> cancel_queued(redis_state* self);
    void count_cancel(bool cancelled);
    static net::awaitable<void> poll_blocks(redis_state* self);
    net::awaitable<void> poll_once();
    // Measures the offset of Redis's clock (TIME) to this process's, on
    // `via` or this context's connection.
    net::awaitable<void> measure_clock(redis_connection* via);
    // `now`, or while no measurement has succeeded yet, now() after one.
    net::awaitable<unix_ms> measured_now(unix_ms now);
    // Sessions that expired before this are dropped from, and not listed
    // by, the registry.
    unix_ms registry_cutoff(unix_ms now) const;
    // Runs the block script for `user` until `until` (0: an unblock); the
    // change's version. Writing a block back after a loss (`known_before`:
    // the version this replica knew then), 0 when a change made to that
    // user since is in the change log (it stands).
    net::awaitable<result<std::int64_t>> write_block(
        const std::string& user, std::int64_t until, unix_ms now,
        std::optional<std::int64_t> known_before = std::nullopt);
    // After Redis lost its data: writes back the running blocks this replica
    // knew that `in_store` (the store's whole set, read at `version`) lacks
    // or ends sooner, then takes that set with them. Each write-back yields
    // to a change made to its user after `known_before` (the newest version
    // this replica saw before the poll that found the loss).
    net::awaitable<void> restore_lost_blocks(block_ends in_store, std::int64_t version,
                                             std::int64_t known_before, std::int64_t now_s);
    struct restore_job;
    net::awaitable<void> restore_worker(restore_job& job);
    // Writes the user's block marker for the block set's change `version`.
    net::awaitable<done> mark_blocked(std::string user, std::int64_t until, std::int64_t version,
                                      std::int64_t ttl_ms, redis_connection* via = nullptr);
    // The block poll script from `known` (a version, or "-" for none): what
    // changed since; nullopt when it failed or its reply was malformed.
    // `newest` (0: none): the newest version this replica saw, which Redis's
    // history must hold too, or the reply says read the whole set.
    net::awaitable<std::optional<block_poll>> changes_since(std::string known,
                                                            std::int64_t newest = 0);
    // The block set's keys, as the block and poll scripts take them.
    std::vector<std::string> block_set_keys() const;
    // Applies changed blocks (end 0: unblocked), read at `version`, to the
    // block cache (but for this replica's own later changes: order_).
    net::awaitable<void> apply_changes(block_ends ends, std::int64_t version, std::int64_t now_s);
    // Puts a whole table read at `version` in the block cache's place, with
    // this replica's own later changes (order_); the table replaced.
    block_list::table replace_blocks(block_list::table table, std::int64_t version,
                                     std::int64_t now_s);
    // The whole block set, a page at a time (user, end in Unix seconds).
    // Meanwhile the changes made since `version` (the whole read's) are
    // applied every poll interval, so that they still take effect within a
    // second however long the read takes.
    net::awaitable<result<block_ends>> scan_blocks(std::int64_t now_s, std::int64_t version);

    // The mint script's arguments that come from the configuration alone,
    // worked out once.
    struct mint_arguments {
        std::string interval_us;          // whole microseconds per token, rounded up
        std::string tolerance_us;         // (burst - 1) intervals
        std::string day_limit;            // 0: no daily quota
        std::int64_t longest_wait_s = 1;  // one token's refill, in whole seconds
    };
    static mint_arguments mint_arguments_of(const config::rate_limit_config& limits);

    const config::redis_config& redis_;
    const config::rate_limit_config& limits_;
    const mint_arguments mint_args_;
    io_pool& pool_;
    observability::metrics& metrics_;
    redis_keys keys_;
    local_state local_;        // the fallback, and the block cache
    block_cache_order order_;  // the block cache's changes in the block set's order
    std::vector<std::shared_ptr<redis_connection>> connections_;
    std::shared_ptr<redis_connection> poll_connection_;  // on the first context
    std::int64_t blocks_version_ = -1;  // the version the block cache reflects (-1: none yet)
    // The newest version this replica read or wrote (0: none; written from
    // the admin API's threads too): Redis lost data when its version is
    // older, whatever the block cache reflects.
    std::atomic<std::int64_t> newest_version_seen_{0};
    void note_version(std::int64_t version) noexcept;
    unix_ms last_poll_ms_ = -1;  // when a block poll last got an answer (-1: never)
    // A poll answered within this long before cannot have missed a change
    // the log trimmed (it keeps a day): a log that no longer reaches back
    // to its version lost its data.
    static constexpr std::chrono::milliseconds max_poll_gap{12 * 3600 * 1000};
    std::atomic<std::int64_t> clock_offset_ms_{0};  // Redis's clock minus ours (now())
    std::atomic<bool> clock_measured_{false};
    std::atomic<bool> clocks_apart_{false};  // the offset is past the skew margin (logged)
    session_canceller canceller_;
    // (user, session id) written back for users blocked or revoked since, to cancel;
    // as many cancels at once as a revocation makes. First context only.
    std::deque<std::pair<std::string, std::string>> to_cancel_;
    int cancels_running_ = 0;
    struct cancel_tally {
        std::int64_t cancelled = 0, failed = 0;
    } written_back_cancels_;           // since the queue last ran dry (logged then)
    bool restoring_sessions_ = false;  // restore_local_sessions() runs (first context only)
    bool restoring_counts_ = false;    // restore_day_counts() runs (first context only)
    // Day counts handed on to Redis and not answered yet (first context only).
    struct hand_over {
        std::string user;
        std::int64_t day = 0;
        std::string id;  // of the hand-over: sent again, it counts once
        std::uint64_t mints = 0;
        bool handed = false;
    };
    std::vector<hand_over> unsent_counts_;
    static constexpr std::size_t max_unsent_counts = 200000;
    std::string replica_id_;  // random: names this process's hand-overs
    std::uint64_t hand_overs_ = 0;
    static constexpr int cancels_at_once = 4;
    // The most cancels queued: each holds its user id (up to 8 KiB).
    static constexpr std::size_t max_queued_cancels = 10000;
    std::unique_ptr<net::steady_timer> poll_timer_;
    bool stopped_ = false;
    observability::warning_throttle warnings_;
    observability::warning_throttle restore_warnings_;          // restore_lost_blocks()'s own
    observability::warning_throttle session_restore_warnings_;  // restore_local_sessions()'s
    observability::warning_throttle count_restore_warnings_;    // restore_day_counts()'s
    observability::warning_throttle count_restore_failures_;    // and its failures'
    observability::warning_throttle cancel_warnings_;           // cancel_queued()'s
};

}  // namespace ckg::store
