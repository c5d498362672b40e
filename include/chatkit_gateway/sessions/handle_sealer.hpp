// Session handles (docs/api.md): the upstream session id, the upstream
// user id and the expiry, sealed with AES-256-GCM under the handle key. A
// handle is opaque and URL-safe, opens on every replica sharing the key, and
// is useless to anyone else. Layout (before base64url):
//   key id (4 bytes: SHA-256(key) prefix) | nonce (12, random) | ciphertext | tag (16)
// The key id lets a replica holding both the new and the previous key during
// a rotation pick the right one (see docs/operations.md, "handle key rotation").
#pragma once

#include "chatkit_gateway/core/secret.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::sessions {

struct handle_contents {
    std::string session_id;
    std::string user_id;  // the upstream user id the session was minted for
    std::int64_t expires_at = 0;
};

enum class open_error { malformed, unknown_key, tampered, other_user, expired };
std::string_view open_error_name(open_error e) noexcept;

class handle_sealer {
public:
    // `current` seals and opens; `previous` (during a rotation) only opens.
    explicit handle_sealer(secret current, std::optional<secret> previous = std::nullopt);

    std::string seal(const handle_contents& contents) const;

    // The longest handle open() reads. Every handle seal() makes for a user
    // id from a token (at most 8 KiB) and an upstream session id (at most
    // 512 bytes, api/session_handlers.cpp) is shorter, and fits a request's
    // 16 KiB header limit; the bound only caps the work a forged one costs.
    static constexpr std::size_t max_handle_chars = 16384;

    // Opens a handle for `user_id` at time `now`; the error says why not.
    struct opened {
        std::optional<handle_contents> contents;
        open_error error = open_error::malformed;
    };
    opened open(std::string_view handle, std::string_view user_id, std::int64_t now) const;

private:
    struct key_entry {
        secret key;
        std::string id;  // 4 bytes
    };
    std::vector<key_entry> keys_;
    std::uint64_t serial_;  // names this sealer's cached cipher contexts (see handle_sealer.cpp)
};

}  // namespace ckg::sessions
