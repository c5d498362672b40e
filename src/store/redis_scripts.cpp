#include "chatkit_gateway/store/redis_scripts.hpp"

#include <openssl/evp.h>

namespace ckg::store {
namespace {

// The bucket refills continuously; its key expires once it would be full
// again (a full bucket is the same as none). The day counter gets its TTL
// (an hour after its day ends) when this script creates it, and no one else
// writes it, so every key has a TTL. Each redis.call costs Redis a few
// microseconds more than the command (a mint's whole share of redis-server's
// CPU, docs/benchmarks.md): the usual mint makes four.
constexpr std::string_view mint_lua = R"lua(
local now = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local per_ms = tonumber(ARGV[3]) / 60000
local limit = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(b[1])
local updated = tonumber(b[2])
if tokens == nil or updated == nil then tokens = burst; updated = now end
if now > updated then
  tokens = math.min(burst, tokens + (now - updated) * per_ms)
  updated = now
end
if tokens < 1 then
  return {1, math.ceil((1 - tokens) / per_ms)}
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / per_ms) + 1000)
local used = redis.call('INCR', KEYS[2])
if used == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5])) end
if limit > 0 and used > limit then
  redis.call('DECR', KEYS[2])  -- a refused mint does not count
  return {2, 0}
end
return {0, used}
)lua";

// Records the session, then answers 2 when the user is blocked (KEYS[2],
// set by a revocation before it lists the sessions), else 1. Atomic, so a
// revocation either lists this session or is seen here.
constexpr std::string_view add_session_lua = R"lua(
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], math.max(tonumber(last[2]), now + 1))
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked ~= nil and blocked > now then return 2 end
return 1
)lua";

constexpr std::string_view block_lua = R"lua(
local now = tonumber(ARGV[1])
local until_s = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if until_s > now then
  redis.call('ZADD', KEYS[1], until_s, ARGV[2])
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
-- Never repeats, even after the version key expired: at least now in ms.
local version = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, tonumber(ARGV[4]))
-- Written with %d: tostring() would write 1e+14 from 10^14 on.
redis.call('SET', KEYS[2], string.format('%d', version))
-- The change log: this user at this version; a day of changes is kept.
redis.call('ZADD', KEYS[3], version, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%d', version - 86400000))
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local expire_at = now + 86400
if last[2] then expire_at = math.max(expire_at, tonumber(last[2]) + 86400) end
if last[2] then redis.call('EXPIREAT', KEYS[1], tonumber(last[2])) end
redis.call('EXPIREAT', KEYS[2], expire_at)
redis.call('EXPIREAT', KEYS[3], expire_at)
return version
)lua";

// {version} when nothing changed since the version known (ARGV[1]);
// {version, 1, user, until, ...} with the users changed since then (until
// 0: unblocked) when the change log still reaches back that far (its oldest
// entry is not newer: everything trimmed came before); else {version, 0,
// user, until, ...} with every live block.
constexpr std::string_view poll_blocks_lua = R"lua(
local version = tonumber(redis.call('GET', KEYS[2]) or '0')
if string.format('%d', version) == ARGV[1] then return {version} end
local known = tonumber(ARGV[1])
local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if known ~= nil and known < version and oldest[2] ~= nil and tonumber(oldest[2]) <= known then
  local out = {version, 1}
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf')) do
    table.insert(out, user)
    table.insert(out, redis.call('ZSCORE', KEYS[1], user) or '0')
  end
  return out
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf', 'WITHSCORES')
table.insert(live, 1, 0)
table.insert(live, 1, version)
return live
)lua";

}  // namespace

std::string sha1_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < len; ++i) {
        hex.push_back(digits[digest[i] >> 4]);
        hex.push_back(digits[digest[i] & 15]);
    }
    return hex;
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
const redis_script& add_session_script() {
    return cached<add_session_lua>();
}
const redis_script& block_script() {
    return cached<block_lua>();
}
const redis_script& poll_blocks_script() {
    return cached<poll_blocks_lua>();
}

}  // namespace ckg::store
