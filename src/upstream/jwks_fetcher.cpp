#include "chatkit_gateway/upstream/jwks_fetcher.hpp"

#include "chatkit_gateway/auth/openid_discovery.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/core/https_origin.hpp"
#include "chatkit_gateway/upstream/https_client.hpp"
#include "chatkit_gateway/upstream/proxy_choice.hpp"

#include <boost/url/parse.hpp>

#include <mutex>

namespace ckg::upstream {
namespace {

// One HTTPS document: a pooled client for its origin and the request target.
struct https_document {
    std::shared_ptr<https_client> client;
    std::string url;
    std::string target;  // path and query
};

// Where one fetched issuer's keys come from: a fixed jwks_url, or the
// jwks_uri its OpenID metadata names (docs/auth.md, discovery), learnt at
// the first fetch and again on every rediscovery.
struct issuer_source {
    net::io_context* ioc = nullptr;
    const config::issuer_config* issuer = nullptr;
    const config::upstream_config* upstream = nullptr;  // timeouts and the egress proxy
    client_options options;
    std::shared_ptr<ssl::context> tls;
    std::optional<https_document> metadata;  // discovery issuers only

    std::mutex mutex;
    std::optional<https_document> jwks;  // guarded by mutex

    std::optional<https_document> current_jwks() {
        std::lock_guard lock(mutex);
        return jwks;
    }
    void set_jwks(https_document d) {
        std::lock_guard lock(mutex);
        jwks = std::move(d);
    }
};

// `url` passed https_origin_of (at load time, or in jwks_uri_from_metadata).
https_document make_document(const issuer_source& s, const std::string& url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    client_options o = s.options;
    const auto origin = https_origin_of(*parsed);
    o.host = origin->host;
    o.port = origin->port;
    o.proxy = route_to(*s.upstream, o.host);
    std::string target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
    if (parsed->has_query()) target.append("?").append(std::string_view(parsed->encoded_query()));
    return {std::make_shared<https_client>(*s.ioc, o, s.tls), url, std::move(target)};
}

net::awaitable<result<std::string>> get(https_document doc, std::string what) {
    http::request<http::string_body> req{http::verb::get, doc.target, 11};
    req.set(http::field::accept, "application/json");
    auto r = co_await doc.client->send(std::move(req), true);
    if (!r) co_return r.error();
    if (r->status != 200)
        co_return failure{errc::upstream_error,
                          what + " endpoint answered " + std::to_string(r->status)};
    co_return std::move(r->body);
}

// Reads the metadata and adopts its jwks_uri (a new client only when it changed).
net::awaitable<std::optional<failure>> discover(std::shared_ptr<issuer_source> s) {
    auto meta = co_await get(*s->metadata, "OpenID metadata");
    if (!meta) co_return meta.error();
    auto uri = auth::jwks_uri_from_metadata(*meta, s->issuer->issuer);
    if (!uri) co_return uri.error();
    const auto current = s->current_jwks();
    if (!current || current->url != *uri) s->set_jwks(make_document(*s, *uri));
    co_return std::nullopt;
}

net::awaitable<result<std::string>> fetch(std::shared_ptr<issuer_source> s, bool rediscover) {
    if (s->metadata && (rediscover || !s->current_jwks())) {
        // A failed rediscovery keeps the jwks_uri learnt before (and the keys).
        if (auto problem = co_await discover(s)) co_return *problem;
    }
    auto jwks = s->current_jwks();
    if (!jwks) co_return failure{errc::upstream_error, "no jwks_uri yet"};
    co_return co_await get(std::move(*jwks), "JWKS");
}

std::shared_ptr<issuer_source> make_source(net::io_context& ioc,
                                           const config::issuer_config& issuer, std::size_t index,
                                           const config::upstream_config& upstream) {
    auto s = std::make_shared<issuer_source>();
    s->ioc = &ioc;
    s->issuer = &issuer;
    s->upstream = &upstream;
    s->options.connect_timeout = upstream.connect_timeout;
    s->options.request_timeout = upstream.request_timeout;
    s->options.max_connections = 2;
    s->options.max_retries = 1;
    try {
        s->tls = make_client_tls_context(issuer.jwks_ca_file);
    } catch (const std::exception& e) {
        throw config::config_error("auth.issuers[" + std::to_string(index) + "].jwks_ca_file",
                                   std::string("cannot load CA certificates: ") + e.what());
    }
    if (issuer.discovery)
        s->metadata = make_document(*s, auth::discovery_url(issuer.issuer));
    else
        s->jwks = make_document(*s, *issuer.jwks_url);
    return s;
}

}  // namespace

auth::jwks_refresher::fetch_fn make_jwks_fetcher(net::io_context& ioc,
                                                 const config::auth_config& auth,
                                                 const config::upstream_config& upstream) {
    std::vector<std::shared_ptr<issuer_source>> sources(auth.issuers.size());
    for (std::size_t i = 0; i < auth.issuers.size(); ++i)
        if (auth.issuers[i].fetches_keys())
            sources[i] = make_source(ioc, auth.issuers[i], i, upstream);
    return [sources = std::move(sources)](std::size_t index, bool rediscover) {
        return fetch(sources.at(index), rediscover);
    };
}

}  // namespace ckg::upstream
