#include "chatkit_gateway/store/redis_state.hpp"

#include "chatkit_gateway/core/random.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/store/redis_replies.hpp"
#include "chatkit_gateway/store/utc_day.hpp"
#include "chatkit_gateway/upstream/https_client.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <charconv>
#include <unordered_set>

namespace ckg::store {
namespace {

using steady = std::chrono::steady_clock;

// True about once in `every` calls (a power of two up to 256), drawn at
// random: neither a client, by the order of its mints, nor an upstream, by
// its session ids, can steer which registry writes also trim.
bool one_in(unsigned every) {
    unsigned char r = 0;
    random_fill(&r, 1);
    return r % every == 0;
}

// "(<Unix seconds>": a score range's exclusive lower end, the sessions
// still live at `now`. Appended, not `"(" + std::string&&`: g++ 12 wrongly
// warns -Wstringop-overflow on that.
std::string after_second_of(unix_ms now) {
    std::string bound = "(";
    bound += std::to_string(now / 1000);
    return bound;
}

const std::string& skew_margin() {
    static const std::string margin = std::to_string(clock_skew_margin_seconds);
    return margin;
}

// The block poll's deadline: at least this, or eight round trips (one
// round trip: a page of the block set, or the changes since the last poll).
constexpr std::chrono::milliseconds poll_timeout_floor{2000};

redis_options options_for(const config::redis_config& c) {
    redis_options o;
    o.host = c.host;
    o.port = std::to_string(c.port);
    o.db = c.db;
    o.password = c.password;
    o.timeout = c.timeout;
    o.warnings =
        std::make_shared<observability::warning_throttle>();  // one for all the connections
    if (c.tls) o.tls = upstream::make_client_tls_context(c.ca_file);
    return o;
}

failure store_failure(std::string detail) {
    return failure{errc::store_unavailable, std::move(detail)};
}

// A whole read of the block set holds up to a million blocks. Its table is
// built, and the one it replaces freed, this many at a time, between the
// other work of the poll's io thread: its requests wait milliseconds, not
// the second or more the whole table takes.
constexpr std::size_t blocks_per_slice = 10'000;

net::awaitable<void> next_turn() {
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
}

net::awaitable<block_list::table> table_of(block_ends ends) {
    block_list::table t;
    t.reserve(ends.size());
    for (std::size_t i = 0; i < ends.size(); ++i) {
        t.try_emplace(std::move(ends[i].first), ends[i].second);  // ZSCAN may repeat a member
        if ((i + 1) % blocks_per_slice == 0) co_await next_turn();
    }
    co_return t;
}

// The changes read from the log (until 0 or past: unblocked) applied to a
// table about to replace the one in use.
void apply_to_table(block_list::table& table, const std::string& user, std::int64_t end,
                    std::int64_t now_s) {
    if (end > now_s)
        table.insert_or_assign(user, end);
    else
        table.erase(user);
}
void apply_to_table(block_list::table& table, const block_ends& ends, std::int64_t now_s) {
    for (const auto& [user, end] : ends) apply_to_table(table, user, end, now_s);
}

net::awaitable<void> free_in_slices(block_list::table old) {
    while (!old.empty()) {
        auto last = old.begin();
        for (std::size_t n = 0; n < blocks_per_slice && last != old.end(); ++n) ++last;
        old.erase(old.begin(), last);
        co_await next_turn();
    }
}

// A day count's TTL: an hour past its day's end (docs/operations.md, "Redis keys").
std::int64_t day_count_ttl_s(unix_ms now) {
    return seconds_to_utc_midnight(now).count() + 3600;
}

}  // namespace

redis_state::redis_state(const config::gateway_config& config, io_pool& pool,
                         observability::metrics& metrics)
    : redis_(*config.redis),
      limits_(config.rate_limit),
      mint_args_(mint_arguments_of(config.rate_limit)),
      pool_(pool),
      metrics_(metrics),
      keys_(config.redis->key_prefix),
      local_(config.rate_limit, metrics, local_limits_for(config)),
      replica_id_(random_alnum(12)) {
    auto options = options_for(redis_);
    for (std::size_t i = 0; i < pool.size(); ++i)
        connections_.push_back(std::make_shared<redis_connection>(pool.at(i), options));
    options.timeout = std::max(options.timeout * 8, poll_timeout_floor);
    poll_connection_ = std::make_shared<redis_connection>(pool.at(0), options);
    poll_timer_ = std::make_unique<net::steady_timer>(pool.at(0));
}

redis_state::~redis_state() {
    stopped_ = true;
    // The io threads have stopped: what was left undone is said once.
    const auto unwritten = local_.registry().size();
    const auto uncancelled = to_cancel_.size() + static_cast<std::size_t>(cancels_running_);
    if (unwritten + uncancelled > 0)
        observability::log_warn(
            "stopping with sessions recorded while redis failed not written to it, or of blocked "
            "or revoked users not cancelled; revoke those users again",
            {{"unwritten", unwritten}, {"not_cancelled", uncancelled}});
    for (auto& c : connections_) net::post(c->get_executor(), [c] { c->stop(); });
    net::post(poll_connection_->get_executor(), [c = poll_connection_] { c->stop(); });
}

void redis_state::start() {
    for (auto& c : connections_) net::post(c->get_executor(), [c] { c->start(); });
    net::post(poll_connection_->get_executor(), [c = poll_connection_] { c->start(); });
    net::co_spawn(pool_.at(0), poll_blocks(this), net::detached);
}

net::awaitable<redis_connection*> redis_state::connection() {
    const auto i = pool_.index_of(co_await net::this_coro::executor);
    co_return connections_[i < connections_.size() ? i : 0].get();
}

net::awaitable<result<resp_value>> redis_state::round_trip(std::string_view operation,
                                                           std::string command,
                                                           redis_connection* via,
                                                           std::size_t replies) {
    auto* c = via != nullptr ? via : co_await connection();
    const auto started = steady::now();
    auto reply = co_await c->call(std::move(command), replies);
    if (reply && reply->is_error() && reply->text.rfind("NOSCRIPT", 0) != 0)
        reply = store_failure("redis error reply: " +
                              redis_error_for_log(reply->text, redis_.password));
    metrics_.record_store_round_trip(
        operation, std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started),
        reply.ok());
    co_return reply;
}

