// How an upstream outcome becomes our answer (docs/api.md), in one place:
// 429/503 -> 503 upstream_unavailable with Retry-After (the upstream's own
// when sane, at most 60 s); any other 4xx/5xx or an unreadable reply -> 502
// upstream_error; transport failures keep their code (503, 504, 502). The
// upstream's error body goes to the log only, with anything key-like redacted
// and the user's id replaced by its hash.
#pragma once

#include "chatkit_gateway/http/error_response.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/upstream/https_client.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace ckg::api {

// The error for a non-2xx reply or a failed call; nullopt for a 2xx reply.
// With `thread_lookup`, an upstream 404 is our 404 (the thread does not exist).
// `user`: the upstream user id the call was made for.
std::optional<http_server::api_error> upstream_failure(const result<upstream::upstream_response>& r,
                                                       std::string_view user,
                                                       bool thread_lookup = false);

// The error for a 2xx reply that could not be used, as reading it found
// (`f`). An upstream_error (unreadable, or about another session or thread)
// also counts as the `operation`'s malformed_reply; not_found (another
// user's thread) is an answer, not an upstream fault.
http_server::api_error unusable_reply(observability::metrics& metrics, std::string_view operation,
                                      const failure& f);

// Puts the upstream call on the access line (docs/operations.md, "Logs"):
// `upstream_ms` and `upstream_us` since `started` (a request making two
// calls counts from the first's start to the second's end),
// `upstream_status` when a reply came, and the upstream's own request id
// (x-request-id) as `upstream_request_id` when it sent one: the id its
// vendor's support asks for. `up` is the request's latest call.
void note_upstream(http_server::reply& r, const result<upstream::upstream_response>& up,
                   std::chrono::steady_clock::time_point started);

}  // namespace ckg::api
