#include "chatkit_gateway/store/redis_scripts.hpp"

#include "chatkit_gateway/core/hex.hpp"

#include <openssl/evp.h>

namespace ckg::store {
namespace {

// The token bucket is kept as one number: the instant (Unix microseconds,
// Redis's clock) at which it would be full again. Its level follows from it
// (burst minus the time to that instant over the refill interval), so a mint
// is admitted when that instant is at most (burst - 1) intervals away, and
// moves it one interval on; the key expires at that instant (a full bucket
// is the same as none). The time is Redis's own (TIME), not the caller's:
// replicas whose clocks differ still share one bucket. A stored value this
// script cannot have written (not a number, or further ahead than an empty
// bucket) counts as full, or as empty when too far ahead, and is rewritten
// with a TTL, so it never locks a user out; a day counter that INCR cannot
// count (another type, not an integer) starts the day afresh. Nothing fails
// half-way, after the bucket took its token. Only integers pass between Lua
// and Redis: turning a fraction into text costs Redis more than the command.
// The day counter gets its TTL (an hour after its day ends) when this
// script creates it, and no one else writes it, so every key has a TTL.
// Each redis.call costs Redis a few microseconds more than the command (a
// mint's whole share of redis-server's CPU, docs/benchmarks.md): the usual
// mint makes four.
constexpr std::string_view mint_lua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local function store(full_at)
  redis.call('SET', KEYS[1], string.format('%d', full_at),
             'PX', string.format('%d', math.ceil((full_at - now) / 1000)))
end
local stored = redis.pcall('GET', KEYS[1])
local value = type(stored) == 'string' and tonumber(stored) or nil
local full_at = now
local repaired = false
if value ~= nil and value == value and value > now then
  full_at = value
  if full_at > now + tolerance + interval then
    full_at = now + tolerance + interval
    repaired = true
  end
end
local wait = full_at - now - tolerance
if wait > 0 then
  if repaired then store(full_at) end
  return {1, math.ceil(wait / 1000)}
end
store(full_at + interval)
local used = redis.pcall('INCR', KEYS[2])
if type(used) ~= 'number' then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])  -- not a count this script wrote
  used = 1
elseif used == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
if ARGV[3] ~= '0' and used > tonumber(ARGV[3]) then
  redis.call('DECR', KEYS[2])  -- a refused mint does not count
  return {2, 0}
end
return {0, used}
)lua";

// The user's block marker (KEYS[1], read by the registry write), as
// "<until> <version>", written for the block-set change `version` (ARGV[2])
// unless a later change wrote it already: a block and an unblock of one
// user on two replicas at once leave the marker of the one the block set
// kept (the later version). An unblock writes until 0, kept a day (so that
// a slower block's marker cannot follow it), not a deletion. ARGV: until
// (Unix seconds, 0: unblocked), version, TTL ms. Returns 1 written, 0 not.
constexpr std::string_view mark_blocked_lua = R"lua(
local old = redis.call('GET', KEYS[1])
if old then
  local written = tonumber(string.match(old, ' (%d+)$') or '0')
  if written ~= nil and written > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return 1
)lua";

// Mints a replica admitted in process while Redis failed, added to the
// user's day count (docs/operations.md, "When Redis fails"). The marker,
// written first, makes a hand-over count once however often it is sent
// (its answer lost, it is sent again), and is the script's first write:
// Redis out of memory refuses the script whole. A day count of another
// type (set by hand) starts the day afresh, as the mint script does.
constexpr std::string_view hand_over_day_lua = R"lua(
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return tonumber(redis.pcall('GET', KEYS[1])) or 0
end
local used = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(used) ~= 'number' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return tonumber(ARGV[1])
end
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return used
)lua";

