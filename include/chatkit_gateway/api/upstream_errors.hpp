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

// Puts the upstream's own request id (x-request-id) on the access line as
// `upstream_request_id` when the reply carried one: the id its vendor's
// support asks for. The latest call's wins when a request made several.
void note_upstream_request_id(http_server::reply& r, const result<upstream::upstream_response>& up);

}  // namespace ckg::api
