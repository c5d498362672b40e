// The pure parts of the store room: UTC days, key names, the RESP reader's
// bounds, and the in-process state's decisions with an injected clock.
#include "chatkit_gateway/store/block_cache_order.hpp"
#include "chatkit_gateway/store/block_list.hpp"
#include "chatkit_gateway/store/day_counter.hpp"
#include "chatkit_gateway/store/local_state.hpp"
#include "chatkit_gateway/store/redis_keys.hpp"
#include "chatkit_gateway/store/redis_replies.hpp"
#include "chatkit_gateway/store/redis_scripts.hpp"
#include "chatkit_gateway/store/resp_reader.hpp"
#include "chatkit_gateway/store/session_registry.hpp"
#include "chatkit_gateway/store/utc_day.hpp"

#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <algorithm>
#include <map>

#if defined(__SANITIZE_ADDRESS__)
// ASan's own count (g++ 12 ships the runtime, not this declaration's header).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

using namespace ckg::store;

namespace {

constexpr std::int64_t day_ms = 86'400'000;
// 2026-12-01T00:00:00Z
constexpr std::int64_t midnight_ms = 1'796'083'200'000;

// "<prefix><i>" without operator+ on a literal (g++ 12 warns falsely there).
std::string numbered(const char* prefix, int i) {
    std::string s(prefix);
    s += std::to_string(i);
    return s;
}

mint_decision admit_sync(local_state& s, std::string_view user, unix_ms now) {
    return s.admit(user, now);
}

// Bytes of heap in use (ASan's allocator under the sanitizer build).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

// Heap growth from recording `n` sessions of one user, ids as long as the
// upstream's, none expired.
std::size_t heap_after_minting(local_state& s, int n) {
    const auto before = heap_in_use();
    for (int i = 0; i < n; ++i)
        s.add("busy", {numbered("cksess_0123456789abcdef0123456789ab", i), 2'000'000'000},
              midnight_ms);
    const auto after = heap_in_use();
    return after > before ? after - before : 0;
}

// Replies as the reader gives them.
resp_value resp_string(std::string text) {
    resp_value v;
    v.type = resp_value::kind::string;
    v.text = std::move(text);
    return v;
}

resp_value resp_integer(std::int64_t n) {
    resp_value v;
    v.type = resp_value::kind::integer;
    v.integer = n;
    return v;
}

resp_value resp_array(std::vector<resp_value> elements) {
    resp_value v;
    v.type = resp_value::kind::array;
    v.elements = std::move(elements);
    return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_pieces)

BOOST_AUTO_TEST_CASE(utc_days_and_seconds_to_midnight) {
    BOOST_TEST(utc_day(midnight_ms) == midnight_ms / day_ms);
    BOOST_TEST(utc_day(midnight_ms - 1) == midnight_ms / day_ms - 1);
    BOOST_TEST(seconds_to_utc_midnight(midnight_ms).count() == 86400);
    BOOST_TEST(seconds_to_utc_midnight(midnight_ms - 1).count() == 1);     // never 0
    BOOST_TEST(seconds_to_utc_midnight(midnight_ms - 1500).count() == 2);  // rounded up
    BOOST_TEST(seconds_to_utc_midnight(midnight_ms + day_ms - 3'600'000).count() == 3600);
}

BOOST_AUTO_TEST_CASE(keys_share_the_users_hash_tag_and_start_with_the_prefix) {
    redis_keys k("ckg:");
    BOOST_TEST(k.bucket("u_1") == "ckg:{u_1}:bucket:full_at");
    BOOST_TEST(k.day("u_1", 20423) == "ckg:{u_1}:day:20423");
    BOOST_TEST(k.sessions("u_1") == "ckg:{u_1}:sessions");
    BOOST_TEST(k.blocks() == "ckg:{blocks}:set");
    BOOST_TEST(k.blocks_version() == "ckg:{blocks}:version");
    BOOST_TEST(k.blocked("u_1") == "ckg:{u_1}:blocked");
}

// Redis hashes the text between the first '{' and the first '}' after it:
// a '}' in a user id must not end the tag early (an id starting with '}'
// would leave an empty tag, and the user's keys on different slots).
BOOST_AUTO_TEST_CASE(a_user_id_with_braces_or_percent_signs_stays_one_whole_tag) {
    redis_keys k("p:");
    BOOST_TEST(k.bucket("}x") == "p:{%7Dx}:bucket:full_at");
    BOOST_TEST(k.sessions("a}b{c") == "p:{a%7Db{c}:sessions");
    // Escaping is injective: the encoded form of one id is not another id.
    BOOST_TEST(k.bucket("%7D") == "p:{%257D}:bucket:full_at");
    BOOST_TEST(k.bucket("%7D") != k.bucket("}"));
    for (const std::string user : {"}", "}}", "a}", "{}", "%", "x%7Dy"}) {
        const auto key = k.day(user, 1);
        const auto open = key.find('{');
        const auto close = key.find('}', open + 1);
        BOOST_TEST_CONTEXT(user) {
            BOOST_TEST(close > open + 1);                // a non-empty tag ...
            BOOST_TEST(key.substr(close) == "}:day:1");  // ... that ends where the suffix starts
        }
    }
}

BOOST_AUTO_TEST_CASE(script_hashes_are_sha1_of_their_text) {
    BOOST_TEST(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    BOOST_TEST(mint_script().sha1 == sha1_hex(mint_script().text));
    BOOST_TEST(mint_script().sha1.size() == 40u);
}

BOOST_AUTO_TEST_CASE(commands_are_arrays_of_bulk_strings) {
    std::string out;
    append_command(out, {"GET", "a\r\nb"});
    BOOST_TEST(out == "*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n");
    // A script call is the same array: verb, script, key count, keys, arguments.
    std::string call;
    append_script_call(call, "EVALSHA", "abc", {"k1", std::string(12, 'k')}, {"", "7"});
    std::string expected;
    append_command(expected, {"EVALSHA", "abc", "2", "k1", std::string(12, 'k'), "", "7"});
    BOOST_TEST(call == expected);
    BOOST_TEST(call.substr(0, 4) == "*7\r\n");
    // Every user id, with or without the characters escaped in a hash tag.
    redis_keys k("p:");
    BOOST_TEST(k.sessions("%}%") == "p:{%25%7D%25}:sessions");
    BOOST_TEST(k.sessions("ab%") == "p:{ab%25}:sessions");
}

BOOST_AUTO_TEST_CASE(reader_parses_split_and_pipelined_replies) {
    resp_reader r;
    const std::string wire =
        "+OK\r\n:42\r\n$3\r\nabc\r\n*2\r\n$1\r\nx\r\n*1\r\n:7\r\n-ERR no\r\n$-1\r\n";
    for (char c : wire) BOOST_REQUIRE(r.feed(&c, 1));  // one byte at a time
    resp_value v;
    BOOST_REQUIRE(r.next(v) == resp_reader::status::reply);
    BOOST_TEST((v.type == resp_value::kind::status && v.text == "OK"));
    BOOST_REQUIRE(r.next(v) == resp_reader::status::reply);
    BOOST_TEST(v.integer == 42);
    BOOST_REQUIRE(r.next(v) == resp_reader::status::reply);
    BOOST_TEST(v.text == "abc");
    BOOST_REQUIRE(r.next(v) == resp_reader::status::reply);
    BOOST_REQUIRE(v.elements.size() == 2u);
    BOOST_TEST(v.elements[0].text == "x");
    BOOST_TEST(v.elements[1].elements.at(0).integer == 7);
    BOOST_REQUIRE(r.next(v) == resp_reader::status::reply);
    BOOST_TEST(v.is_error());
    BOOST_REQUIRE(r.next(v) == resp_reader::status::reply);
    BOOST_TEST((v.type == resp_value::kind::nil));
    BOOST_TEST((r.next(v) == resp_reader::status::need_more));
}

BOOST_AUTO_TEST_CASE(reader_refuses_a_huge_declared_array_without_allocating_it) {
    resp_reader r(1 << 20, 1000);
    const std::string wire = "*2000000000\r\n";
    BOOST_REQUIRE(r.feed(wire.data(), wire.size()));
    resp_value v;
    BOOST_TEST((r.next(v) == resp_reader::status::error));
    BOOST_TEST(!r.feed("+OK\r\n", 5));  // broken for good: the connection must go
}

BOOST_AUTO_TEST_CASE(reader_caps_elements_across_nested_arrays_and_partial_reads) {
    resp_reader r(1 << 20, 10);
    std::string wire = "*3\r\n*4\r\n";
    BOOST_REQUIRE(r.feed(wire.data(), wire.size()));
    resp_value v;
    BOOST_TEST((r.next(v) == resp_reader::status::need_more));
    wire = ":1\r\n:2\r\n:3\r\n:4\r\n*5\r\n";  // 3 + 4 + 5 > 10
    BOOST_REQUIRE(r.feed(wire.data(), wire.size()));
    BOOST_TEST((r.next(v) == resp_reader::status::error));
}

BOOST_AUTO_TEST_CASE(reader_bounds_buffered_bytes_of_an_incomplete_bulk) {
    resp_reader r(1024, 100);
    const std::string header = "$999999999\r\n";
    BOOST_REQUIRE(r.feed(header.data(), header.size()));
    const std::string chunk(2000, 'x');
    BOOST_TEST(!r.feed(chunk.data(), chunk.size()));
    BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_CASE(reader_bounds_string_bytes_of_one_reply) {
    resp_reader r(64, 1000);  // each piece fits the buffer, the reply does not
    std::string wire = "*10\r\n";
    BOOST_REQUIRE(r.feed(wire.data(), wire.size()));
    resp_value v;
    bool refused = false;
    for (int i = 0; i < 10 && !refused; ++i) {
        wire = "$20\r\n" + std::string(20, 'a') + "\r\n";
        refused = !r.feed(wire.data(), wire.size()) || r.next(v) == resp_reader::status::error;
    }
    BOOST_TEST(refused);
}

BOOST_AUTO_TEST_CASE(reader_reports_protocol_errors) {
    resp_reader r;
    BOOST_REQUIRE(r.feed("@x\r\n", 4));
    resp_value v;
    BOOST_TEST((r.next(v) == resp_reader::status::error));
}

BOOST_AUTO_TEST_CASE(in_process_rate_limit_then_quota_with_injected_now) {
    ckg::observability::metrics m;
    ckg::config::rate_limit_config limits;
    limits.sessions_per_minute = 60;  // one a second
    limits.burst = 2;
    limits.sessions_per_day = 3;
    local_state s(limits, m);
    const auto t = midnight_ms - 10'000;  // 10 s before midnight
    BOOST_TEST((admit_sync(s, "a", t).verdict == mint_verdict::admitted));
    BOOST_TEST((admit_sync(s, "a", t).verdict == mint_verdict::admitted));
    auto d = admit_sync(s, "a", t);
    BOOST_TEST((d.verdict == mint_verdict::rate_limited));
    BOOST_TEST(d.retry_after.count() == 1);
    BOOST_TEST((admit_sync(s, "a", t + 1000).verdict == mint_verdict::admitted));  // 3rd of the day
    d = admit_sync(s, "a", t + 2000);
    BOOST_TEST((d.verdict == mint_verdict::over_quota));
    BOOST_TEST(d.retry_after.count() == 8);                        // to midnight UTC
    BOOST_TEST(s.status_now("a", t + 2000).sessions_today == 3u);  // refused mints never count
    BOOST_TEST(
        (admit_sync(s, "a", midnight_ms + 1).verdict == mint_verdict::admitted));  // a new day
    BOOST_TEST(s.status_now("a", midnight_ms + 1).sessions_today == 1u);
    BOOST_TEST((admit_sync(s, "b", t).verdict == mint_verdict::admitted));  // per user
}

BOOST_AUTO_TEST_CASE(day_counter_is_bounded_and_counts_untracked_users) {
    day_counter c(100);
    for (int i = 0; i < 100; ++i)
        BOOST_TEST((c.take(numbered("u", i), 1, 0) == count_outcome::counted));
    BOOST_TEST((c.take("late", 1, 0) == count_outcome::untracked));
    BOOST_TEST(c.size() == 100u);
    BOOST_TEST(
        (c.take("next-day", 2, 0) == count_outcome::counted));  // yesterday's counts make room
    BOOST_TEST(c.size() == 1u);
}

// The counts a write-back hands to Redis: the mints of today counted since
// the last hand-over, per user. The counts stay and still meet the limit
// (a later outage does not start the day afresh), and a larger shared
// count becomes the count without being handed back.
BOOST_AUTO_TEST_CASE(day_counter_hands_on_what_it_counted_since_and_takes_the_shared_count) {
    day_counter c(100);
    BOOST_TEST(!c.has_unhanded());
    for (int i = 0; i < 3; ++i) c.take("alice", 7, 0);
    c.take("bob", 7, 0);
    c.take("old", 6, 0);
    BOOST_TEST(c.has_unhanded());
    auto out = c.take_unhanded(7);
    std::sort(out.begin(), out.end());
    BOOST_TEST(
        (out == std::vector<std::pair<std::string, std::uint64_t>>{{"alice", 3}, {"bob", 1}}));
    BOOST_TEST(!c.has_unhanded());
    BOOST_TEST(c.take_unhanded(7).empty());
    BOOST_TEST(c.count("alice", 7) == 3u);  // still counted here
    c.settle("alice", 7, 10);               // 7 minted elsewhere
    BOOST_TEST(c.count("alice", 7) == 10u);
    BOOST_TEST((c.take("alice", 7, 11) == count_outcome::counted));
    BOOST_TEST((c.take("alice", 7, 11) == count_outcome::over_limit));
    out = c.take_unhanded(7);
    BOOST_TEST((out == std::vector<std::pair<std::string, std::uint64_t>>{{"alice", 1}}));
    c.settle("bob", 7, 0);  // a smaller shared count changes nothing
    BOOST_TEST(c.count("bob", 7) == 1u);
}

// 100,000 users counted today fill the table: each further new user used to
// scan all of it under the lock, looking for earlier days' counts (200,000
// newcomers: 2 x 10^10 entry checks, minutes, while every mint waited). Now
// earlier days are dropped once a day. The bound is a guard against the
// quadratic cost, far above what the loop takes even under ASan.
BOOST_AUTO_TEST_CASE(newcomers_to_a_full_day_table_do_not_each_scan_it) {
    day_counter c;  // 100,000 users
    for (int i = 0; i < 100000; ++i) c.take(numbered("u", i), 1, 0);
    const auto started = std::chrono::steady_clock::now();
    std::size_t untracked = 0;
    for (int i = 0; i < 200000; ++i)
        untracked += c.take(numbered("new", i), 1, 0) == count_outcome::untracked;
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
    BOOST_TEST(untracked == 200000u);
    BOOST_TEST((c.take("next-day", 2, 0) == count_outcome::counted));  // a new day makes room
}

BOOST_AUTO_TEST_CASE(full_tables_are_counted_as_untracked) {
    ckg::observability::metrics m;
    ckg::config::rate_limit_config limits;
    local_limits caps;
    caps.max_users = 16;  // one per limiter shard
    local_state s(limits, m, caps);
    for (int i = 0; i < 200; ++i) s.admit(numbered("user-", i), midnight_ms);
    const auto text = m.render();
    BOOST_TEST(text.find("chatkit_gateway_store_untracked_total{table=\"quota\"} 0") ==
               std::string::npos);
    BOOST_TEST(text.find("chatkit_gateway_store_untracked_total{table=\"rate_limit\"} 0") ==
               std::string::npos);
}

// Without the admin API nothing can read the registry: minting leaves no
// memory behind. With it, the same mints are kept (and cost memory).
BOOST_AUTO_TEST_CASE(sessions_are_kept_only_where_the_admin_api_can_read_them) {
    ckg::observability::metrics m;
    ckg::config::gateway_config without_admin;
    local_state not_kept(without_admin.rate_limit, m, local_limits_for(without_admin));
    BOOST_TEST(heap_after_minting(not_kept, 100000) < 256 * 1024u);

    ckg::config::gateway_config with_admin;
    with_admin.admin.token_env = "ADMIN_TOKEN";
    with_admin.admin.token.emplace(std::string(32, 'a'));
    local_state kept(with_admin.rate_limit, m, local_limits_for(with_admin));
    BOOST_TEST(heap_after_minting(kept, 100000) > 4 * 1024 * 1024u);
    BOOST_TEST(kept.status_now("busy", midnight_ms).live_sessions == 100000u);
}

// Most users hold one session: each costs a few hundred bytes of heap
// (docs/operations.md, "Scaling"), ids as long as HMAC user ids and the
// upstream's session ids.
BOOST_AUTO_TEST_CASE(a_session_kept_for_a_distinct_user_costs_under_400_bytes) {
    session_registry r;
    constexpr int users = 50000;
    const auto before = heap_in_use();
    for (int i = 0; i < users; ++i)
        BOOST_REQUIRE(
            r.add(numbered("user-0123456789abcdef0123456789abcdef0123456789abcdef0123456789", i),
                  {numbered("cksess_0123456789abcdef0123456789ab", i), 2'000'000'000},
                  midnight_ms / 1000));
    const auto after = heap_in_use();
    BOOST_TEST(r.size() == std::size_t(users));
    BOOST_TEST((after - before) / users < 400u, (after - before) / users << " bytes per session");
}

BOOST_AUTO_TEST_CASE(registry_keeps_live_sessions_per_user_bounded) {
    session_registry r(3);
    BOOST_TEST(r.add("a", {"s1", 100}, 10));
    BOOST_TEST(r.add("a", {"s2", 200}, 10));
    BOOST_TEST(r.add("b", {"s3", 100}, 10));
    BOOST_TEST(!r.add("b", {"s4", 100}, 10));   // full of live sessions
    BOOST_TEST(r.live("a", 150).size() == 1u);  // s1 expired
    BOOST_TEST(r.add("b", {"s4", 300}, 150));   // expired ones make room
    r.remove("a", "s2");
    BOOST_TEST(r.live("a", 150).empty());
    BOOST_TEST(r.size() == 1u);
}

// What a Redis replica writes back after an outage: live sessions of any
// users, at most as many as asked; a removal says whether it found one.
BOOST_AUTO_TEST_CASE(registry_hands_out_some_live_sessions_and_says_what_it_removed) {
    session_registry r;
    BOOST_TEST(r.add("a", {"s1", 100}, 10));
    BOOST_TEST(r.add("a", {"s2", 200}, 10));
    BOOST_TEST(r.add("b", {"s3", 300}, 10));
    BOOST_TEST(r.add("c", {"s4", 120}, 10));
    auto live = r.some_live(10, 150);  // s1 and s4 expired
    std::map<std::string, std::string> got;
    for (const auto& [user, s] : live) got[s.session_id] = user;
    BOOST_TEST((got == std::map<std::string, std::string>{{"s2", "a"}, {"s3", "b"}}));
    BOOST_TEST(r.some_live(1, 150).size() == 1u);
    BOOST_TEST(r.some_live(0, 150).empty());
    BOOST_TEST(r.remove("a", "s2"));
    BOOST_TEST(!r.remove("a", "s2"));
    BOOST_TEST(!r.remove("nobody", "s3"));
    BOOST_TEST(r.some_live(10, 150).size() == 1u);
    BOOST_TEST(r.size() == 1u);  // the expired ones it passed are gone
    BOOST_TEST(r.some_live(10, 400).empty());
    BOOST_TEST(r.size() == 0u);
}

// One user minting all day keeps only its live sessions (each mint drops the
// expired ones from the front, without scanning the rest).
BOOST_AUTO_TEST_CASE(registry_drops_a_busy_users_expired_sessions_as_it_goes) {
    session_registry r(1000);
    for (std::int64_t now = 0; now < 100000; ++now)
        BOOST_REQUIRE(r.add("busy", {std::to_string(now), now + 600}, now));
    BOOST_TEST(r.size() == 600u);
    BOOST_TEST(r.live("busy", 99999).size() == 600u);
}

BOOST_AUTO_TEST_CASE(blocks_end_by_themselves_and_can_be_replaced_by_a_snapshot) {
    block_list b(2);
    BOOST_TEST(b.set("a", 100, 10));
    BOOST_TEST(b.until("a", 99).value_or(0) == 100);
    BOOST_TEST(!b.until("a", 100));
    BOOST_TEST(b.set("b", 50, 10));
    BOOST_TEST(!b.set("c", 50, 10));  // full of live blocks
    BOOST_TEST(b.set("c", 500, 60));  // b ended: room again
    const auto replaced = b.replace({{"z", 1000}});
    BOOST_TEST(replaced.size() == 2u);  // handed back, to be freed outside the lock
    BOOST_TEST(replaced.count("a") == 1u);
    BOOST_TEST(!b.until("a", 10));
    BOOST_TEST(b.until("z", 10).value_or(0) == 1000);
    b.clear("z");
    BOOST_TEST(b.size() == 0u);
    b.replace({{"x", 1000}, {"y", 1000}, {"w", 1000}});  // a snapshot over the bound: two kept
    BOOST_TEST(b.size() == 2u);
}

// The bytes of user ids are bounded too, on every path that adds them: a
// few long ids (from something posing as Redis) fill the list as surely
// as many short ones; ended blocks and cleared ones give their bytes back.
BOOST_AUTO_TEST_CASE(blocks_are_bounded_in_bytes_of_user_ids) {
    block_list b(1000, 10);
    BOOST_TEST(b.set("aaaa", 100, 10));
    BOOST_TEST(b.set("bbbbbb", 50, 10));
    BOOST_TEST(!b.set("c", 100, 10));      // 11 bytes: refused
    BOOST_TEST(b.set("bbbbbb", 200, 10));  // known: its end is updated
    BOOST_TEST(!b.set(std::string(11, 'x'), 100, 10));
    b.clear("bbbbbb");
    BOOST_TEST(b.set("cccccc", 60, 10));  // its bytes given back
    BOOST_TEST(!b.set("d", 100, 20));     // full again
    BOOST_TEST(b.set("d", 100, 70));      // cccccc ended: room
    BOOST_TEST(b.size() == 2u);
    b.replace({{"0123456789", 1000}, {"x", 1000}});  // a snapshot over the bytes: one kept
    BOOST_TEST(b.size() == 1u);
    b.replace({});
    BOOST_TEST(b.set("0123456789", 1000, 10));  // the bytes counted afresh
    // No user id is longer than max_id_bytes: a longer one is refused on
    // every path, even with room to spare.
    block_list roomy;
    const std::string too_long(block_list::max_id_bytes + 1, 'x');
    BOOST_TEST(!roomy.set(too_long, 1000, 10));
    BOOST_TEST(roomy.set(too_long.substr(1), 1000, 10));
    roomy.replace({{too_long, 1000}, {"y", 1000}});
    BOOST_TEST(roomy.size() == 1u);
    BOOST_TEST(!roomy.until(too_long, 10));
}

// A block's end as Redis writes a score: what a block script writes, and
// what only a hand could (read as ended or for good); text that is no
// number is malformed.
BOOST_AUTO_TEST_CASE(block_ends_read_every_score_redis_can_hold) {
    using ckg::store::block_end_of;
    using ckg::store::max_stored_number;
    const auto text = [](std::string t) {
        ckg::store::resp_value v;
        v.type = ckg::store::resp_value::kind::string;
        v.text = std::move(t);
        return block_end_of(v).value_or(-1);  // -1: malformed
    };
    BOOST_TEST(text("1796207585") == 1796207585);
    BOOST_TEST(text("0") == 0);
    BOOST_TEST(text("-5") == 0);
    BOOST_TEST(text("-inf") == 0);
    BOOST_TEST(text("-1e400") == 0);
    BOOST_TEST(text("1e-400") == 0);  // below a double's precision: ended
    BOOST_TEST(text("inf") == max_stored_number);
    BOOST_TEST(text("+inf") == max_stored_number);
    BOOST_TEST(text("1e300") == max_stored_number);
    BOOST_TEST(text("1e400") == max_stored_number);
    for (const auto* bad : {"", "nan", "-nan", "abc", "5x", " 5", "+", "++5"})
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(text(bad) == -1);
        }
    ckg::store::resp_value integer;
    integer.type = ckg::store::resp_value::kind::integer;
    integer.integer = -7;
    BOOST_TEST(block_end_of(integer).value_or(-1) == 0);
    integer.type = ckg::store::resp_value::kind::array;
    BOOST_TEST(!block_end_of(integer).has_value());
}

// A scan page adds its blocks and gives the next cursor; a malformed one
// adds nothing.
BOOST_AUTO_TEST_CASE(a_malformed_block_scan_page_adds_nothing) {
    const auto str = resp_string;
    const auto array = resp_array;
    ckg::store::block_ends out{{"known", 1}};
    const auto page = array({str("17"), array({str("a"), str("100"), str("b"), str("inf")})});
    BOOST_TEST(ckg::store::block_scan_page_of(page, out).value_or("") == "17");
    BOOST_REQUIRE(out.size() == 3u);
    BOOST_TEST(out[2].second == ckg::store::max_stored_number);
    const auto half_bad = array({str("0"), array({str("c"), str("5"), str("d"), str("nan")})});
    BOOST_TEST(!ckg::store::block_scan_page_of(half_bad, out).has_value());
    BOOST_TEST(out.size() == 3u);
}

// A poll that calls for a whole read says where the change log starts (its
// floor; 0: no log), by which a replica tells a store that lost its data.
BOOST_AUTO_TEST_CASE(a_whole_read_poll_carries_the_change_logs_floor) {
    const auto integer = resp_integer;
    const auto array = resp_array;
    auto poll = ckg::store::block_poll_of(array({integer(900), integer(0), integer(700)}));
    BOOST_REQUIRE(poll.has_value());
    BOOST_TEST(poll->whole);
    BOOST_TEST(poll->floor == 700);
    poll =
        ckg::store::block_poll_of(array({integer(900), integer(0)}));  // an older replica's script
    BOOST_REQUIRE(poll.has_value());
    BOOST_TEST(poll->floor == 0);
    BOOST_TEST(!ckg::store::block_poll_of(array({integer(900), integer(0), integer(-1)})));
    BOOST_TEST(
        !ckg::store::block_poll_of(array({integer(900), integer(0), integer(1), integer(2)})));
}

// What a replica writes back to a store that lost its data: the blocks
// still running, nothing ended.
BOOST_AUTO_TEST_CASE(the_running_blocks_are_copied_out) {
    block_list b;
    BOOST_TEST(b.set("a", 100, 10));
    BOOST_TEST(b.set("b", 50, 10));
    auto running = b.running(60);
    BOOST_REQUIRE(running.size() == 1u);
    BOOST_TEST(running.front().first == "a");
    BOOST_TEST(running.front().second == 100);
    BOOST_TEST(b.running(100).empty());
}

// TIME's answer: two strings of digits, seconds and microseconds; anything
// else (a fraction, a sign, microseconds past a second) is malformed.
BOOST_AUTO_TEST_CASE(redis_time_is_read_strictly) {
    using ckg::store::resp_value;
    const auto time_of = [](std::string seconds, std::string micros) {
        resp_value v;
        v.type = resp_value::kind::array;
        for (auto* t : {&seconds, &micros}) {
            resp_value e;
            e.type = resp_value::kind::string;
            e.text = *t;
            v.elements.push_back(e);
        }
        return ckg::store::redis_time_ms_of(v).value_or(-1);
    };
    BOOST_TEST(time_of("1796210000", "999999") == 1796210000999);
    BOOST_TEST(time_of("1796210000", "0") == 1796210000000);
    BOOST_TEST(time_of("1796210000.9", "0") == -1);
    BOOST_TEST(time_of("-1796210000", "0") == -1);
    BOOST_TEST(time_of("1796210000", "1000000") == -1);
    BOOST_TEST(time_of("1e9", "0") == -1);
    BOOST_TEST(time_of("", "0") == -1);
}

// The registry write's EXEC answer: as many replies as commands, integers
// but the last, the user's block marker ("<until> <version>", nil: none),
// blocked while its leading digits name a later second than now.
BOOST_AUTO_TEST_CASE(a_registry_write_reads_the_block_marker_strictly) {
    using ckg::store::resp_value;
    constexpr std::int64_t now_s = 1'796'210'000;
    const auto exec = [](std::vector<resp_value::kind> kinds, std::string marker) {
        resp_value v;
        v.type = resp_value::kind::array;
        for (auto k : kinds) {
            resp_value e;
            e.type = k;
            e.text = k == resp_value::kind::string ? marker : std::string("1");
            v.elements.push_back(e);
        }
        return v;
    };
    using k = resp_value::kind;
    // 1 blocked, 0 not, -1 malformed.
    const auto as_int = [](std::optional<bool> b) { return b ? int(*b) : -1; };
    const auto blocked = [&](std::string marker) {
        return as_int(ckg::store::blocked_in_registry_write_of(
            exec({k::integer, k::integer, k::string}, marker), 3, now_s));
    };
    BOOST_TEST(blocked("1796210001 42") == 1);
    BOOST_TEST(blocked("1796210000 42") == 0);  // ends now
    BOOST_TEST(blocked("0 43") == 0);           // unblocked
    BOOST_TEST(blocked("0001796210001") == 1);
    BOOST_TEST(blocked("123456789012345678901234 1") == 1);
    BOOST_TEST(blocked("soon") == 0);
    BOOST_TEST(blocked("") == 0);
    const auto of = [&](std::vector<k> kinds, std::size_t commands) {
        return as_int(
            ckg::store::blocked_in_registry_write_of(exec(kinds, "1796210001 1"), commands, now_s));
    };
    BOOST_TEST(of({k::integer, k::integer, k::nil}, 3) == 0);
    BOOST_TEST(of({k::integer, k::integer, k::integer, k::string}, 4) == 1);
    BOOST_TEST(of({k::integer, k::integer, k::string}, 4) == -1);   // one reply short
    BOOST_TEST(of({k::integer, k::error, k::string}, 3) == -1);     // an error inside
    BOOST_TEST(of({k::integer, k::integer, k::integer}, 3) == -1);  // a marker not text
    BOOST_TEST(of({}, 0) == -1);
    resp_value error;
    error.type = k::error;
    BOOST_TEST(as_int(ckg::store::blocked_in_registry_write_of(error, 3, now_s)) == -1);
}

// A write-back's read of the user's revocation time: a session minted at or
// before it was revoked; no time (nil) revokes nothing; a value that is not
// a time counts as a revocation, as does any when the mint time is unknown.
BOOST_AUTO_TEST_CASE(a_write_back_reads_the_revocation_time_on_the_safe_side) {
    using ckg::store::resp_value;
    const auto value = [](resp_value::kind k, std::string text = {}, std::int64_t n = 0) {
        resp_value v;
        v.type = k;
        v.text = std::move(text);
        v.integer = n;
        return v;
    };
    using k = resp_value::kind;
    using ckg::store::revoked_since;
    constexpr std::int64_t minted = 1'796'210'000'500;
    BOOST_TEST(!revoked_since(value(k::nil), minted));
    BOOST_TEST(revoked_since(value(k::string, "1796210000500"), minted));  // at the mint
    BOOST_TEST(revoked_since(value(k::string, "1796210000501"), minted));
    BOOST_TEST(!revoked_since(value(k::string, "1796210000499"), minted));  // minted after
    BOOST_TEST(revoked_since(value(k::string, "soon"), minted));
    BOOST_TEST(revoked_since(value(k::string, "-5"), minted));
    BOOST_TEST(revoked_since(value(k::error, "WRONGTYPE"), minted));
    BOOST_TEST(revoked_since(value(k::integer, {}, 1), 0));
}

// Once a password went to the server, an error reply is logged as its code
// alone, and only as a code Redis uses: never its text, nor a "code" that
// spells out anything else in capitals.
BOOST_AUTO_TEST_CASE(only_known_error_codes_are_logged_of_a_redis_error) {
    BOOST_TEST(redis_error_code_of("WRONGPASS invalid username-password pair") == "WRONGPASS");
    BOOST_TEST(redis_error_code_of("ERR rev=7-wp hex=70772d37") == "ERR");
    BOOST_TEST(redis_error_code_of("NOSCRIPT No matching script.") == "NOSCRIPT");
    BOOST_TEST(redis_error_code_of("OOM") == "OOM");
    for (const auto* other : {"HAHHCNDH no", "ERRX y", "", " ERR", "err lower", "ERR\tx"})
        BOOST_TEST(redis_error_code_of(other) == "an error with another code", other);
}

// The block cache's order (store/block_cache_order): an own change
// answered after the poll got past its version is not applied; one newer
// than the poll's state stands against it until the poll passes it; past
// the cap of remembered changes an own change is still applied (pass 29:
// it was dropped while polls failed).
BOOST_AUTO_TEST_CASE(own_block_changes_keep_the_block_sets_order) {
    block_cache_order order;
    std::map<std::string, std::int64_t> cache;  // user -> until (0: unblocked)
    const auto own = [&](const std::string& user, std::int64_t until, std::int64_t version) {
        order.own_change(user, until, version, [&] { cache[user] = until; });
    };
    const auto poll = [&](std::int64_t version, const std::string& user, std::int64_t until) {
        order.bringing_to(version);
        order.poll_change(user, [&] { cache[user] = until; });
    };
    own("alice", 0, 10);  // the cache is at no version yet: applied
    BOOST_TEST(cache["alice"] == 0);
    poll(12, "alice", 500);  // another replica blocked her at 12
    own("alice", 0, 11);     // this replica's unblock at 11, answered late
    BOOST_TEST(cache["alice"] == 500);
    own("bob", 700, 20);  // newer than the poll's state
    poll(15, "bob", 0);   // the poll brings bob as of 15
    BOOST_TEST(cache["bob"] == 700);
    poll(20, "bob", 700);
    poll(25, "bob", 0);  // an unblock made since at 25: the own change was passed
    BOOST_TEST(cache["bob"] == 0);
    block_list::table table{{"carol", 900}};
    own("dave", 800, 30);
    order.replace(
        28, [&](const std::string& user, std::int64_t until) { table[user] = until; }, [] {});
    BOOST_TEST(table.at("dave") == 800);  // a whole read at 28 gets the own change at 30
    for (std::size_t i = 0; i <= block_cache_order::max_ahead; ++i)
        own(numbered("u", static_cast<int>(i)), 100, 40 + static_cast<std::int64_t>(i));
    BOOST_TEST(cache[numbered("u", static_cast<int>(block_cache_order::max_ahead))] == 100);
}

BOOST_AUTO_TEST_SUITE_END()
