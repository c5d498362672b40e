// Key names in Redis (docs/operations.md, "Redis keys"). Every key starts
// with redis.key_prefix; a user's keys share the hash tag "{<user id>}" so
// that a cluster proxy keeps them on one slot (one Lua script may touch
// them all); the block set and its version share the tag "{blocks}". A
// hash tag ends at the first '}', so the user id goes in with '%' and '}'
// percent-encoded: any id is one whole, non-empty tag, and distinct ids
// stay distinct keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ckg::store {

class redis_keys {
public:
    explicit redis_keys(std::string prefix) : prefix_(std::move(prefix)) {}

    // <prefix>{<user>}:bucket:full_at: the token bucket, as the instant it
    // would be full again (Unix microseconds).
    std::string bucket(std::string_view user) const { return user_key(user, ":bucket:full_at"); }
    // <prefix>{<user>}:day:<days since epoch>: mints on that UTC day.
    std::string day(std::string_view user, std::int64_t utc_day) const {
        return user_key(user, ":day:" + std::to_string(utc_day));
    }
    // <prefix>{<user>}:sessions: sorted set session id -> expires_at.
    std::string sessions(std::string_view user) const { return user_key(user, ":sessions"); }
    // <prefix>{<user>}:blocked: "<until> <version>", blocked until (Unix
    // seconds, 0: unblocked) as of the block set's change `version`; expires
    // with the block (an unblock's after a day); read by the registry
    // write, a transaction on the same slot as the sessions.
    std::string blocked(std::string_view user) const { return user_key(user, ":blocked"); }
    // <prefix>{<user>}:revoked: when (Unix ms) the user was last revoked;
    // read by the write-back of sessions recorded in process while Redis
    // failed, which cancels those minted before it.
    std::string revoked(std::string_view user) const { return user_key(user, ":revoked"); }
    // <prefix>{<user>}:handed:<id>: that a replica's hand-over `id` of mints
    // it admitted in process was added to the day count; expires with it.
    std::string hand_over(std::string_view user, std::string_view id) const {
        return user_key(user, std::string(":handed:").append(id));
    }
    // <prefix>{blocks}:set: sorted set user -> blocked until (Unix seconds).
    std::string blocks() const { return prefix_ + "{blocks}:set"; }
    // <prefix>{blocks}:version: bumped by every block and unblock.
    std::string blocks_version() const { return prefix_ + "{blocks}:version"; }
    // <prefix>{blocks}:changes: sorted set user -> version of its last
    // block or unblock (a day of them), so a poll fetches only what changed.
    std::string blocks_changes() const { return prefix_ + "{blocks}:changes"; }
    // <prefix>{blocks}:versions: sorted set of every version made (a day of
    // them), so a poll can tell that the versions a replica read are still
    // Redis's history (none lost to an older snapshot).
    std::string blocks_versions() const { return prefix_ + "{blocks}:versions"; }

private:
    std::string user_key(std::string_view user, std::string_view suffix) const {
        std::string key;
        key.reserve(prefix_.size() + user.size() + suffix.size() + 2);
        key.append(prefix_).append("{");
        // A usual id has neither character (two memchr scans): copied at once.
        const bool plain =
            user.find('%') == std::string_view::npos && user.find('}') == std::string_view::npos;
        std::size_t from = 0;
        for (std::size_t i = 0; !plain && i < user.size(); ++i) {
            if (user[i] != '%' && user[i] != '}') continue;
            key.append(user.substr(from, i - from)).append(user[i] == '%' ? "%25" : "%7D");
            from = i + 1;
        }
        key.append(user.substr(from)).append("}").append(suffix);
        return key;
    }
    std::string prefix_;
};

}  // namespace ckg::store
