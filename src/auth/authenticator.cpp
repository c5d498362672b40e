#include "chatkit_gateway/auth/authenticator.hpp"

#include "chatkit_gateway/auth/credentials.hpp"
#include "chatkit_gateway/auth/user_id.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/core/regular_file.hpp"
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

// The configuration key naming an issuer's key source, for errors.
std::string key_source_path(const config::issuer_config& i, std::size_t index) {
    const std::string base = "auth.issuers[" + std::to_string(index) + "].";
    if (i.jwks_file) return base + "jwks_file";
    if (i.public_key_file) return base + "public_key_file";
    if (i.hmac_secret_env) return base + "hmac_secret_env";
    if (i.discovery) return base + "discovery";
    return base + "jwks_url";
}

authentication refused(auth_status s) {
    return authentication{s, nullptr, std::nullopt, 0};
}

}  // namespace

result<key_set> load_local_keys(const config::issuer_config& issuer) {
    if (issuer.hmac_secret_env) return key_set({key_from_hmac_secret(issuer.hmac_secret)});
    const auto& file = issuer.jwks_file ? issuer.jwks_file : issuer.public_key_file;
    if (!file) return failure{errc::internal_error, "keys are fetched (jwks_url or discovery)"};
    if (auto problem = not_a_regular_file(*file))
        return failure{errc::internal_error, *file + " " + *problem};
    auto text = read_file(*file);
    if (!text) return failure{errc::internal_error, "cannot read " + *file};
    if (issuer.jwks_file) return key_set_from_jwks(*text);
    auto key = key_from_pem(*text);
    if (!key) return key.error();
    return key_set({std::move(*key)});
}

result<std::shared_ptr<const authenticated_user>> authentication::as_result() const {
    if (status == auth_status::ok) return user;
    return failure{error_code_of(status), std::string(status_name(status))};
}

authenticator::authenticator(const config::auth_config& auth, const config::users_config& users)
    : auth_(auth), users_(users), cache_(token_cache_max_entries, auth.leeway) {
    auto snap = std::make_shared<key_snapshot>();
    for (std::size_t i = 0; i < auth.issuers.size(); ++i) {
        const auto& issuer = auth.issuers[i];
        issuer_entry e{&issuer, nullptr, 0};
        if (!issuer.fetches_keys()) {
            auto keys = load_local_keys(issuer);
            if (!keys) throw config::config_error(key_source_path(issuer, i), keys.error().detail);
            e.keys = std::make_shared<const key_set>(std::move(*keys));
        }
        snap->issuers.push_back(std::move(e));
    }
    keys_ = std::move(snap);
}

std::shared_ptr<const authenticator::key_snapshot> authenticator::snapshot() const {
    std::lock_guard lock(mutex_);
    return keys_;
}

authentication authenticator::authenticate(std::string_view authorization, bool has_authorization,
                                           std::string_view cookie_header, std::int64_t now) {
    located_token located;
    if (auto s = locate_token(authorization, has_authorization, cookie_header, auth_.cookie_name,
                              located);
        s != auth_status::ok)
        return refused(s);
    // A cached token passed the syntax check on its way in (the cache compares whole tokens).
    if (auto cached = cache_.find(located.token, now))
        return authentication{auth_status::ok, std::move(cached), {}, 0};
    if (auto s = check_token_syntax(located); s != auth_status::ok) return refused(s);
    const auto keys = snapshot();
    auto verified = verify_token(located.token, keys->issuers, now, auth_.leeway);
    authentication out{verified.status, nullptr, verified.issuer_index, 0};
    if (out.issuer_index) out.keys_generation = keys->issuers[*out.issuer_index].generation;
    if (!verified) return out;
    auto user = std::make_shared<authenticated_user>();
    user->upstream_user_id = upstream_user_id(users_, verified.who.issuer, verified.who.user);
    user->log_id = observability::user_hash(user->upstream_user_id);
    user->who = std::move(verified.who);
    // Refused by the cache when keys changed while this verification ran.
    cache_.insert(located.token, user, keys->generation);
    out.user = std::move(user);
    return out;
}

template <class Change>
void authenticator::update(Change change) {
    std::lock_guard serial(update_mutex_);
    auto next = std::make_shared<key_snapshot>(*snapshot());
    if (!change(next->issuers)) return;
    ++next->generation;
    const auto generation = next->generation;
    {
        std::lock_guard lock(mutex_);
        keys_ = std::move(next);
    }
    // A removed key must stop working now, not when its tokens expire.
    cache_.clear(generation);
}

std::vector<std::string> authenticator::reload_local_keys() {
    // Files are read before taking the update lock: a JWKS refresh on an io
    // thread never waits for the disk.
    std::vector<std::string> problems;
    std::vector<std::pair<std::size_t, std::shared_ptr<const key_set>>> loaded;
    for (std::size_t i = 0; i < auth_.issuers.size(); ++i) {
        const auto& issuer = auth_.issuers[i];
        if (issuer.fetches_keys() || issuer.hmac_secret_env) continue;
        auto keys = load_local_keys(issuer);
        if (!keys) {
            problems.push_back(key_source_path(issuer, i) + ": " + keys.error().detail +
                               "; keeping the current keys");
            continue;
        }
        loaded.emplace_back(i, std::make_shared<const key_set>(std::move(*keys)));
    }
    update([&](std::vector<issuer_entry>& issuers) {
        for (auto& [i, keys] : loaded) {
            issuers[i].keys = std::move(keys);
            ++issuers[i].generation;
        }
        return !loaded.empty();
    });
    return problems;
}

void authenticator::replace_keys(std::size_t issuer_index, std::shared_ptr<const key_set> keys) {
    update([&](std::vector<issuer_entry>& issuers) {
        auto& e = issuers.at(issuer_index);
        e.keys = std::move(keys);
        ++e.generation;
        return true;
    });
}

std::uint64_t authenticator::keys_generation(std::size_t index) const {
    return snapshot()->issuers.at(index).generation;
}

bool authenticator::keys_loaded() const {
    const auto keys = snapshot();
    for (const auto& e : keys->issuers)
        if (!e.keys || e.keys->size() == 0) return false;
    return true;
}

}  // namespace ckg::auth
