#include "chatkit_gateway/auth/openid_discovery.hpp"

#include "chatkit_gateway/core/https_origin.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

namespace ckg::auth {
namespace {

failure refused(std::string why) {
    return failure{errc::upstream_error, std::move(why)};
}

}  // namespace

std::string discovery_url(std::string_view issuer) {
    if (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
    return std::string(issuer) + "/.well-known/openid-configuration";
}

result<std::string> jwks_uri_from_metadata(std::string_view document,
                                           std::string_view configured_issuer) {
    boost::system::error_code ec;
    const auto doc = boost::json::parse(document, ec);
    if (ec || !doc.is_object()) return refused("OpenID metadata is not a JSON object");
    const auto& meta = doc.get_object();
    const auto* issuer = meta.if_contains("issuer");
    if (issuer == nullptr || !issuer->is_string() || issuer->get_string() != configured_issuer)
        return refused("OpenID metadata names another issuer");
    const auto* jwks_uri = meta.if_contains("jwks_uri");
    if (jwks_uri == nullptr || !jwks_uri->is_string())
        return refused("OpenID metadata has no jwks_uri");
    const std::string_view text = jwks_uri->get_string();
    auto url = boost::urls::parse_absolute_uri(text);
    if (!url || !https_origin_of(*url))
        return refused("OpenID metadata jwks_uri is not an https:// URL");
    return std::string(text);
}

}  // namespace ckg::auth
