// The ChatKit API as the gateway calls it: the one place where the secret
// API key is put on a request (with OpenAI-Beta and the optional
// organization/project headers). Paths are relative to upstream.base_url.
// One https_client per io_pool context, so a request's upstream call runs on
// the request's own thread; upstream.max_connections is shared out among them.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/io_pool.hpp"
#include "chatkit_gateway/core/secret.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/observability/trace_context.hpp"
#include "chatkit_gateway/upstream/https_client.hpp"

#include <memory>
#include <string>

namespace ckg::upstream {

class chatkit_client {
public:
    // Throws config_error naming upstream.ca_file when it does not load.
    chatkit_client(io_pool& pool, const config::upstream_config& config);

    // Every call carries `trace` upstream (traceparent with a new span id
    // for each attempt, and tracestate when forwarded); none without one.
    using trace_context = observability::trace_context;

    // POST /chatkit/sessions (never resent once it may have reached the upstream).
    net::awaitable<result<upstream_response>> create_session(std::string json_body,
                                                             trace_context trace = {});
    // POST /chatkit/sessions/{id}/cancel (safe to resend).
    net::awaitable<result<upstream_response>> cancel_session(std::string session_id,
                                                             trace_context trace = {});
    // GET or DELETE `path` (e.g. "/chatkit/threads/cthr_1?limit=5"), already encoded.
    net::awaitable<result<upstream_response>> get(std::string path_and_query,
                                                  trace_context trace = {});
    net::awaitable<result<upstream_response>> remove(std::string path, trace_context trace = {});

    // Pool sizes summed over the contexts (for the metrics).
    std::size_t open_connections() const;
    std::size_t idle_connections() const;
    // Every call's duration and failures go here when set (before any call).
    void set_metrics(observability::metrics* m) { metrics_ = m; }

private:
    // `operation` is a static label ("create_session", ...) for the metrics.
    net::awaitable<result<upstream_response>> call(const char* operation, http::verb method,
                                                   std::string path, std::string body,
                                                   bool idempotent, trace_context trace);

    // The request in wire form; `span_offset` is set to where the trace's
    // span id sits (npos without a trace).
    std::string request_wire(http::verb method, std::string_view path, std::string_view body,
                             const trace_context& trace, std::size_t& span_offset) const;

    const config::upstream_config& config_;
    std::string base_path_;  // e.g. "/v1"
    // Host, Authorization, OpenAI-Beta, OpenAI-Organization/-Project and
    // Accept, serialized once: every call's request starts with them.
    secret constant_headers_;
    // The client of the context running the caller (the first one otherwise).
    https_client& client_for(const net::any_io_executor& ex) const;

    io_pool& pool_;
    std::vector<std::shared_ptr<https_client>> clients_;  // one per pool context
    observability::metrics* metrics_ = nullptr;
};

}  // namespace ckg::upstream
