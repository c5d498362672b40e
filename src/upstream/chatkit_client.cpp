#include "chatkit_gateway/upstream/chatkit_client.hpp"

#include "chatkit_gateway/config/config_error.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace ckg::upstream {
namespace {

client_options options_for(const config::upstream_config& c, const boost::urls::url_view& url, std::size_t contexts) {
    client_options o;
    o.host = std::string(url.host());
    o.port = url.has_port() ? std::string(url.port()) : "443";
    o.connect_timeout = c.connect_timeout;
    o.request_timeout = c.request_timeout;
    // Each context's pool gets its share of upstream.max_connections.
    o.max_connections = std::max<std::size_t>(1, c.max_connections / contexts);
    o.max_retries = c.max_retries;
    // Callers beyond the pool wait, up to a bound; past it they get 503 overloaded.
    o.max_waiters = 16 * o.max_connections;
    return o;
}

std::shared_ptr<ssl::context> tls_for(const config::upstream_config& c) {
    try {
        return make_client_tls_context(c.ca_file);
    } catch (const std::exception& e) {
        throw config::config_error("upstream.ca_file", std::string("cannot load CA certificates: ") + e.what());
    }
}

}  // namespace

chatkit_client::chatkit_client(io_pool& pool, const config::upstream_config& config) : config_(config), pool_(pool) {
    auto url = boost::urls::parse_absolute_uri(config.base_url);  // validated https:// at load time
    base_path_ = std::string(url->encoded_path());
    const auto tls = tls_for(config);
    const auto options = options_for(config, *url, pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) clients_.push_back(std::make_shared<https_client>(pool.at(i), options, tls));
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

net::awaitable<result<upstream_response>> chatkit_client::call(const char* operation, http::verb method,
                                                               std::string path, std::string body, bool idempotent) {
    http::request<http::string_body> req{method, base_path_ + path, 11};
    // The secret key is added here and nowhere else.
    req.set(http::field::authorization, "Bearer " + std::string(config_.api_key.reveal()));
    req.set("OpenAI-Beta", "chatkit_beta=v1");
    if (config_.organization) req.set("OpenAI-Organization", *config_.organization);
    if (config_.project) req.set("OpenAI-Project", *config_.project);
    req.set(http::field::accept, "application/json");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    auto& client = client_for(co_await net::this_coro::executor);
    if (metrics_ == nullptr) co_return co_await client.send(std::move(req), idempotent);
    const auto started = std::chrono::steady_clock::now();
    metrics_->upstream_started();
    auto r = co_await client.send(std::move(req), idempotent);
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    if (r) metrics_->record_upstream({operation, r->status, {}, elapsed});
    else metrics_->record_upstream({operation, 0, errc_code(r.error().code), elapsed});
    co_return r;
}

net::awaitable<result<upstream_response>> chatkit_client::create_session(std::string json_body) {
    return call("create_session", http::verb::post, "/chatkit/sessions", std::move(json_body), false);
}

net::awaitable<result<upstream_response>> chatkit_client::cancel_session(std::string session_id) {
    return call("cancel_session", http::verb::post, "/chatkit/sessions/" + session_id + "/cancel", {}, true);
}

net::awaitable<result<upstream_response>> chatkit_client::get(std::string path_and_query) {
    return call("get", http::verb::get, std::move(path_and_query), {}, true);
}

net::awaitable<result<upstream_response>> chatkit_client::remove(std::string path) {
    return call("delete", http::verb::delete_, std::move(path), {}, true);
}

}  // namespace ckg::upstream
