// The "redis" section (shared state across replicas, docs/operations.md) and
// admin.token_env, which guards the admin API that edits that state.
#include "config_sections.hpp"

#include "chatkit_gateway/config/config_checks.hpp"
#include "chatkit_gateway/core/port_number.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

namespace ckg::config {
namespace {

constexpr std::size_t min_admin_token_bytes = 32;

// "/<db>" or nothing; nullopt for anything else.
std::optional<unsigned> database_of(std::string_view path) {
    if (path.empty() || path == "/") return 0u;
    if (path.front() != '/') return std::nullopt;
    path.remove_prefix(1);
    unsigned db = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db > 1'000'000)
        return std::nullopt;
    return db;
}

// redis://host[:port][/db] or rediss://...; user info is refused because
// passwords come from password_env, never from a file.
void parse_url(json_object_reader& r, redis_config& c) {
    const auto text = r.required_string("url");
    constexpr const char* shape =
        "must be redis:// or rediss:// with a host, an optional port and /db, and no user info";
    auto url = boost::urls::parse_absolute_uri(text);
    if (!url || (url->scheme() != "redis" && url->scheme() != "rediss") || url->host().empty() ||
        url->has_userinfo() || url->has_query() || url->has_fragment())
        r.fail("url", shape);
    // A percent-encoded host could decode to anything: refused, not decoded.
    if (url->encoded_authority().find('%') != boost::core::string_view::npos)
        r.fail("url", "must name its host without percent-encoding");
    c.tls = url->scheme() == "rediss";
    c.host = url->host_type() == boost::urls::host_type::ipv6
                 ? std::string(url->encoded_host_address())
                 : std::string(url->host());
    if (url->has_port()) {
        const auto port = port_number(url->port());
        if (!port) r.fail("url", "has an invalid port (1-65535)");
        c.port = *port;
    }
    const auto db = database_of(url->encoded_path());
    if (!db) r.fail("url", "has an invalid /db index");
    c.db = *db;
}

}  // namespace

std::optional<redis_config> parse_redis(json_object_reader& parent, const environment& env) {
    if (parent.find("redis") == nullptr) return std::nullopt;
    auto r = parent.object("redis");
    redis_config c;
    parse_url(r, c);
    c.password_env = r.optional_string("password_env");
    if (c.password_env) c.password = secret_from_env(r, "password_env", *c.password_env, env);
    c.ca_file = readable_file(r, "ca_file");
    // Ignored without TLS: the operator meant rediss:// (and a password
    // would cross the network in the clear).
    if (c.ca_file && !c.tls) r.fail("ca_file", "is only valid with a rediss:// url (TLS)");
    c.key_prefix = r.string_or("key_prefix", c.key_prefix);
    if (c.key_prefix.size() > 128) r.fail("key_prefix", "must be at most 128 bytes");
    // A brace would make the prefix the hash tag of every key: all users on one slot.
    if (c.key_prefix.find_first_of("{}") != std::string::npos)
        r.fail("key_prefix", "must not contain '{' or '}'");
    c.timeout = std::chrono::milliseconds(r.integer_or("timeout_ms", 250, 1, 60000));
    const auto policy = r.string_or("on_error", "local");
    if (policy == "local")
        c.on_error = store_error_policy::local;
    else if (policy == "refuse")
        c.on_error = store_error_policy::refuse;
    else
        r.fail("on_error", "must be \"local\" or \"refuse\"");
    r.finish();
    return c;
}

void parse_admin_token(json_object_reader& r, admin_config& admin, const environment& env) {
    admin.token_env = r.optional_string("token_env");
    if (!admin.token_env) return;
    const auto& token = admin.token.emplace(secret_from_env(r, "token_env", *admin.token_env, env));
    if (token.reveal().size() < min_admin_token_bytes)
        r.fail("token_env",
               "environment variable " + *admin.token_env + " must hold at least 32 bytes");
}

}  // namespace ckg::config
