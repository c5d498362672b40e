// Remembers tokens that passed verification until they expire, so a client
// reusing its token (the common case) costs a hash lookup instead of a
// signature check. Keyed by the whole token (compared in full), bounded in
// entries and in bytes, sharded to keep lock contention low, cleared when
// keys change, and never refilled by a verification that read older keys.
#pragma once

#include "chatkit_gateway/auth/token_verifier.hpp"
#include "chatkit_gateway/core/string_hash.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ckg::auth {

struct authenticated_user {
    principal who;
    std::string upstream_user_id;
    std::string log_id;  // observability::user_hash(upstream_user_id), computed once per token
};

// The cache's default entry bound: enough for every user of a busy replica
// to reuse a token for its lifetime.
inline constexpr std::size_t token_cache_max_entries = 16384;

// The cache's byte bound. The manifests' 512 MiB limit already holds about
// 250 MiB of connections at max_connections 5000 (docs/operations.md), so
// the cache gets a fixed 32 MiB: about 10,000 entries of typical 1 KiB
// tokens, while 16,384 entries of 8 KiB tokens (about 14 KiB each with
// their decoded claims) would otherwise take about 230 MiB.
inline constexpr std::size_t token_cache_max_bytes = std::size_t{32} << 20;

class token_cache {
public:
    explicit token_cache(std::size_t max_entries = token_cache_max_entries,
                         std::chrono::seconds leeway = std::chrono::seconds(60),
                         std::size_t max_bytes = token_cache_max_bytes);

    // The cached user, if the token is cached and still within exp + leeway.
    std::shared_ptr<const authenticated_user> find(std::string_view token, std::int64_t now) const;
    // Caches `user`, verified against key generation `generation`. Refused
    // (false) when clear() has moved to a newer generation since: a
    // verification that read the old keys must not bring its token back.
    bool insert(std::string_view token, std::shared_ptr<const authenticated_user> user,
                std::uint64_t generation);
    // Forgets every token; from now on only `generation` may insert.
    void clear(std::uint64_t generation);
    std::size_t size() const;
    std::size_t bytes() const;  // the estimated memory of every entry

    // The estimated memory of one entry: the key, the user and its claims.
    static std::size_t entry_bytes(std::string_view token, const authenticated_user& user);

private:
    static constexpr std::size_t shard_count = 16;
    struct entry {
        std::shared_ptr<const authenticated_user> user;
        std::size_t bytes = 0;
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, entry, ckg::string_hash, std::equal_to<>> entries;
        std::size_t bytes = 0;
    };
    shard& shard_for(std::string_view token) const;
    static void erase(shard& s, decltype(shard::entries)::iterator it);

    std::size_t per_shard_entries_;
    std::size_t per_shard_bytes_;
    std::int64_t leeway_;
    std::atomic<std::uint64_t> generation_{0};
    mutable std::array<shard, shard_count> shards_;
};

}  // namespace ckg::auth
