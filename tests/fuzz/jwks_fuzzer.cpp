// libFuzzer target: any byte string as a JWKS document from a hostile JWKS
// host (auth/key_set, auth/verification_key), and as the OpenID metadata
// such a host serves (auth/openid_discovery). It must never crash, hang or
// leak; a document it takes holds at most max_jwks_keys keys, and no token,
// whatever its alg and kid, is checked against more than max_candidates of
// them (docs/auth.md, key bounds). Metadata taken names the configured
// issuer exactly, and its jwks_uri, returned as written, is an https:// URL
// with a host and no user info or fragment.
#include "chatkit_gateway/auth/key_set.hpp"
#include "chatkit_gateway/auth/openid_discovery.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace ckg;

namespace {

constexpr std::string_view issuer = "https://id.example.com/";

void check_metadata(std::string_view text) {
    const auto uri = auth::jwks_uri_from_metadata(text, issuer);
    if (!uri) return;
    const auto value = boost::json::parse(text);  // taken: it must parse
    const auto& doc = value.as_object();
    if (std::string_view(doc.at("issuer").as_string()) != issuer ||
        std::string_view(doc.at("jwks_uri").as_string()) != *uri)
        std::abort();
    const auto url = boost::urls::parse_absolute_uri(*uri);
    if (!url || url->scheme() != "https" || url->has_userinfo() || url->has_fragment() ||
        url->encoded_host().empty())
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_metadata(text);
    const auto keys = auth::key_set_from_jwks(text);
    if (!keys) return 0;
    if (keys->size() == 0 || keys->size() > auth::max_jwks_keys) std::abort();
    const std::string kids[] = {"", "k1", "k2"};
    for (std::size_t a = 0; a < auth::jws_algorithm_count; ++a) {
        const auto alg = static_cast<auth::jws_algorithm>(a);
        if (keys->candidates(alg, nullptr).size() > auth::key_set::max_candidates) std::abort();
        for (const auto& kid : kids)
            if (keys->candidates(alg, &kid).size() > auth::key_set::max_candidates) std::abort();
    }
    return 0;
}
