// The Lua scripts the Redis store runs (with EVALSHA; the text is sent with
// EVAL only after a NOSCRIPT reply). Each one is atomic on the server, so
// concurrent replicas can never over-admit.
#pragma once

#include <string>
#include <string_view>

namespace ckg::store {

struct redis_script {
    std::string_view text;
    std::string sha1;  // lowercase hex, as EVALSHA wants it
};

// KEYS: bucket, day. ARGV: refill interval µs, tolerance µs ((burst - 1)
// intervals), daily limit (0: none), day key TTL s. The time is Redis's.
// Returns {0, count today} admitted, {1, retry ms} rate limited, {2, 0}
// over the quota. One round trip per mint (the registry write after the
// upstream call is a MULTI/EXEC transaction, redis_state::add_session).
const redis_script& mint_script();
// KEYS: blocks, version, changes, versions. ARGV: now s, user, until (0:
// unblock), now ms, seconds after their end (by Redis's clock) that blocks
// are dropped, and for a write-back the version known before the loss.
// Returns the new version (0: a write-back that yields).
const redis_script& block_script();
// KEYS: blocks, version, changes, versions. ARGV: known version, most
// changes in one reply, most bytes of their user ids, optionally the newest
// version seen. Returns {version} when unchanged, {version, 1, user1,
// until1, ...} of the users changed since, or {version, 0, floor}: read the
// whole set.
const redis_script& poll_blocks_script();
// KEYS: the user's blocked marker. ARGV: until (0: unblocked), the block
// script's version, TTL ms. Writes it unless a later version did.
const redis_script& mark_blocked_script();
// KEYS: the user's day count, the hand-over's marker. ARGV: mints to add,
// TTL s of both. Adds them once per marker (a hand-over sent again after
// its answer was lost is not counted twice). Returns the day's count.
const redis_script& hand_over_day_script();

// Lowercase hex SHA-1 of `text`.
std::string sha1_hex(std::string_view text);

}  // namespace ckg::store