// EVALSHA; after a NOSCRIPT reply (a restarted or flushed server) the
// script text goes once with EVAL, which also caches it again.
net::awaitable<result<resp_value>> redis_state::script(std::string_view operation,
                                                       const redis_script& s,
                                                       std::vector<std::string> keys,
                                                       std::vector<std::string> args,
                                                       redis_connection* via) {
    std::string command;
    append_script_call(command, "EVALSHA", s.sha1, keys, args);
    auto reply = co_await round_trip(operation, std::move(command), via);
    if (!reply || !reply->is_error()) co_return reply;
    command.clear();
    append_script_call(command, "EVAL", s.text, keys, args);
    reply = co_await round_trip(operation, std::move(command), via);
    if (reply && reply->is_error())
        reply = store_failure("redis script error: " +
                              redis_error_for_log(reply->text, redis_.password));
    co_return reply;
}

bool redis_state::degraded(std::string_view operation, const failure& f, unix_ms now) {
    const bool refuse = redis_.on_error == config::store_error_policy::refuse;
    metrics_.record_store_degraded(refuse ? "refuse" : "local");
    if (warnings_.allow_now())
        observability::log_warn("shared store failed", {{"operation", std::string(operation)},
                                                        {"reason", f.detail},
                                                        {"on_error", refuse ? "refuse" : "local"}});
    return refuse;
}

redis_state::mint_arguments redis_state::mint_arguments_of(
    const config::rate_limit_config& limits) {
    const std::int64_t per_minute = std::max(1u, limits.sessions_per_minute);
    const std::int64_t burst = std::max(1u, limits.burst);
    // Rounded up: never more than the rate.
    const std::int64_t interval_us = (60'000'000 + per_minute - 1) / per_minute;
    return {std::to_string(interval_us), std::to_string((burst - 1) * interval_us),
            std::to_string(limits.sessions_per_day.value_or(0)),
            std::max<std::int64_t>(1, (60 + per_minute - 1) / per_minute)};
}

net::awaitable<result<mint_decision>> redis_state::admit_mint(std::string user, unix_ms now) {
    const auto day = utc_day(now);
    const auto day_ttl = day_count_ttl_s(now);
    // Named vectors, not braced lists in the co_await statement (g++ 12 rejects those).
    std::vector<std::string> keys{keys_.bucket(user), keys_.day(user, day)};
    std::vector<std::string> args{mint_args_.interval_us, mint_args_.tolerance_us,
                                  mint_args_.day_limit, std::to_string(day_ttl)};
    auto reply = co_await script("mint", mint_script(), std::move(keys), std::move(args));
    std::optional<std::pair<std::int64_t, std::int64_t>> answer;
    if (reply && !(answer = mint_reply_of(*reply)))
        reply = store_failure("unexpected mint script reply");
    if (!reply) {
        if (degraded("mint", reply.error(), now)) co_return reply.error();
        co_return local_.admit(user, now);
    }
    const auto [verdict, n] = *answer;
    if (verdict == 1) {
        // Never longer than one token takes to refill, whatever Redis says.
        const auto wait = std::clamp<std::int64_t>((n + 999) / 1000, 1, mint_args_.longest_wait_s);
        co_return mint_decision{mint_verdict::rate_limited, std::chrono::seconds(wait)};
    }
    // The day's count as Redis has it raises this replica's own, where it
    // counted the user while deciding alone: a later outage the same day
    // goes on from there (docs/operations.md, "When Redis fails").
    if (verdict == 2) {
        if (limits_.sessions_per_day) local_.days().settle(user, day, *limits_.sessions_per_day);
        co_return mint_decision{mint_verdict::over_quota, seconds_to_utc_midnight(now)};
    }
    local_.days().settle(user, day, static_cast<std::uint64_t>(std::max<std::int64_t>(0, n)));
    co_return mint_decision{};
}

