// The blocks a replica knows: upstream user id -> end of the block (Unix
// seconds). Read on every public request, so a lookup takes only a shared
// lock. Bounded: past `max_entries` expired blocks are dropped first (looked
// for at most once a second), and a new block beyond that is refused (the
// caller reports it). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ckg::store {

class block_list {
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

public:
    using table = std::unordered_map<std::string, std::int64_t, string_hash, std::equal_to<>>;

    explicit block_list(std::size_t max_entries = 1'000'000) : max_entries_(max_entries) {}

    // False when the list is full of live blocks.
    bool set(std::string_view user, std::int64_t until, std::int64_t now_s);
    void clear(std::string_view user);
    std::optional<std::int64_t> until(std::string_view user, std::int64_t now_s) const;
    // Replaces everything with a snapshot from the shared store (at most
    // max_entries of it kept), built by the caller: the lock every request
    // takes is held only for a swap. Returns the table replaced, for the
    // caller to free, outside the lock.
    table replace(table blocks);
    std::size_t size() const;

private:
    std::size_t max_entries_;
    std::int64_t purged_at_s_ = -1;  // when ended blocks were last looked for, full
    mutable std::shared_mutex mutex_;
    table blocks_;
};

}  // namespace ckg::store
