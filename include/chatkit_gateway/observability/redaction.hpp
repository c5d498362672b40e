// What may go into a log line about users and upstream replies: a short,
// stable hash instead of the user id, and upstream text with anything that
// looks like a key, a client secret or a bearer token replaced.
#pragma once

#include <string>
#include <string_view>

namespace ckg::observability {

// The first 16 hex digits of SHA-256(upstream user id): enough to follow one
// user through the logs, not enough to recover the id.
std::string user_hash(std::string_view upstream_user_id);

// Replaces "sk-...", "ek_..." and "Bearer ..." with "[redacted]"; truncates
// to at most `max_chars` bytes, never inside a UTF-8 character.
std::string redact_for_log(std::string_view text, std::size_t max_chars = 512);

}  // namespace ckg::observability