// The registry write: MULTI, the session added (ZADD) and the key's TTL
// reset (EXPIRE), the user's block marker read (GET), EXEC. A transaction,
// not a script: it costs Redis about a third less CPU, and is atomic all
// the same, so a connection lost half-way leaves no key without a TTL. A
// revocation writes the marker before it lists the sessions, so it either
// lists this session or the marker is read here. About one write in
// registry_trim_every, drawn at random, also drops the user's sessions that
// expired before the cutoff (ZREMRANGEBYSCORE): the set holds its live
// sessions and those that ended since (docs/operations.md, "Redis keys").
// A write-back also reads when the user was last revoked (GET): a session
// minted before then was not listed by that revocation, and is then
// cancelled as a blocked user's is.
net::awaitable<result<registration>> redis_state::write_session(const std::string& user,
                                                                const live_session& session,
                                                                unix_ms now, bool written_back) {
    auto* via = written_back ? poll_connection_.get() : nullptr;
    const auto key = keys_.sessions(user);
    // The key outlives every session in it: a session lasts at most
    // longest_session_seconds after its mint, and five minutes more cover a
    // replica whose clock is ahead. Reset to the same span on every add, so
    // it never shortens, whichever replica's clock is ahead.
    static const std::string key_ttl =
        std::to_string(longest_session_seconds + clock_skew_margin_seconds);
    const bool trim = one_in(registry_trim_every);
    std::string command;
    append_command(command, {"MULTI"});
    if (trim)
        append_command(command,
                       {"ZREMRANGEBYSCORE", key, "-inf", after_second_of(registry_cutoff(now))});
    append_command(command, {"ZADD", key, std::to_string(session.expires_at), session.session_id});
    append_command(command, {"EXPIRE", key, key_ttl});
    append_command(command, {"GET", keys_.blocked(user)});
    if (written_back) append_command(command, {"GET", keys_.revoked(user)});
    append_command(command, {"EXEC"});
    const std::size_t transacted = (trim ? 4 : 3) + (written_back ? 1 : 0);
    auto reply = co_await round_trip("add_session", std::move(command), via, transacted + 2);
    if (!reply) co_return reply.error();
    bool revoked = false;
    if (written_back && reply->type == resp_value::kind::array && !reply->elements.empty()) {
        // Clocks may be apart by the skew margin (one stepped while this
        // replica could not measure it): a session minted up to that long
        // after the revocation by this replica's clock is cancelled too.
        const auto minted_by_then =
            session.minted_at > 0 ? session.minted_at - clock_skew_margin_seconds * 1000 : 0;
        revoked = revoked_since(reply->elements.back(), minted_by_then);
        reply->elements.pop_back();
    }
    const auto blocked =
        blocked_in_registry_write_of(*reply, transacted - (written_back ? 1 : 0), now / 1000);
    if (!blocked) co_return store_failure("unexpected registry write reply");
    co_return *blocked || revoked ? registration::user_blocked : registration::recorded;
}

net::awaitable<done> redis_state::note_revocation(std::string user, unix_ms now) {
    now = co_await measured_now(now);
    // Kept as long as a session minted before it may live (and a replica's
    // clock be ahead): a write-back after that has nothing left to cancel.
    static const std::string ttl_ms =
        std::to_string((longest_session_seconds + clock_skew_margin_seconds) * 1000);
    std::string command;
    append_command(command, {"SET", keys_.revoked(user), std::to_string(now), "PX", ttl_ms});
    auto reply = co_await round_trip("revoke", std::move(command));
    if (!reply) co_return reply.error();
    co_return std::monostate{};
}

net::awaitable<result<registration>> redis_state::add_session(std::string user,
                                                              live_session session, unix_ms now) {
    auto written = co_await write_session(user, session, now);
    if (written) co_return *written;
    if (degraded("add_session", written.error(), now)) co_return written.error();
    // A mint time this replica's clock gave before it ever read Redis's is
    // unknown to a write-back: any revocation made meanwhile cancels it
    // (docs/operations.md, "When Redis fails").
    if (!clock_measured_) session.minted_at = 0;
    co_return local_.add(user, std::move(session), now);
}

net::awaitable<done> redis_state::remove_session(std::string user, std::string session_id) {
    auto removed = co_await unlist(user, session_id);
    local_.registry().remove(user, session_id);
    co_return removed;
}

net::awaitable<done> redis_state::unlist(const std::string& user, const std::string& session_id,
                                         redis_connection* via) {
    std::string command;
    append_command(command, {"ZREM", keys_.sessions(user), session_id});
    auto reply = co_await round_trip("remove_session", std::move(command), via);
    if (!reply) co_return reply.error();
    co_return std::monostate{};
}

net::awaitable<result<std::vector<live_session>>> redis_state::sessions_of(std::string user,
                                                                           unix_ms now) {
    now = co_await measured_now(now);
    std::string command;
    append_command(command, {"ZRANGEBYSCORE", keys_.sessions(user),
                             after_second_of(registry_cutoff(now)), "+inf", "WITHSCORES"});
    auto reply = co_await round_trip("list_sessions", std::move(command));
    if (!reply) co_return reply.error();
    if (reply->type != resp_value::kind::array || reply->elements.size() % 2 != 0)
        co_return store_failure("unexpected session list reply");
    std::vector<live_session> out;
    const auto& e = reply->elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2)
        out.push_back({e[i].text, integer_of(e[i + 1]).value_or(0)});
    // Sessions this replica recorded in process while Redis failed (on_error
    // local) are listed too: a revocation made here cancels them as well
    // (docs/operations.md, "When Redis fails").
    auto own = local_.registry().live(user, now / 1000);
    if (own.empty()) co_return out;
    std::unordered_set<std::string> listed;
    for (const auto& s : out) listed.insert(s.session_id);
    for (auto& s : own)
        if (!listed.contains(s.session_id)) out.push_back(std::move(s));
    co_return out;
}

net::awaitable<result<std::int64_t>> redis_state::block(std::string user, std::int64_t seconds,
                                                        unix_ms now) {
    now = co_await measured_now(now);
    const auto until = (now + 999) / 1000 + seconds;  // never shorter than asked
    auto version = co_await write_block(user, until, now);
    if (!version) co_return version.error();
    // This replica at once (unless its poll got past this change already);
    // the others within a poll.
    order_.own_change(user, until, *version, [&] { local_.apply_block(user, until, now); });
    auto marked = co_await mark_blocked(std::move(user), until, *version,
                                        std::max<std::int64_t>(1, until * 1000 - now));
    if (!marked) co_return marked.error();
    co_return until;
}

