#include "chatkit_gateway/auth/authenticator.hpp"

#include "chatkit_gateway/auth/credentials.hpp"
#include "chatkit_gateway/auth/jwt_parser.hpp"
#include "chatkit_gateway/auth/user_id.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <fstream>
#include <sstream>

namespace ckg::auth {
namespace {

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The configuration key naming an issuer's local key source, for errors.
std::string key_source_path(const config::issuer_config& i, std::size_t index) {
    const std::string base = "auth.issuers[" + std::to_string(index) + "].";
    if (i.jwks_file) return base + "jwks_file";
    if (i.public_key_file) return base + "public_key_file";
    if (i.hmac_secret_env) return base + "hmac_secret_env";
    return base + "jwks_url";
}

}  // namespace

result<key_set> load_local_keys(const config::issuer_config& issuer) {
    if (issuer.hmac_secret_env) return key_set({key_from_hmac_secret(issuer.hmac_secret)});
    const auto& file = issuer.jwks_file ? issuer.jwks_file : issuer.public_key_file;
    if (!file) return failure{errc::internal_error, "keys come from jwks_url"};
    auto text = read_file(*file);
    if (!text) return failure{errc::internal_error, "cannot read " + *file};
    if (issuer.jwks_file) return key_set_from_jwks(*text);
    auto key = key_from_pem(*text);
    if (!key) return key.error();
    return key_set({std::move(*key)});
}

authenticator::authenticator(const config::auth_config& auth, const config::users_config& users)
    : auth_(auth), users_(users), cache_(16384, auth.leeway) {
    auto entries = std::make_shared<std::vector<issuer_entry>>();
    for (std::size_t i = 0; i < auth.issuers.size(); ++i) {
        const auto& issuer = auth.issuers[i];
        issuer_entry e{&issuer, nullptr};
        if (!issuer.jwks_url) {
            auto keys = load_local_keys(issuer);
            if (!keys) throw config::config_error(key_source_path(issuer, i), keys.error().detail);
            e.keys = std::make_shared<const key_set>(std::move(*keys));
        }
        entries->push_back(std::move(e));
    }
    issuers_ = std::move(entries);
}

std::shared_ptr<const std::vector<issuer_entry>> authenticator::snapshot() const {
    std::lock_guard lock(mutex_);
    return issuers_;
}

result<std::shared_ptr<const authenticated_user>> authenticator::authenticate(
    std::string_view authorization, bool has_authorization, std::string_view cookie_header,
    std::int64_t now) {
    auto located = locate_token(authorization, has_authorization, cookie_header, auth_.cookie_name);
    if (!located) return located.error();
    // A cached token passed the syntax check on its way in (the cache compares whole tokens).
    if (auto cached = cache_.find(located->token, now)) return cached;
    if (auto bad = check_token_syntax(*located)) return *bad;
    const std::string_view token = located->token;
    const auto issuers = snapshot();
    auto verified = verify_token(token, *issuers, now, auth_.leeway);
    if (!verified) return verified.error();
    auto user = std::make_shared<authenticated_user>();
    user->upstream_user_id = upstream_user_id(users_, verified->issuer, verified->user);
    user->log_id = observability::user_hash(user->upstream_user_id);
    user->who = std::move(*verified);
    cache_.insert(token, user);
    return std::shared_ptr<const authenticated_user>(std::move(user));
}

std::vector<std::string> authenticator::reload_local_keys() {
    std::vector<std::string> problems;
    auto next = std::make_shared<std::vector<issuer_entry>>(*snapshot());
    for (std::size_t i = 0; i < next->size(); ++i) {
        const auto& issuer = *(*next)[i].config;
        if (issuer.jwks_url || issuer.hmac_secret_env) continue;
        auto keys = load_local_keys(issuer);
        if (!keys) {
            problems.push_back(key_source_path(issuer, i) + ": " + keys.error().detail +
                               "; keeping the current keys");
            continue;
        }
        (*next)[i].keys = std::make_shared<const key_set>(std::move(*keys));
    }
    {
        std::lock_guard lock(mutex_);
        issuers_ = std::move(next);
    }
    // A removed key must stop working now, not when its tokens expire.
    cache_.clear();
    return problems;
}

void authenticator::replace_keys(std::size_t issuer_index, std::shared_ptr<const key_set> keys) {
    auto next = std::make_shared<std::vector<issuer_entry>>(*snapshot());
    next->at(issuer_index).keys = std::move(keys);
    {
        std::lock_guard lock(mutex_);
        issuers_ = std::move(next);
    }
    cache_.clear();
}

std::optional<std::size_t> authenticator::issuer_index_of(std::string_view token) const {
    auto jwt = parse_jwt(token);
    if (!jwt) return std::nullopt;
    const auto* iss = jwt->claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string()) return std::nullopt;
    for (std::size_t i = 0; i < auth_.issuers.size(); ++i)
        if (auth_.issuers[i].issuer == iss->get_string()) return i;
    return std::nullopt;
}

bool authenticator::keys_loaded() const {
    const auto issuers = snapshot();
    for (const auto& e : *issuers)
        if (!e.keys || e.keys->size() == 0) return false;
    return true;
}

}  // namespace ckg::auth
