// Remembers tokens that passed verification until they expire, so a client
// reusing its token (the common case) costs a hash lookup instead of a
// signature check. Keyed by the whole token (compared in full), bounded in
// memory, sharded to keep lock contention low, cleared when keys change.
#pragma once

#include "chatkit_gateway/auth/token_verifier.hpp"

#include <array>
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

class token_cache {
public:
    explicit token_cache(std::size_t capacity = 16384,
                         std::chrono::seconds leeway = std::chrono::seconds(60));

    // The cached user, if the token is cached and still within exp + leeway.
    std::shared_ptr<const authenticated_user> find(std::string_view token, std::int64_t now) const;
    void insert(std::string_view token, std::shared_ptr<const authenticated_user> user);
    void clear();
    std::size_t size() const;

private:
    static constexpr std::size_t shard_count = 16;
    // Transparent hashing: look-ups take the token's view without copying it.
    struct token_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<const authenticated_user>, token_hash,
                           std::equal_to<>>
            entries;
    };
    shard& shard_for(std::string_view token) const;

    std::size_t per_shard_capacity_;
    std::int64_t leeway_;
    mutable std::array<shard, shard_count> shards_;
};

}  // namespace ckg::auth