net::awaitable<result<std::int64_t>> redis_state::write_block(
    const std::string& user, std::int64_t until, unix_ms now,
    std::optional<std::int64_t> known_before) {
    std::vector<std::string> args{std::to_string(now / 1000), user, std::to_string(until),
                                  std::to_string(now), skew_margin()};
    // A write-back goes on the poll's connection, which has just answered:
    // the others may still be connecting again after the loss.
    redis_connection* via = nullptr;
    if (known_before) {
        args.push_back(std::to_string(*known_before));
        via = poll_connection_.get();
    }
    auto reply = co_await script(until > 0 ? "block" : "unblock", block_script(), block_set_keys(),
                                 std::move(args), via);
    if (!reply) co_return reply.error();
    const auto version = integer_of(*reply);
    if (!version) co_return store_failure("unexpected block script reply");
    note_version(*version);
    co_return *version;
}

// The marker goes in a second script: it lives in the user's hash slot, the
// block set in {blocks}'s, and one script may touch one slot only (behind
// a cluster proxy). Written by version, so the block set's order decides.
net::awaitable<done> redis_state::mark_blocked(std::string user, std::int64_t until,
                                               std::int64_t version, std::int64_t ttl_ms,
                                               redis_connection* via) {
    std::vector<std::string> keys{keys_.blocked(user)};
    std::vector<std::string> args{std::to_string(until), std::to_string(version),
                                  std::to_string(ttl_ms)};
    auto marked = co_await script(until > 0 ? "block" : "unblock", mark_blocked_script(),
                                  std::move(keys), std::move(args), via);
    if (!marked) co_return marked.error();
    co_return std::monostate{};
}

net::awaitable<done> redis_state::unblock(std::string user, unix_ms now) {
    now = co_await measured_now(now);
    auto version = co_await write_block(user, 0, now);
    if (!version) co_return version.error();
    order_.own_change(user, 0, *version, [&] { local_.blocks().clear(user); });
    constexpr std::int64_t a_day_ms = 86'400'000;
    co_return co_await mark_blocked(std::move(user), 0, *version, a_day_ms);
}

std::optional<std::int64_t> redis_state::blocked_until(std::string_view user, unix_ms now) const {
    return local_.blocked_until(user, now);
}

net::awaitable<result<user_status>> redis_state::status(std::string user, unix_ms now) {
    now = co_await measured_now(now);
    std::string block_cmd, sessions_cmd, day_cmd;
    append_command(block_cmd, {"ZSCORE", keys_.blocks(), user});
    append_command(sessions_cmd, {"ZCOUNT", keys_.sessions(user),
                                  after_second_of(std::min(now, shared_state::now())), "+inf"});
    append_command(day_cmd, {"GET", keys_.day(user, utc_day(now))});
    auto blocked = co_await round_trip("status", std::move(block_cmd));
    if (!blocked) co_return blocked.error();
    auto sessions = co_await round_trip("status", std::move(sessions_cmd));
    if (!sessions) co_return sessions.error();
    auto today = co_await round_trip("status", std::move(day_cmd));
    if (!today) co_return today.error();
    const auto until = integer_or_zero(*blocked);
    const auto live =
        sessions->type == resp_value::kind::integer ? integer_of(*sessions) : std::nullopt;
    const auto count = integer_or_zero(*today);
    if (!until || !live || !count) co_return store_failure("unexpected status reply");
    user_status st;
    if (*until > now / 1000) st.blocked_until = *until;
    st.live_sessions = static_cast<std::size_t>(*live);
    st.sessions_today = static_cast<std::uint64_t>(*count);
    co_return st;
}

unix_ms redis_state::now() const {
    return shared_state::now() + clock_offset_ms_.load(std::memory_order_relaxed);
}

// Redis's TIME against this process's clock around the round trip: the
// offset is off by half a round trip at most, and corrects now() on every
// io thread (docs/operations.md, "Clocks"). A failed or malformed reading
// keeps the offset known.
net::awaitable<void> redis_state::measure_clock(redis_connection* via) {
    std::string command;
    append_command(command, {"TIME"});
    const auto sent = shared_state::now();
    auto reply = co_await round_trip("clock", std::move(command), via);
    const auto back = shared_state::now();
    if (!reply) co_return;
    const auto redis_ms = redis_time_ms_of(*reply);
    if (!redis_ms) {
        if (warnings_.allow_now())
            observability::log_warn("redis TIME reply unreadable; keeping the clock offset known",
                                    {});
        co_return;
    }
    // Followed however far: replicas agree only if all take Redis's clock,
    // and neither side can tell which clock is wrong. Said once each time
    // the clocks come apart (past the skew margin) or together again.
    const auto offset = *redis_ms - (sent + back) / 2;
    clock_offset_ms_.store(offset, std::memory_order_relaxed);
    clock_measured_.store(true, std::memory_order_relaxed);
    const bool apart = std::abs(offset) > clock_skew_margin_seconds * 1000;
    if (clocks_apart_.exchange(apart) != apart) {
        if (apart)
            observability::log_warn("this replica's clock and redis's differ; following redis's",
                                    {{"offset_ms", offset}});
        else
            observability::log_info("this replica's clock and redis's agree again",
                                    {{"offset_ms", offset}});
    }
}

// Sessions expire by the upstream's clock, which may be neither this
// replica's nor Redis's: the registry keeps and lists a session until it
// ended by both, and the skew margin after that, so that a revocation
// rather cancels a session that just ended than misses one still live.
unix_ms redis_state::registry_cutoff(unix_ms now) const {
    return std::min(now, shared_state::now()) - clock_skew_margin_seconds * 1000;
}