// Blocks are trimmed by Redis's clock (TIME) once they ended at least
// ARGV[5] seconds before: trimmed by the caller's clock, a replica whose
// clock ran ahead dropped other users' blocks still running from the set,
// and the status and replicas started afterwards missed them. The keys'
// expiry is set by Redis's clock too (EXPIREAT is read by it). A block
// refused with a 503 must not be half made (blocked in the set, without
// the marker a registry write reads: docs/operations.md, "When Redis
// fails"). Redis out of memory refuses a script's first write command
// when it is one that may grow memory, and lets every later one through:
// so this script reads all it needs first, and its first write is the
// version's SET.
constexpr std::string_view block_lua = R"lua(
-- Numbers read back are clamped to what this script writes: a value set by
-- hand (garbage, -inf, +inf, huge) must not fail the script half-way,
-- after some of its writes (Redis does not undo them), nor every later
-- block and unblock.
local function clamped(x, lo, hi)
  x = tonumber(x)
  if x == nil or x ~= x or x < lo then return lo end
  if x > hi then return hi end
  return x
end
local max = 9007199254740991
local now = tonumber(ARGV[1])
local until_s = tonumber(ARGV[3])
-- A key of another type, set by hand, would fail a command below after
-- the writes before it. The block set is refused before any write (its
-- blocks are already gone); the version, the log and the versions are its
-- bookkeeping: overwritten or dropped and started again (the replicas
-- then read the whole set once, as after a loss).
local function type_of(key) return redis.call('TYPE', key)['ok'] end
local set_type = type_of(KEYS[1])
if set_type ~= 'zset' and set_type ~= 'none' then
  return redis.error_reply('ERR the block set is not a sorted set')
end
local version_is_string = type_of(KEYS[2]) == 'string'
local log_is_zset = type_of(KEYS[3]) == 'zset'
-- A block written back after Redis lost its data (ARGV[6]: the version the
-- replica knew before) yields to a change made to that user since, which
-- the log holds at a later version (an older entry, from a snapshot, does
-- not count): 0, nothing written.
if ARGV[6] and log_is_zset then
  local changed = redis.call('ZSCORE', KEYS[3], ARGV[2])
  if changed and tonumber(changed) > tonumber(ARGV[6]) then return 0 end
end
local redis_now = tonumber(redis.call('TIME')[1])
-- Never repeats, even after the version key expired: at least now in ms.
local stored = false
if version_is_string then stored = redis.call('GET', KEYS[2]) end
-- A version further ahead than a day of blocks (one a millisecond) could
-- take was not written here: starting again from now in ms, the replicas
-- take it as a store that lost its data, and later versions grow again.
local prior = clamped(stored or 0, 0, max - 1)
if prior > tonumber(ARGV[4]) + 86400000 then prior = 0 end
local version = math.max(prior + 1, tonumber(ARGV[4]))
-- The first write (SET replaces a key of any type). Written with %d:
-- tostring() would write 1e+14 from 10^14 on.
redis.call('SET', KEYS[2], string.format('%d', version))
for i = 3, 4 do
  local t = type_of(KEYS[i])
  if t ~= 'zset' and t ~= 'none' then redis.call('DEL', KEYS[i]) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', redis_now - tonumber(ARGV[5])))
if until_s > now then
  redis.call('ZADD', KEYS[1], until_s, ARGV[2])
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
-- The change log: this user at this version; a day of changes is kept.
-- Its member '' (no user id is empty) scores the log's floor: every change
-- after that version is in the log. A log without one holds every change
-- after the version before this one (none: nothing before is known) and
-- from its oldest entry on; a trimmed entry raises the floor to its
-- version. So after a quiet day a replica that knows the last version
-- still reads only the changes, not the whole set.
local floor = redis.call('ZSCORE', KEYS[3], '')
if not floor then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  floor = math.min(stored and prior or version, clamped(oldest[2] or version, 0, version))
end
floor = clamped(floor, 0, version)
local cut = '(' .. string.format('%d', version - 86400000)
local trimmed = redis.call('ZREVRANGEBYSCORE', KEYS[3], cut, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
if trimmed[2] then floor = math.max(floor, clamped(trimmed[2], 0, version)) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', cut)
redis.call('ZADD', KEYS[3], version, ARGV[2])
redis.call('ZADD', KEYS[3], string.format('%d', floor), '')
-- Every version made in the day, which the poll checks the versions a
-- replica read against.
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cut)
redis.call('ZADD', KEYS[4], version, string.format('%d', version))
-- The set expires with its last block; one set by hand for good (or beyond
-- any block this script makes, a year) keeps it two years at most.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local expire_at = redis_now + 86400
if last[2] then
  local set_end = clamped(last[2], redis_now + 1, redis_now + 2 * 31536000)
  redis.call('EXPIREAT', KEYS[1], string.format('%d', set_end))
  expire_at = math.max(expire_at, set_end + 86400)
