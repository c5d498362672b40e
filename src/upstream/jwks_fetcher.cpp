#include "chatkit_gateway/upstream/jwks_fetcher.hpp"

#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/upstream/https_client.hpp"

#include <boost/url/parse.hpp>

namespace ckg::upstream {
namespace {

struct jwks_endpoint {
    std::shared_ptr<https_client> client;
    std::string target;  // path and query
};

net::awaitable<result<std::string>> fetch(jwks_endpoint endpoint) {
    http::request<http::string_body> req{http::verb::get, endpoint.target, 11};
    req.set(http::field::accept, "application/json");
    auto r = co_await endpoint.client->send(std::move(req), true);
    if (!r) co_return r.error();
    if (r->status != 200)
        co_return failure{errc::upstream_error,
                          "JWKS endpoint answered " + std::to_string(r->status)};
    co_return std::move(r->body);
}

jwks_endpoint make_endpoint(net::io_context& ioc, const config::issuer_config& issuer,
                            std::size_t index, const config::upstream_config& timeouts) {
    auto url =
        boost::urls::parse_absolute_uri(*issuer.jwks_url);  // validated https:// at load time
    client_options o;
    o.host = std::string(url->host());
    o.port = url->has_port() ? std::string(url->port()) : "443";
    o.connect_timeout = timeouts.connect_timeout;
    o.request_timeout = timeouts.request_timeout;
    o.max_connections = 2;
    o.max_retries = 1;
    std::shared_ptr<ssl::context> tls;
    try {
        tls = make_client_tls_context(issuer.jwks_ca_file);
    } catch (const std::exception& e) {
        throw config::config_error("auth.issuers[" + std::to_string(index) + "].jwks_ca_file",
                                   std::string("cannot load CA certificates: ") + e.what());
    }
    std::string target = url->encoded_path().empty() ? "/" : std::string(url->encoded_path());
    // Appended piece by piece: g++ 12 warns -Wstringop-overflow (wrongly) on
    // `"?" + std::string(...)` here at -O3.
    if (url->has_query()) target.append("?").append(std::string_view(url->encoded_query()));
    return {std::make_shared<https_client>(ioc, o, std::move(tls)), std::move(target)};
}

}  // namespace

auth::jwks_refresher::fetch_fn make_jwks_fetcher(net::io_context& ioc,
                                                 const config::auth_config& auth,
                                                 const config::upstream_config& timeouts) {
    std::vector<jwks_endpoint> endpoints(auth.issuers.size());
    for (std::size_t i = 0; i < auth.issuers.size(); ++i)
        if (auth.issuers[i].jwks_url)
            endpoints[i] = make_endpoint(ioc, auth.issuers[i], i, timeouts);
    return [endpoints = std::move(endpoints)](std::size_t index) {
        return fetch(endpoints.at(index));
    };
}

}  // namespace ckg::upstream
