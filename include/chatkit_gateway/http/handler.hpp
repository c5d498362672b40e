// What a route handler sees and returns. Handlers are coroutines on the
// connection's thread; they never block and report failures as replies
// built by error_response.hpp.
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/observability/log_fields.hpp"
#include "chatkit_gateway/observability/trace_context.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckg::http_server {

using request = http::request<http::string_body>;
using request_header = http::request_header<>;  // a request's start line and fields
using response = http::response<http::string_body>;
using path_params = std::vector<std::pair<std::string, std::string>>;

struct request_context {
    const request& req;
    std::string_view path;   // raw path, without the query
    std::string_view query;  // raw query, without '?'
    path_params params;
    std::string request_id;
    tcp::endpoint remote;
    // The request's trace (set by the public routes; see api/public_routes.cpp).
    observability::trace_context trace{};

    // The raw text of a "{name}" segment ("" when the route has none).
    std::string_view param(std::string_view name) const {
        for (const auto& [k, v] : params)
            if (k == name) return v;
        return {};
    }
};

// How the connection continues: after the reply is written (keep_alive,
// close), or at once without writing anything (reset: an abortive close, as
// the upstream simulator's fault injection needs).
enum class after_reply { keep_alive, close, reset };

struct reply {
    response res;
    after_reply after = after_reply::keep_alive;
    // Extra fields for this request's access-log line (user hash, upstream
    // status and latency, failure reason). Never a secret or a token.
    observability::log_fields log;
};

using handler = std::function<net::awaitable<reply>(request_context&)>;

}  // namespace ckg::http_server