// Admin operations right after this replica connected, before the first
// poll measured the clock, measure it first: a block's end or a session's
// expiry is never judged by this replica's own clock once Redis answers.
net::awaitable<unix_ms> redis_state::measured_now(unix_ms now) {
    if (clock_measured_.load(std::memory_order_relaxed)) co_return now;
    co_await measure_clock(nullptr);
    co_return this->now();
}

std::vector<std::string> redis_state::block_set_keys() const {
    return {keys_.blocks(), keys_.blocks_version(), keys_.blocks_changes(),
            keys_.blocks_versions()};
}

net::awaitable<std::optional<block_poll>> redis_state::changes_since(std::string known,
                                                                     std::int64_t newest) {
    std::vector<std::string> args{std::move(known), std::to_string(max_changes_per_poll),
                                  std::to_string(max_change_bytes_per_poll)};
    if (newest > 0) args.push_back(std::to_string(newest));
    auto reply = co_await script("poll_blocks", poll_blocks_script(), block_set_keys(),
                                 std::move(args), poll_connection_.get());
    if (!reply) co_return std::nullopt;  // counted as a store error
    auto poll = block_poll_of(*reply);
    if (!poll && warnings_.allow_now())
        observability::log_warn("redis block poll reply malformed; keeping the blocks known", {});
    co_return poll;
}

net::awaitable<void> redis_state::apply_changes(block_ends ends, std::int64_t version,
                                                std::int64_t now_s) {
    order_.bringing_to(version);
    for (std::size_t i = 0; i < ends.size(); ++i) {
        const auto& [user, end] = ends[i];
        order_.poll_change(user, [&] {
            if (end > now_s)
                local_.apply_block(user, end, now_s * 1000);
            else
                local_.blocks().clear(user);
        });
        if ((i + 1) % blocks_per_slice == 0) co_await next_turn();
    }
}

block_list::table redis_state::replace_blocks(block_list::table table, std::int64_t version,
                                              std::int64_t now_s) {
    block_list::table old;
    order_.replace(
        version,
        [&](const std::string& user, std::int64_t until) {
            apply_to_table(table, user, until, now_s);
        },
        [&] { old = local_.blocks().replace(std::move(table)); });
    return old;
}

void redis_state::note_version(std::int64_t version) noexcept {
    auto seen = newest_version_seen_.load();
    while (version > seen && !newest_version_seen_.compare_exchange_weak(seen, version)) {
    }
}

// Fetches the block set when its version changed; a failed poll keeps the
// blocks this replica knew.
net::awaitable<void> redis_state::poll_once() {
    co_await measure_clock(poll_connection_.get());
    const auto now = this->now() / 1000;
    // Named, not a temporary in the co_await statement (g++ 12 destroys those twice).
    std::string known = "-";
    if (blocks_version_ >= 0) known = std::to_string(blocks_version_);
    // The newest version this replica saw before the poll went out: one of
    // its own writes answered while the poll is out may have run in Redis
    // after the poll's script, and is no sign of a loss.
    const auto newest = newest_version_seen_.load();
    auto poll = co_await changes_since(std::move(known), newest);
    if (!poll) co_return;
    const bool polled_recently =
        last_poll_ms_ >= 0 && this->now() - last_poll_ms_ < max_poll_gap.count();
    last_poll_ms_ = this->now();
    // Redis lost its data (a restart without persistence or from an older
    // snapshot, a flush) when its version is older than one this replica
    // read or wrote before the poll, even one the block cache never
    // reflected (its own block, just before the loss), or when the change
    // log no longer reaches back to the version this replica last read
    // though it read it less than a day ago: versions only grow (the block
    // script makes them at least the time in ms), and the log keeps a day
    // of changes. (A write answered while the poll was out counts from the
    // next poll on.) The second holds also when this replica's own first
    // write after the loss already made a version newer than any before, and
    // when Redis went back to an older snapshot and changed since: its log
    // may reach back that far, but it lacks the versions this replica saw,
    // and the poll script then answers that it reaches back to now only.
    const auto last_read = blocks_version_ >= 0 ? blocks_version_ : newest;
    const bool went_back = newest > 0 && poll->version < newest;
    const bool log_restarted =
        newest > 0 && poll->whole && polled_recently && poll->floor > last_read;
    const bool lost = went_back || log_restarted;
    // What was known before the loss, which a write-back yields to changes
    // made after: a restarted log's floor and later are such changes.
    const auto known_before = log_restarted ? std::min(newest, poll->floor - 1) : newest;
    if (!lost) note_version(poll->version);
    if (!poll->changed && !lost) co_return;
    if (!poll->whole && !lost) {
        co_await apply_changes(std::move(poll->ends), poll->version, now);
        blocks_version_ = poll->version;
        co_return;
    }
    auto all = co_await scan_blocks(now, poll->version);
    if (!all) {
        if (warnings_.allow_now())
            observability::log_warn("redis block set not read; keeping the blocks known",
                                    {{"reason", all.error().detail}});
        co_return;  // the next poll tries again
    }
    if (lost)
        co_return co_await restore_lost_blocks(std::move(*all), poll->version, known_before, now);
    auto table = co_await table_of(std::move(*all));
    // The changes made during the read, applied to its table right before
    // it replaces the one in use (no wait in between): the read may have
    // seen a block before an unblock this replica answered and applied
    // meanwhile, and must not bring it back.
    std::string read_at = std::to_string(poll->version);
    auto since = co_await changes_since(std::move(read_at));
    // Failed (the store cut right after the last page): the table lacks the
    // changes applied to the cache during the read, this replica's own too,
    // and is not put in place; the next poll reads again.
    if (!since) co_return;
    auto version = poll->version;
    if (!since->whole && since->version >= version) {
        apply_to_table(table, since->ends, now);
        version = since->version;
    }
    auto old = replace_blocks(std::move(table), version, now);
    blocks_version_ = version;
    co_await free_in_slices(std::move(old));
}

