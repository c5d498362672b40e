#include "chatkit_gateway/config/config_loader.hpp"

#include "chatkit_gateway/config/config_checks.hpp"
#include "chatkit_gateway/core/regular_file.hpp"
#include "chatkit_gateway/core/repeated_names.hpp"
#include "config_sections.hpp"

#include <boost/json/stream_parser.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ckg::config {
namespace {

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr std::int64_t max_timeout_ms = 3'600'000;

server_config parse_server(json_object_reader r) {
    server_config s;
    s.listen = parse_listen(r, "listen", s.listen);
    if (r.has("tls")) {
        auto t = r.object("tls");
        auto cert = readable_file(t, "cert_file");
        if (!cert) t.fail("cert_file", "is required");
        auto key = readable_file(t, "key_file");
        if (!key) t.fail("key_file", "is required");
        t.finish();
        s.tls = tls_files{*cert, *key};
    } else {
        r.find("tls");
    }
    s.threads = static_cast<unsigned>(r.integer_or("threads", 0, 0, 256));
    s.max_body_bytes = static_cast<std::size_t>(r.integer_or("max_body_bytes", 16384, 1, 64 << 20));
    s.max_connections =
        static_cast<std::size_t>(r.integer_or("max_connections", 10000, 1, 1'000'000));
    s.header_timeout =
        std::chrono::milliseconds(r.integer_or("header_timeout_ms", 10000, 1, max_timeout_ms));
    s.idle_timeout =
        std::chrono::milliseconds(r.integer_or("idle_timeout_ms", 60000, 1, max_timeout_ms));
    s.drain = std::chrono::seconds(r.integer_or("drain_seconds", 5, 0, 3600));
    s.shutdown_grace = std::chrono::seconds(r.integer_or("shutdown_grace_seconds", 25, 0, 3600));
    r.finish();
    return s;
}

admin_config parse_admin(json_object_reader r, const environment& env) {
    admin_config a;
    a.listen = parse_listen(r, "listen", a.listen);
    parse_admin_token(r, a, env);
    r.finish();
    return a;
}

upstream_config parse_upstream(json_object_reader r, const environment& env) {
    upstream_config u;
    u.base_url = https_url(r, "base_url", u.base_url);
    while (!u.base_url.empty() && u.base_url.back() == '/') u.base_url.pop_back();
    u.api_key_env = r.string_or("api_key_env", u.api_key_env);
    u.api_key = secret_from_env(r, "api_key_env", u.api_key_env, env);
    if (!is_header_safe(u.api_key.reveal()))
        r.fail("api_key_env", "environment variable " + u.api_key_env +
                                  " holds characters not allowed in an HTTP header (a line "
                                  "break, a control character, a non-ASCII byte, or a space "
                                  "at either end: a file's trailing newline?)");
    u.ca_file = readable_file(r, "ca_file");
    u.organization = optional_header_value(r, "organization");
    u.project = optional_header_value(r, "project");
    u.connect_timeout =
        std::chrono::milliseconds(r.integer_or("connect_timeout_ms", 3000, 1, max_timeout_ms));
    u.request_timeout =
        std::chrono::milliseconds(r.integer_or("request_timeout_ms", 10000, 1, max_timeout_ms));
    u.max_connections = static_cast<std::size_t>(r.integer_or("max_connections", 64, 1, 100000));
    u.max_retries = static_cast<unsigned>(r.integer_or("max_retries", 2, 0, 10));
    if (const auto proxy = r.optional_string("proxy_url")) {
        u.proxy_url = parse_proxy_url(*proxy);
        if (!u.proxy_url)
            r.fail("proxy_url",
                   "must be http://host:port (no user info, path or query; TLS runs inside the "
                   "tunnel)");
    }
    r.finish();
    read_proxy_environment(env, u);
    return u;
}

rate_limit_config parse_rate_limit(json_object_reader r) {
    rate_limit_config l;
    l.sessions_per_minute =
        static_cast<unsigned>(r.integer_or("sessions_per_minute", 10, 1, 1'000'000));
    l.burst = static_cast<unsigned>(r.integer_or("burst", 5, 1, 1'000'000));
    if (auto per_day = r.optional_integer("sessions_per_day", 1, 1'000'000'000))
        l.sessions_per_day = static_cast<unsigned>(*per_day);
    r.finish();
    return l;
}

cors_config parse_cors(json_object_reader r) {
    cors_config c;
    const auto entries = r.string_array_or("allowed_origins", {});
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string problem;
        auto pattern = origin_pattern::parse(entries[i], problem);
        if (!pattern)
            throw config_error(r.path_of("allowed_origins") + "[" + std::to_string(i) + "]",
                               problem);
        c.allowed_origins.push_back(std::move(*pattern));
    }
    c.max_age = std::chrono::seconds(r.integer_or("max_age_seconds", 600, 0, 86400));
    r.finish();
    return c;
}

// Line and column (1-based) of a byte offset, for JSON syntax errors.
std::string position_of(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

boost::json::value parse_json(std::string_view text, const std::string& name) {
    boost::json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t used = parser.write_some(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec)
        throw config_error(name,
                           "invalid JSON at " + position_of(text, used) + ": " + ec.message());
    if (const auto repeated = first_repeated_name(text))
        throw config_error(*repeated, "is given more than once");
    return parser.release();
}

}  // namespace

void read_proxy_environment(const environment& env, upstream_config& u) {
    if (u.proxy_url) return;  // the variables are not consulted at all then
    const auto first_set =
        [&env](const char* upper,
               const char* lower) -> std::optional<std::pair<std::string, std::string>> {
        for (const char* name : {upper, lower})
            if (auto v = env(name)) {
                const auto value = trim_blanks(*v);
                if (!value.empty()) return std::pair{std::string(name), std::string(value)};
            }
        return std::nullopt;
    };
    if (const auto proxy = first_set("HTTPS_PROXY", "https_proxy")) {
        u.environment_proxy = parse_proxy_url(proxy->second);
        if (!u.environment_proxy)
            throw config_error(proxy->first,
                               "must be http://host:port (no user info, path or query)");
    }
    if (const auto list = first_set("NO_PROXY", "no_proxy")) u.no_proxy = list->second;
}

environment process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

namespace {

// The two listeners cannot share a port on overlapping addresses: start-up
// would fail to bind the second one (exit 1), so it is refused here, where
// --check-config sees it.
void check_listeners_apart(const listen_address& server, const listen_address& admin) {
    const auto every = [](const std::string& host) { return host == "0.0.0.0" || host == "::"; };
    if (server.port != 0 && server.port == admin.port &&
        (server.host == admin.host || every(server.host) || every(admin.host)))
        throw config_error("admin.listen",
                           "must not share server.listen's port " + std::to_string(server.port));
}

}  // namespace

gateway_config load_config_text(std::string_view text, const std::string& name,
                                const environment& env) {
    const auto document = parse_json(text, name);
    json_object_reader root(document, "");
    gateway_config c;
    c.server = parse_server(root.object("server"));
    c.admin = parse_admin(root.object("admin"), env);
    check_listeners_apart(c.server.listen, c.admin.listen);
    c.upstream = parse_upstream(root.object("upstream"), env);
    c.auth = parse_auth(root.object("auth"), env);
    c.users = parse_users(root.object("users"), env);
    c.sessions = parse_sessions(root.object("sessions"), env);
    c.rate_limit = parse_rate_limit(root.object("rate_limit"));
    c.redis = parse_redis(root, env);
    c.cors = parse_cors(root.object("cors"));
    root.finish();
    return c;
}

gateway_config load_config_file(const std::string& file, const environment& env) {
    if (auto problem = not_a_regular_file(file)) throw config_error(file, *problem);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw config_error(file, std::string("cannot read: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw config_error(file, std::string("cannot read: ") + std::strerror(errno));
    return load_config_text(text.str(), file, env);
}

}  // namespace ckg::config
