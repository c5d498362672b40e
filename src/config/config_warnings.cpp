#include "chatkit_gateway/config/config_warnings.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace ckg::config {
namespace {

// RFC 7518 section 3.2: an HS* key at least as long as the hash's output.
std::size_t hmac_key_bytes_needed(const issuer_config& issuer) {
    std::size_t needed = 0;
    for (const auto alg : issuer.algorithms) {
        if (alg == jws_algorithm::hs256) needed = std::max<std::size_t>(needed, 32);
        if (alg == jws_algorithm::hs384) needed = std::max<std::size_t>(needed, 48);
        if (alg == jws_algorithm::hs512) needed = std::max<std::size_t>(needed, 64);
    }
    return needed;
}

// The path of an api.openai.com base URL, or nullopt for another host.
std::optional<std::string_view> openai_path(std::string_view url) {
    constexpr std::string_view openai = "https://api.openai.com";
    if (!url.starts_with(openai)) return std::nullopt;
    const auto rest = url.substr(openai.size());
    if (!rest.empty() && rest.front() != '/' && rest.front() != ':') return std::nullopt;
    const auto slash = rest.find('/');
    return slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
}

}  // namespace

std::vector<std::string> config_warnings(const gateway_config& config) {
    std::vector<std::string> out;
    // A plain id is the claim value alone: two identity providers' users
    // with the same value would share threads, limits and blocks upstream.
    if (config.users.id_mode == user_id_mode::plain && config.auth.issuers.size() > 1)
        out.push_back("users.id_mode is \"plain\" with " +
                      std::to_string(config.auth.issuers.size()) +
                      " issuers: users of different issuers with the same claim value become one "
                      "upstream user (threads, limits, sessions); use \"hmac\"");
    // A short HMAC secret can be guessed offline from one token, and then
    // every token of that issuer forged.
    for (std::size_t i = 0; i < config.auth.issuers.size(); ++i) {
        const auto& issuer = config.auth.issuers[i];
        const auto needed = hmac_key_bytes_needed(issuer);
        const auto size = issuer.hmac_secret.reveal().size();
        if (issuer.hmac_secret_env && size < needed)
            out.push_back("auth.issuers[" + std::to_string(i) + "].hmac_secret_env holds " +
                          std::to_string(size) + " bytes; its algorithms need at least " +
                          std::to_string(needed) + " (RFC 7518 section 3.2)");
    }
    // The upstream's ChatKit endpoints live under /v1: without it every
    // mint gets an upstream 404, answered 502, long after start-up.
    static constexpr std::string_view no_v1 =
        "upstream.base_url names api.openai.com without the /v1 path its ChatKit endpoints live "
        "under (https://api.openai.com/v1): every mint would fail";
    if (const auto path = openai_path(config.upstream.base_url); path && *path != "/v1")
        out.emplace_back(no_v1);
    return out;
}

}  // namespace ckg::config