// Writing back the blocks a replica knew, a few at a time on the poll's
// connection (pipelined): 3,000 one after the other took 5 s, while no poll
// ran.
struct redis_state::restore_job {
    std::vector<std::pair<std::string, std::int64_t>> blocks;  // to write back
    std::size_t next = 0;
    std::int64_t known_before = 0;
    block_list::table table;  // the store's set, with what was written back
    std::int64_t restored = 0, yielded = 0, failed = 0;
    std::int64_t newest_written = 0;  // the last version a write made
};

net::awaitable<void> redis_state::restore_worker(restore_job& job) {
    while (job.next < job.blocks.size()) {
        const auto& [user, until] = job.blocks[job.next++];
        const auto now = this->now();
        auto version = co_await write_block(user, until, now, job.known_before);
        if (version && *version == 0) {
            ++job.yielded;  // the store's set says what that later change decided
            continue;
        }
        bool written = static_cast<bool>(version);
        if (written) {
            auto marked = co_await mark_blocked(user, until, *version,
                                                std::max<std::int64_t>(1, until * 1000 - now),
                                                poll_connection_.get());
            written = static_cast<bool>(marked);
        }
        ++(written ? job.restored : job.failed);
        if (written) job.newest_written = std::max(job.newest_written, *version);
        job.table.insert_or_assign(user, until);  // written, or kept here to try again
    }
}

// The blocks this replica knows that are still running and that the store's
// set lacks or ends sooner (it came back empty, or from an older snapshot)
// are written back to it, each yielding to a change made to its user since
// the loss (an unblock made meanwhile stands). The changes made during the
// write-back are then read from the log and applied, and the block cache
// takes the set with them and the version those changes reach, so that the
// next poll gets only later changes and sees another loss. When the log
// cannot give them (it starts after the version read, as after an empty
// restart) nothing is dropped: the known blocks stay, no version is kept,
// and the next poll reads the whole set. Blocks that could not be written
// stay, and the version known too: the next poll tries again.
net::awaitable<void> redis_state::restore_lost_blocks(block_ends in_store, std::int64_t version,
                                                      std::int64_t known_before,
                                                      std::int64_t now_s) {
    using namespace boost::asio::experimental::awaitable_operators;
    restore_job job;
    job.known_before = known_before;
    job.table = co_await table_of(std::move(in_store));
    for (auto& [user, until] : local_.blocks().running(now_s)) {
        const auto stored = job.table.find(user);
        if (stored == job.table.end() || stored->second < until)
            job.blocks.emplace_back(std::move(user), until);
    }
    co_await (restore_worker(job) && restore_worker(job) && restore_worker(job) &&
              restore_worker(job) && restore_worker(job) && restore_worker(job) &&
              restore_worker(job) && restore_worker(job));
    if (!job.blocks.empty() && restore_warnings_.allow_now())
        observability::log_warn(
            "redis lost the block list (restarted without persistence or from an older "
            "snapshot?); the blocks this replica knew were written back",
            {{"restored", job.restored},
             {"yielded_to_later_changes", job.yielded},
             {"failed", job.failed}});
    // The changes made meanwhile (a block this replica answered during the
    // write-back too) are applied right before the table replaces the one
    // in use, as after any whole read. The store as it is then is what later
    // losses are measured from (versions from before this loss would make
    // every poll a loss again).
    std::string read_at = std::to_string(version);
    auto since = co_await changes_since(std::move(read_at));
    const bool caught_up = since && !since->whole && since->version >= version;
    if (caught_up) version = since->version;
    if (job.failed == 0) newest_version_seen_.store(std::max(version, job.newest_written));
    if (!caught_up) {
        // The log does not reach back to `version` (it starts after it, as
        // after an empty restart): nothing is dropped here, and the next poll
        // reads the whole set afresh.
        co_await apply_changes(block_ends(job.table.begin(), job.table.end()), version, now_s);
        if (job.failed == 0) blocks_version_ = -1;
        co_return;
    }
    apply_to_table(job.table, since->ends, now_s);
    auto old = replace_blocks(std::move(job.table), version, now_s);
    if (job.failed == 0) blocks_version_ = version;
    co_await free_in_slices(std::move(old));
}

