// The blocks a replica knows: upstream user id -> end of the block (Unix
// seconds). Read on every public request, so a lookup takes only a shared
// lock. Bounded in entries and in bytes of user ids, whichever path adds
// them (a block made here, the change log, a whole read): past either
// bound expired blocks are dropped first (looked for at most once a
// second), and a new block beyond it is refused (the caller reports it).
// Thread-safe.
#pragma once

#include "chatkit_gateway/core/string_hash.hpp"

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ckg::store {

class block_list {
public:
    using table = std::unordered_map<std::string, std::int64_t, ckg::string_hash, std::equal_to<>>;

    // 1,000,000 ids of 100 bytes (an HMAC id is 64 plus users.prefix).
    // Longer ids, written by hand or by something posing as Redis, fill
    // the bytes sooner.
    static constexpr std::size_t default_max_bytes = 100'000'000;
    // No upstream user id is longer: a claim arrives in a request header
    // (at most 16 KiB) and users.prefix is short. A longer one, from
    // something posing as Redis, is refused like a block past the bounds.
    static constexpr std::size_t max_id_bytes = 64 * 1024;

    explicit block_list(std::size_t max_entries = 1'000'000,
                        std::size_t max_bytes = default_max_bytes)
        : max_entries_(max_entries), max_bytes_(max_bytes) {}

    // False when the list is full of live blocks (entries or bytes), or
    // `user` is longer than max_id_bytes.
    bool set(std::string_view user, std::int64_t until, std::int64_t now_s);
    void clear(std::string_view user);
    std::optional<std::int64_t> until(std::string_view user, std::int64_t now_s) const;
    // Replaces everything with a snapshot from the shared store (what fits
    // the bounds of it kept), built by the caller: the lock every request
    // takes is held only for a swap. Returns the table replaced, for the
    // caller to free, outside the lock.
    table replace(table blocks);
    std::size_t size() const;
    // A copy of the blocks still running at `now_s` (user, end), to restore
    // them to a shared store that lost its data.
    std::vector<std::pair<std::string, std::int64_t>> running(std::int64_t now_s) const;

private:
    bool full_for(std::size_t user_bytes) const noexcept {
        return blocks_.size() >= max_entries_ || bytes_ + user_bytes > max_bytes_;
    }

    std::size_t max_entries_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;          // of the user ids in blocks_
    std::int64_t purged_at_s_ = -1;  // when ended blocks were last looked for, full
    mutable std::shared_mutex mutex_;
    table blocks_;
};

}  // namespace ckg::store
