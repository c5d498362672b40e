// What may go into a log line about users and upstream replies: a short,
// stable hash instead of the user id, and upstream text with anything that
// looks like a key, a client secret or a bearer token replaced.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ckg::observability {

// The first 16 hex digits of SHA-256(upstream user id): enough to follow one
// user through the logs, not enough to recover the id.
std::string user_hash(std::string_view upstream_user_id);

// Peer text (an upstream error body, a Redis error) made fit for a log line:
// every piece of 8 or more bytes of a registered secret, also one the peer
// wrote with JSON \u or \/ escapes or %XX, replaced by "[redacted]"; then
// truncated to at most `max_chars` bytes, never inside a UTF-8 character;
// then "sk-...", "ek_..." and "Bearer ..." replaced too.
std::string redact_for_log(std::string_view text, std::size_t max_chars = 512);

// The secrets of this process's configuration (the upstream API key, the
// admin token, the Redis password, HS256 issuer secrets), registered at
// start-up (app.cpp). A peer may echo one back in text the gateway logs (an
// upstream's or a Redis server's error message), in another letter case or
// cut short, and no pattern knows a key that does not look like one; so
// every string a log line carries is scrubbed of them (log_line.cpp): each
// copy in any ASCII letter case, and the last bytes of a string when they
// are the first 8 or more of one (a copy cut by a truncation), become
// "[redacted]". Secrets under 8 bytes are not registered: scrubbing them
// would take words out of every line. Thread-safe.
void register_secret(std::string_view secret);

// Scrubs text[from, to), JSON text as log_line writes it, of the registered
// secrets, in place; `to` moves with it. `string_end`: the range is the
// inside of one string value, so a cut copy at its end counts too; else it
// is any JSON value, scrubbed inside its strings only.
void scrub_secrets(std::string& text, std::size_t from, std::size_t& to, bool string_end);

// `text` with every occurrence of the upstream user id, as is or as it
// appears inside a JSON string, replaced by "[user <user_hash>]": upstream
// error text may quote the id, which is the end user's own claim value in
// the plain id mode (docs/operations.md, "Logs").
std::string without_user(std::string_view text, std::string_view upstream_user_id);

}  // namespace ckg::observability
