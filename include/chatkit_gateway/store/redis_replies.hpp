// The replies of the gateway's Redis commands and scripts, read into typed
// outcomes: every number must lie in 0 ... 2^53 - 1 (a count or a time) and
// every reply must have the shape its command answers; nullopt (or false)
// means malformed, which the caller takes as a store error. All of it reads
// what a Redis server, or something posing as one, sent: the Redis reply
// fuzz target runs each reply it reads through these
// (tests/fuzz/resp_reader_fuzzer.cpp).
#pragma once

#include "chatkit_gateway/store/resp_value.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckg::store {

// Every number the gateway keeps in Redis is a count or a time, from 0 to
// 2^53 - 1; anything else in a reply makes the reply malformed.
constexpr std::int64_t max_stored_number = (std::int64_t{1} << 53) - 1;

// Users and the ends of their blocks (Unix seconds; 0: none).
using block_ends = std::vector<std::pair<std::string, std::int64_t>>;

// A number from Redis: an integer reply, or decimal text (sorted-set
// scores, GET); nullopt when it is neither or outside 0 ... 2^53 - 1.
std::optional<std::int64_t> integer_of(const resp_value& v);
// integer_of, where a missing key (nil) counts as 0.
std::optional<std::int64_t> integer_or_zero(const resp_value& v);
// A block's end in a poll reply or a scan page: Unix seconds, 0 for none.
// Every score Redis can hold is an end: one no block script writes (set by
// hand: -inf, negative, 1e300, +inf) counts as ended (at or below 0) or for
// good (from 2^53 on), so that one such member cannot fail every later
// read of the block set. nullopt when malformed (no number, NaN).
std::optional<std::int64_t> block_end_of(const resp_value& v);
// Appends the (user, end) pairs of a flat [user, end, user, end, ...]
// array from element `from` on; false when one is malformed.
bool append_block_ends(const std::vector<resp_value>& e, std::size_t from, block_ends& out);

// What the block poll answered: nothing new, the users changed since the
// version known, or that the whole set must be read (docs/operations.md,
// "How blocks reach every replica").
struct block_poll {
    std::int64_t version = 0;
    bool changed = false;    // else nothing new
    bool whole = false;      // read the whole set, else `ends` has the users changed
    block_ends ends;         // end 0: unblocked
    std::int64_t floor = 0;  // a whole read's change log floor (0: no log, or not said)
};
std::optional<block_poll> block_poll_of(const resp_value& v);

// One ZSCAN page of the block set: appends its (user, end) pairs to `out`
// and returns the cursor of the next page ("0": that was the last);
// nullopt, with `out` as it was, when malformed.
std::optional<std::string> block_scan_page_of(const resp_value& v, block_ends& out);

// TIME's answer, [seconds, microseconds], in Unix milliseconds; nullopt
// when malformed.
std::optional<std::int64_t> redis_time_ms_of(const resp_value& v);

// What the mint script answered: {verdict, n}, verdict 0 (admitted, n = the
// day's count), 1 (rate limited, n = ms until a token) or 2 (over quota).
std::optional<std::pair<std::int64_t, std::int64_t>> mint_reply_of(const resp_value& v);

// What EXEC answered to a registry write (the commands between MULTI and
// EXEC, the user's block marker read by the last: GET), as whether that
// marker says the user is blocked at `now_s` (Unix seconds): its leading
// digits, "<until> <version>", name a later second (none, or no marker: not
// blocked). nullopt when malformed: not an array of `commands` replies,
// one before the last not an integer (an error among them), the marker
// neither text nor nil.
std::optional<bool> blocked_in_registry_write_of(const resp_value& exec, std::size_t commands,
                                                 std::int64_t now_s);

// Whether the user's revocation time (GET of its revoked key: Unix ms, or
// nil for none) is at or after `minted_at` (Unix ms; 0: unknown, so any
// revocation counts). A value that is not a time counts as a revocation:
// cancelling a session is the safe side.
bool revoked_since(const resp_value& revoked_at, std::int64_t minted_at);

// The error code of a Redis error reply (its text's first word) when it is
// one Redis servers use (ERR, WRONGPASS, OOM, READONLY, ...), else "an
// error with another code": all of an error reply that may be logged once
// a password went to the server, which could echo it in any form, even
// spelled out as a code of capitals.
std::string_view redis_error_code_of(std::string_view text);

}  // namespace ckg::store