end
redis.call('EXPIREAT', KEYS[2], string.format('%d', expire_at))
redis.call('EXPIREAT', KEYS[3], string.format('%d', expire_at))
redis.call('EXPIREAT', KEYS[4], string.format('%d', expire_at))
return version
)lua";

// {version} when nothing changed since the version known (ARGV[1]);
// {version, 1, user, until, ...} with the users changed since then (until
// 0: unblocked) when the change log still reaches back that far (its floor,
// or for a log written without one its oldest entry, is not newer) and
// holds at most ARGV[2] of them, their ids at most ARGV[3] bytes together
// (a reply must stay under the connection's cap); else {version, 0, floor}
// (floor 0: no log): the caller reads the whole set a page at a time
// (ZSCAN), so that no reply grows with the number of blocks. A floor past the version a replica
// polled within the day means the log lost changes a day cannot have
// trimmed: Redis lost its data. So does a version the replica read or
// wrote (ARGV[1], and ARGV[4] when given: the newest it saw) that the log
// vouches for (past its floor, not past the version) but that is not in
// the day's versions: Redis went back to an older snapshot (or a replica
// that lagged) and has changed since. The reply then says the log reaches
// back to the version only: {version, 0, version}.
constexpr std::string_view poll_blocks_lua = R"lua(
-- A key of another type (set by hand) reads as none: the block script
-- drops it at the next change.
local function typed(key, t) return redis.call('TYPE', key)['ok'] == t end
local version = 0
if typed(KEYS[2], 'string') then version = tonumber(redis.call('GET', KEYS[2])) end
if version == nil or version ~= version or version < 0 or version > 9007199254740991 then
  version = 0  -- not a version the block script wrote: its next block writes one
end
if string.format('%d', version) == ARGV[1] then return {version} end
local known = tonumber(ARGV[1])
local floor = nil
if typed(KEYS[3], 'zset') then
  floor = redis.call('ZSCORE', KEYS[3], '')
  if not floor then floor = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2] end
end
-- A set of versions made before the script kept them lacks some: only
-- one that exists is asked.
local kept = typed(KEYS[4], 'zset')
local function made(v)
  local n = tonumber(v)
  return n == nil or not kept or not floor or n <= tonumber(floor) or n > version
      or redis.call('ZSCORE', KEYS[4], v) ~= false
end
if not made(ARGV[1]) or (ARGV[4] and not made(ARGV[4])) then return {version, 0, version} end
-- The changes since `known`, or nil past ARGV[3] bytes of ids.
local function changes()
  local out = {version, 1}
  local bytes = 0
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf')) do
    if user ~= '' then
      bytes = bytes + #user
      if bytes > tonumber(ARGV[3]) then return nil end
      table.insert(out, user)
      table.insert(out, redis.call('ZSCORE', KEYS[1], user) or '0')
    end
  end
  return out
end
if known ~= nil and known < version and floor and tonumber(floor) <= known
    and redis.call('ZCOUNT', KEYS[3], '(' .. ARGV[1], '+inf') <= tonumber(ARGV[2]) then
  local out = changes()
  if out then return out end
end
local f = tonumber(floor)
if f == nil or f ~= f or f < 0 or f > 9007199254740991 then f = 0 end
return {version, 0, f}
)lua";

}  // namespace

std::string sha1_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

namespace {

// Each script's SHA-1 is computed once, on first use.
template <const std::string_view& Text>
const redis_script& cached() {
    static const redis_script s{Text, sha1_hex(Text)};
    return s;
}

}  // namespace

const redis_script& mint_script() {
    return cached<mint_lua>();
}
const redis_script& block_script() {
    return cached<block_lua>();
}
const redis_script& poll_blocks_script() {
    return cached<poll_blocks_lua>();
}
const redis_script& mark_blocked_script() {
    return cached<mark_blocked_lua>();
}
const redis_script& hand_over_day_script() {
    return cached<hand_over_day_lua>();
}

}  // namespace ckg::store