// ZSCAN returns every member present from the scan's start to its end
// (some maybe twice); a block made or lifted meanwhile is in the change log
// after the version the poll read before the scan: applied during the read
// (below) and again to its table (poll_once). Each page is one small
// reply, whatever the number of blocked users.
net::awaitable<result<block_ends>> redis_state::scan_blocks(std::int64_t now_s,
                                                            std::int64_t version) {
    block_ends out;
    auto caught_up = steady::now();
    std::size_t user_bytes = 0;  // of the user ids in `out`
    std::string cursor = "0";
    static const std::string page = std::to_string(blocks_per_scan_page);
    for (int pages = 0;; ++pages) {
        if (pages == max_scan_pages) co_return store_failure("block scan did not end");
        std::string command;
        append_command(command, {"ZSCAN", keys_.blocks(), cursor, "COUNT", page});
        auto reply = co_await round_trip("poll_blocks", std::move(command), poll_connection_.get());
        if (!reply) co_return reply.error();
        const auto page_from = static_cast<std::ptrdiff_t>(out.size());
        auto next = block_scan_page_of(*reply, out);
        if (!next) co_return store_failure("unexpected block scan reply");
        // Ended blocks stay in the set until the next block trims it.
        out.erase(std::remove_if(out.begin() + page_from, out.end(),
                                 [now_s](const auto& b) { return b.second <= now_s; }),
                  out.end());
        for (auto it = out.begin() + page_from; it != out.end(); ++it)
            user_bytes += it->first.size();
        cursor = std::move(*next);
        if (cursor == "0") co_return out;  // past the bounds by a page (one reply) at most
        if (steady::now() - caught_up >= block_poll_interval) {
            std::string read_at = std::to_string(version);
            auto since = co_await changes_since(std::move(read_at));
            if (since && since->changed && !since->whole)
                co_await apply_changes(std::move(since->ends), since->version, now_s);
            caught_up = steady::now();
        }
        if (out.size() >= max_scanned_blocks || user_bytes >= max_scanned_user_bytes) {
            // What the block cache can hold is applied, and the version read
            // with it, so that later changes still come from the change log.
            if (warnings_.allow_now())
                observability::log_warn(
                    "redis block set over the block cache's bound; "
                    "applying the blocks that fit",
                    {{"bound", max_scanned_blocks}, {"bound_bytes", max_scanned_user_bytes}});
            metrics_.record_store_untracked("blocks");
            out.resize(std::min(out.size(), max_scanned_blocks));
            co_return out;
        }
    }
}

// Writing back the sessions recorded in process, a few at a time on the
// poll's connection (pipelined), as the blocks are.
struct redis_state::session_restore_job {
    std::vector<std::pair<std::string, live_session>> sessions;
    std::size_t next = 0;
    std::int64_t written = 0, blocked = 0, failed = 0;
    std::vector<std::string> failed_ids;
    bool store_down = false;
};

net::awaitable<void> redis_state::session_restore_worker(session_restore_job& job) {
    // One session's write may fail alone (its key of another type, set by
    // hand): the others go on, and the run skips it from then on. A failure
    // that took the connection down means the store is away: the rest
    // waits for the next answered poll.
    while (!job.store_down && job.next < job.sessions.size()) {
        auto& [user, session] = job.sessions[job.next++];
        auto written = co_await write_session(user, session, now(), true);
        if (!written) {
            ++job.failed;  // kept here; tried again at the next answered poll
            job.failed_ids.push_back(session.session_id);
            job.store_down = !poll_connection_->connected();
            continue;
        }
        ++job.written;
        if (!local_.registry().remove(user, session.session_id)) {
            // Cancelled here meanwhile (DELETE, a revocation): it leaves the
            // store again rather than stay listed there.
            co_await unlist(user, session.session_id, poll_connection_.get());
        } else if (*written == registration::user_blocked && canceller_) {
            // A revocation made elsewhere before this write could not list
            // it: cancelled from a queue beside the write-back. Past the
            // queue's bound it stays listed, counted as a failed cancel (the
            // next revocation cancels it).
            ++job.blocked;
            if (to_cancel_.size() < max_queued_cancels)
                to_cancel_.emplace_back(user, session.session_id);
            else
                count_cancel(false);
        }
    }
}

// Counted with the revocations: one that failed stays listed in Redis, and
// the next revocation of the user cancels it (the runbook's "revocation
// incomplete" alert).
void redis_state::count_cancel(bool cancelled) {
    metrics_.record_revocation(cancelled ? 1 : 0, cancelled ? 0 : 1);
    ++(cancelled ? written_back_cancels_.cancelled : written_back_cancels_.failed);
}

net::awaitable<void> redis_state::cancel_queued(redis_state* self) {
    while (!self->to_cancel_.empty() && !self->stopped_) {
        auto [user, session_id] = std::move(self->to_cancel_.front());
        self->to_cancel_.pop_front();
        // Named, not a temporary in the co_await statement (g++ 12).
        auto cancel = self->canceller_(user, session_id);
        const bool cancelled = co_await std::move(cancel);
        // Unlisted on the poll's connection, which just answered (this io
        // thread's own may still be coming back).
        if (cancelled) co_await self->unlist(user, session_id, self->poll_connection_.get());
        self->count_cancel(cancelled);
    }
    if (--self->cancels_running_ > 0) co_return;
    auto& tally = self->written_back_cancels_;
    if (tally.failed > 0 && self->cancel_warnings_.allow_now())
        observability::log_warn(
            "sessions written back for blocked or revoked users not all cancelled; revoke them "
            "again",
            {{"cancelled", tally.cancelled}, {"failed", tally.failed}});
    tally = {};
}

