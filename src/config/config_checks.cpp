#include "chatkit_gateway/config/config_checks.hpp"

#include "chatkit_gateway/core/https_origin.hpp"
#include "chatkit_gateway/core/regular_file.hpp"

#include <arpa/inet.h>
#include <boost/url/parse.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ckg::config {

std::optional<std::string> readable_file(json_object_reader& reader, std::string_view key) {
    auto file = reader.optional_string(key);
    if (!file) return std::nullopt;
    if (file->empty()) reader.fail(key, "must not be empty");
    // Checked before opening: opening a FIFO would block start-up for ever.
    if (auto problem = not_a_regular_file(*file)) reader.fail(key, *file + " " + *problem);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file->c_str(), "rb"),
                                                      &std::fclose);
    char probe = 0;
    // fopen succeeds on a directory; the first read is what fails.
    if (!f || (std::fread(&probe, 1, 1, f.get()) == 0 && std::ferror(f.get())))
        reader.fail(key, "cannot read " + *file + ": " + std::strerror(errno));
    return file;
}

namespace {

// An environment variable's name as a POSIX shell writes it (docs/operations.md,
// "Secrets"). Anything else is not echoed back: it may be the secret itself, pasted
// where its variable's name belongs, and config errors reach logs.
bool is_variable_name(std::string_view var) noexcept {
    if (var.empty() || var.size() > 128 || (var.front() >= '0' && var.front() <= '9')) return false;
    for (char c : var)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    return true;
}

}  // namespace

ckg::secret secret_from_env(const json_object_reader& reader, std::string_view key,
                            const std::string& var, const environment& env) {
    if (!is_variable_name(var))
        reader.fail(key,
                    "must name an environment variable (letters, digits and _), not hold the "
                    "secret: the variable holds it");
    auto value = env(var);
    if (!value || value->empty())
        reader.fail(key, "environment variable " + var + " is not set or empty");
    return ckg::secret(std::move(*value));
}

bool is_header_safe(std::string_view value) noexcept {
    if (value.empty() || value.front() == ' ' || value.back() == ' ') return false;
    for (unsigned char c : value)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

std::optional<std::string> optional_header_value(json_object_reader& reader, std::string_view key) {
    auto value = reader.optional_string(key);
    if (value && !is_header_safe(*value))
        reader.fail(key, "must be non-empty visible ASCII (it is sent as an HTTP header value)");
    return value;
}

listen_address parse_listen(json_object_reader& reader, std::string_view key,
                            listen_address fallback) {
    auto text = reader.optional_string(key);
    if (!text) return fallback;
    const std::string problem =
        "must be \"host:port\" with a numeric IP address (IPv6 in brackets) and a port 0-65535";
    const auto colon = text->rfind(':');
    if (colon == std::string::npos) reader.fail(key, problem);
    std::string host = text->substr(0, colon);
    const std::string port_text = text->substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        in6_addr a6{};
        if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) reader.fail(key, problem);
    } else {
        in_addr a4{};
        if (inet_pton(AF_INET, host.c_str(), &a4) != 1) reader.fail(key, problem);
    }
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
        reader.fail(key, problem);
    return {host, static_cast<std::uint16_t>(port)};
}

std::string https_url(json_object_reader& reader, std::string_view key, std::string fallback) {
    auto text = reader.optional_string(key);
    if (!text) return fallback;
    auto url = boost::urls::parse_absolute_uri(*text);
    if (!url || !https_origin_of(*url) || url->has_query())
        reader.fail(key,
                    "must be an https:// URL with a host name or IP address (no percent-encoding) "
                    "and no user info, query or fragment");
    return *text;
}

}  // namespace ckg::config
