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

// `text` with every occurrence of the upstream user id, as is or as it
// appears inside a JSON string, replaced by "[user <user_hash>]": upstream
// error text may quote the id, which is the end user's own claim value in
// the plain id mode (docs/operations.md, "Logs").
std::string without_user(std::string_view text, std::string_view upstream_user_id);

}  // namespace ckg::observability
