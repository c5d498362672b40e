#include "chatkit_gateway/upstream/chatkit_client.hpp"

#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/core/https_origin.hpp"
#include "chatkit_gateway/upstream/proxy_choice.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

namespace ckg::upstream {
namespace {

client_options options_for(const config::upstream_config& c, const boost::urls::url_view& url,
                           std::size_t contexts) {
    client_options o;
    const auto origin = https_origin_of(url);  // checked when the configuration was loaded
    o.host = origin->host;
    o.port = origin->port;
    o.connect_timeout = c.connect_timeout;
    o.request_timeout = c.request_timeout;
    // Each context's pool gets its share of upstream.max_connections.
    o.max_connections = std::max<std::size_t>(1, c.max_connections / contexts);
    o.max_retries = c.max_retries;
    o.proxy = route_to(c, o.host);
    // Callers beyond the pool wait, up to a bound; past it they get 503 overloaded.
    o.max_waiters = 16 * o.max_connections;
    return o;
}

std::shared_ptr<ssl::context> tls_for(const config::upstream_config& c) {
    try {
        return make_client_tls_context(c.ca_file);
    } catch (const std::exception& e) {
        throw config::config_error("upstream.ca_file",
                                   std::string("cannot load CA certificates: ") + e.what());
    }
}

// The secret key is put on a request here and nowhere else. Every value was
// checked header-safe when the configuration was loaded.
std::string constant_headers(const config::upstream_config& c, const std::string& host) {
    std::string h;
    const auto header = [&h](std::string_view name, std::string_view value) {
        h.append(name).append(": ").append(value).append("\r\n");
    };
    header("Host", host);
    h.append("Authorization: Bearer ").append(c.api_key.reveal()).append("\r\n");
    header("OpenAI-Beta", "chatkit_beta=v1");
    if (c.organization) header("OpenAI-Organization", *c.organization);
    if (c.project) header("OpenAI-Project", *c.project);
    header("Accept", "application/json");
    return h;
}

// What the metrics count of one call. Whether a 2xx body is usable is
// known only to the handler that reads it (metrics::record_malformed_reply).
observability::upstream_record upstream_record_of(const char* operation,
                                                  const result<upstream_response>& r,
                                                  std::chrono::microseconds elapsed) {
    if (!r) return {operation, 0, errc_code(r.error().code), elapsed};
    return {operation, r->status, {}, elapsed};
}

// Each attempt is a span of its own (docs/operations.md, tracing): the span
// id in the wire is rewritten in place before every attempt, so a retry
// needs no new serialization.
https_client::attempt_hook new_span_per_attempt(std::size_t span_offset) {
    if (span_offset == std::string::npos) return {};
    return [span_offset](std::string& wire) {
        observability::trace_context::write_span_id(wire.data() + span_offset);
    };
}

}  // namespace

chatkit_client::chatkit_client(io_pool& pool, const config::upstream_config& config)
    : config_(config), pool_(pool) {
    auto url = boost::urls::parse_absolute_uri(config.base_url);  // validated https:// at load time
    base_path_ = std::string(url->encoded_path());
    const auto tls = tls_for(config);
    const auto options = options_for(config, *url, pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i)
        clients_.push_back(std::make_shared<https_client>(pool.at(i), options, tls));
    constant_headers_ = secret(constant_headers(config, host_header(options)));
}

https_client& chatkit_client::client_for(const net::any_io_executor& ex) const {
    const auto i = pool_.index_of(ex);
    return *clients_[i < clients_.size() ? i : 0];
}

std::size_t chatkit_client::open_connections() const {
    std::size_t n = 0;
    for (const auto& c : clients_) n += c->open_connections();
    return n;
}

std::size_t chatkit_client::idle_connections() const {
    std::size_t n = 0;
    for (const auto& c : clients_) n += c->idle_connections();
    return n;
}

// As Beast's prepare_payload would frame it: Content-Length on a POST even
// when empty, none on a bodiless GET or DELETE.
std::string chatkit_client::request_wire(http::verb method, std::string_view path,
                                         std::string_view body, const trace_context& trace,
                                         std::size_t& span_offset) const {
    const auto headers = constant_headers_.reveal();
    std::string wire;
    wire.reserve(headers.size() + base_path_.size() + path.size() + body.size() +
                 trace.tracestate().size() + 192);
    wire.append(http::to_string(method))
        .append(" ")
        .append(base_path_)
        .append(path)
        .append(" HTTP/1.1\r\n");
    wire.append(headers);
    span_offset = trace.append_headers(wire);
    if (!body.empty()) wire.append("Content-Type: application/json\r\n");
    if (!body.empty() || method == http::verb::post)
        wire.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    wire.append("\r\n").append(body);
    return wire;
}

net::awaitable<result<upstream_response>> chatkit_client::call(const char* operation,
                                                               http::verb method, std::string path,
                                                               std::string body, bool idempotent,
                                                               trace_context trace) {
    std::size_t span_offset = std::string::npos;
    auto wire = request_wire(method, path, body, trace, span_offset);
    auto hook = new_span_per_attempt(span_offset);
    auto& client = client_for(co_await net::this_coro::executor);
    if (metrics_ == nullptr)
        co_return co_await client.send_wire(std::move(wire), idempotent, std::move(hook));
    const auto started = std::chrono::steady_clock::now();
    metrics_->upstream_started();
    auto r = co_await client.send_wire(std::move(wire), idempotent, std::move(hook));
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    metrics_->record_upstream(upstream_record_of(operation, r, elapsed));
    co_return r;
}

net::awaitable<result<upstream_response>> chatkit_client::create_session(std::string json_body,
                                                                         trace_context trace) {
    return call("create_session", http::verb::post, "/chatkit/sessions", std::move(json_body),
                false, std::move(trace));
}

net::awaitable<result<upstream_response>> chatkit_client::cancel_session(std::string session_id,
                                                                         trace_context trace) {
    // The id came from an upstream reply: encoded, so it can only ever be one path segment.
    const auto segment = boost::urls::encode(session_id, boost::urls::unreserved_chars);
    return call("cancel_session", http::verb::post, "/chatkit/sessions/" + segment + "/cancel", {},
                true, std::move(trace));
}

net::awaitable<result<upstream_response>> chatkit_client::get(std::string path_and_query,
                                                              trace_context trace) {
    return call("get", http::verb::get, std::move(path_and_query), {}, true, std::move(trace));
}

net::awaitable<result<upstream_response>> chatkit_client::remove(std::string path,
                                                                 trace_context trace) {
    return call("delete", http::verb::delete_, std::move(path), {}, true, std::move(trace));
}

}  // namespace ckg::upstream