// The sessions minted while the store failed (on_error local) were kept in
// this replica's memory only: a revocation or status made through another
// replica could not see them. From the first answered poll on they are
// written to Redis, sessions_restored_per_poll at a time, beside the poll
// (which must still come every block_poll_interval), until none is left or
// the store fails again.
net::awaitable<void> redis_state::restore_local_sessions(redis_state* self) {
    using namespace boost::asio::experimental::awaitable_operators;
    const auto executor = co_await net::this_coro::executor;
    std::int64_t written = 0, blocked = 0, failed = 0;
    std::unordered_set<std::string> failed_ids;  // this run's: skipped from then on
    while (!self->stopped_) {
        session_restore_job job;
        job.sessions = self->local_.registry().some_live(
            sessions_restored_per_poll + failed_ids.size(), self->now() / 1000);
        std::erase_if(job.sessions,
                      [&](const auto& s) { return failed_ids.contains(s.second.session_id); });
        if (job.sessions.empty()) break;
        co_await (self->session_restore_worker(job) && self->session_restore_worker(job) &&
                  self->session_restore_worker(job) && self->session_restore_worker(job) &&
                  self->session_restore_worker(job) && self->session_restore_worker(job) &&
                  self->session_restore_worker(job) && self->session_restore_worker(job));
        while (self->cancels_running_ < cancels_at_once &&
               static_cast<std::size_t>(self->cancels_running_) < self->to_cancel_.size()) {
            ++self->cancels_running_;
            net::co_spawn(executor, cancel_queued(self), net::detached);
        }
        written += job.written;
        blocked += job.blocked;
        failed += job.failed;
        failed_ids.insert(job.failed_ids.begin(), job.failed_ids.end());
        if (job.store_down) break;  // the next answered poll tries again
    }
    if (written + failed > 0 && self->session_restore_warnings_.allow_now())
        observability::log_warn(
            "sessions recorded in process while redis failed were written to it",
            {{"written", written}, {"user_blocked", blocked}, {"failed", failed}});
    self->restoring_sessions_ = false;
}

// Handing on the day counts of mints admitted in process, a few at a time
// on the poll's connection, as the sessions are.
struct redis_state::day_count_restore_job {
    std::string key_ttl;  // seconds, as the mint script gives a day count it creates
    std::size_t next = 0;
    std::int64_t written = 0;
    bool failed = false;
};

net::awaitable<void> redis_state::day_count_restore_worker(day_count_restore_job& job) {
    while (!job.failed && job.next < unsent_counts_.size()) {
        auto& h = unsent_counts_[job.next++];
        std::vector<std::string> keys{keys_.day(h.user, h.day), keys_.hand_over(h.user, h.id)};
        std::vector<std::string> args{std::to_string(h.mints), job.key_ttl};
        auto reply = co_await script("day_count", hand_over_day_script(), std::move(keys),
                                     std::move(args), poll_connection_.get());
        const auto shared = reply ? integer_of(*reply) : std::nullopt;
        if (!shared) {
            job.failed = true;  // kept, with its id: sent again after the next answered poll
            continue;
        }
        h.handed = true;
        ++job.written;
        local_.days().settle(h.user, h.day,
                             static_cast<std::uint64_t>(std::max<std::int64_t>(0, *shared)));
    }
}

// A mint admitted in process while the store failed (on_error local)
// counts towards its user's day in Redis too, from the first answered poll
// on: the quota and the status of every replica then count it (mints the
// replica let through past the quota while it decided alone are counted,
// not undone), and this replica's own count takes the shared one, so a
// later outage does not start the day afresh here. Each hand-over keeps
// its id until Redis answers it: sent again, it counts once. Counts of a
// day that ended meanwhile are dropped: their keys expire within the hour.
net::awaitable<void> redis_state::restore_day_counts(redis_state* self) {
    using namespace boost::asio::experimental::awaitable_operators;
    const auto now = self->now();
    const auto day = utc_day(now);
    auto& unsent = self->unsent_counts_;
    std::erase_if(unsent, [day](const hand_over& h) { return h.day != day; });
    std::int64_t dropped = 0;
    for (auto& [user, mints] : self->local_.days().take_unhanded(day)) {
        if (unsent.size() >= max_unsent_counts) {
            ++dropped;
            continue;
        }
        unsent.push_back({std::move(user), day, self->hand_over_id(), mints, false});
    }
    day_count_restore_job job{std::to_string(day_count_ttl_s(now))};
    co_await (self->day_count_restore_worker(job) && self->day_count_restore_worker(job) &&
              self->day_count_restore_worker(job) && self->day_count_restore_worker(job));
    std::erase_if(unsent, [](const hand_over& h) { return h.handed; });
    // Two throttles: a refusal every poll must not hide the line that says
    // the counts got through.
    auto& throttle = job.failed ? self->count_restore_failures_ : self->count_restore_warnings_;
    if ((job.written > 0 || job.failed || dropped > 0) && throttle.allow_now())
        observability::log_warn(
            job.failed ? "mints admitted in process while redis failed were not all added to "
                         "its day counts; trying again after the next poll"
                       : "mints admitted in process while redis failed were added to its day "
                         "counts",
            {{"users", job.written}, {"left", unsent.size()}, {"dropped", dropped}});
    self->restoring_counts_ = false;
}

std::string redis_state::hand_over_id() {
    return replica_id_ + "-" + std::to_string(++hand_overs_);
}

net::awaitable<void> redis_state::poll_blocks(redis_state* self) {
    while (!self->stopped_) {
        const auto answered_before = self->last_poll_ms_;
        co_await self->poll_once();
        if (self->last_poll_ms_ != answered_before && !self->restoring_sessions_ &&
            self->local_.registry().size() > 0) {
            self->restoring_sessions_ = true;
            net::co_spawn(self->pool_.at(0), restore_local_sessions(self), net::detached);
        }
        if (self->last_poll_ms_ != answered_before && !self->restoring_counts_ &&
            (self->local_.days().has_unhanded() || !self->unsent_counts_.empty())) {
            self->restoring_counts_ = true;
            net::co_spawn(self->pool_.at(0), restore_day_counts(self), net::detached);
        }
        self->poll_timer_->expires_after(block_poll_interval);
        auto [ec] = co_await self->poll_timer_->async_wait(nothrow_awaitable);
        if (ec) break;
    }
}

}  // namespace ckg::store
