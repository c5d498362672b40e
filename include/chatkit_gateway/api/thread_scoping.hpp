// The thread proxy's rules (docs/api.md), as pure functions: query
// and id validation on the raw text, the upstream query with the `user`
// filter always forced to the caller, and defence in depth on what comes
// back (foreign threads dropped, first_id/last_id recomputed).
#pragma once

#include "chatkit_gateway/core/result.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace ckg::api {

// The one public sentence for a thread that does not exist and for one that
// is another user's: the two must look the same (docs/api.md, "Threads").
inline constexpr std::string_view thread_not_found_message =
    "Thread not found: it does not exist, or it is not yours.";

// ^[A-Za-z0-9_-]{1,128}$ on the raw (undecoded) text.
bool is_valid_id(std::string_view raw) noexcept;

// Validates limit/after/before/order (anything else, a repeat, or `user`:
// invalid_request) and returns the upstream query string, without '?'.
// With `for_user`, "user=<percent-encoded id>" comes first.
result<std::string> upstream_list_query(std::string_view raw_query, const std::string* for_user);

// The upstream list with every thread not owned by `user` removed.
result<boost::json::object> scope_thread_list(std::string_view upstream_body,
                                              std::string_view user);

// The upstream thread `id` if it parses and belongs to `user`; not_found
// when it is another user's. A reply about another thread is upstream_error:
// HTTP/1.1 ties a reply to its request by order only, so a stray reply on a
// pooled connection is caught here (docs/architecture.md, "Upstream calls").
result<boost::json::object> owned_thread(std::string_view upstream_body, std::string_view user,
                                         std::string_view id);

// An item list of thread `id`: a list object whose every item names that
// thread; upstream_error otherwise.
result<boost::json::object> thread_item_list(std::string_view upstream_body, std::string_view id);

// The delete confirmation {"id", "deleted", "object"} of thread `id`;
// upstream_error when unreadable or about another thread.
result<boost::json::object> deletion_of(std::string_view upstream_body, std::string_view id);

}  // namespace ckg::api
