#include "chatkit_gateway/config/origin_pattern.hpp"

#include "chatkit_gateway/core/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace ckg::config {
namespace {

constexpr std::size_t max_label = 63;

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A DNS label as browsers send it in an Origin: letters, digits, hyphens.
bool is_label(std::string_view s, bool allow_underscore) {
    if (s.empty() || s.size() > max_label) return false;
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return is_alpha(c) || is_digit(c) || c == '-' || (allow_underscore && c == '_');
    });
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s.front())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
    });
}

// Dot-separated labels; `min_labels` of them at least.
bool is_host_name(std::string_view host, std::size_t min_labels) {
    std::size_t labels = 0;
    while (true) {
        const auto dot = host.find('.');
        if (!is_label(host.substr(0, dot), true)) return false;
        ++labels;
        if (dot == std::string_view::npos) break;
        host.remove_prefix(dot + 1);
    }
    return labels >= min_labels;
}

bool is_ipv6_literal(std::string_view host) {
    if (host.size() < 3 || host.front() != '[' || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
    return std::all_of(host.begin(), host.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
}

bool is_port(std::string_view port) {
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit))
        return false;
    const long n = std::stol(std::string(port));
    return n >= 1 && n <= 65535;
}

constexpr const char* wildcard_rule =
    "\"*\" may only stand for the whole first label of the host, as in "
    "\"https://*.example.com\"";

// Splits "host[:port]" (an IPv6 host in brackets); false if the port is bad.
bool split_authority(std::string_view authority, std::string_view& host, std::string& problem) {
    const auto close = authority.rfind(']');
    const auto colon = authority.rfind(':');
    host = authority;
    if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
        host = authority.substr(0, colon);
        if (!is_port(authority.substr(colon + 1))) {
            problem = "the port must be a number from 1 to 65535";
            return false;
        }
    }
    return true;
}

// "https://a.example.com:443" can match no Origin a browser sends: it
// leaves a scheme's default port out (RFC 6454 section 6.2).
bool names_default_port(std::string_view scheme, std::string_view authority,
                        std::string_view host) {
    const auto port = authority.substr(host.size());
    return (scheme == "https" && port == ":443") || (scheme == "http" && port == ":80");
}

std::string check_host(std::string_view host) {
    const auto stars = std::count(host.begin(), host.end(), '*');
    if (stars == 0) {
        if (is_host_name(host, 1) || is_ipv6_literal(host)) return {};
        return "the host must be a DNS name (letters, digits, hyphens) or a bracketed IPv6 "
               "address";
    }
    if (host.substr(0, 2) != "*." || stars > 1) return wildcard_rule;
    // At least two labels after "*.", so that "*.com" cannot allow a whole top-level domain.
    if (!is_host_name(host.substr(2), 2))
        return "after \"*.\" comes a domain of at least two labels, as in "
               "\"https://*.example.com\"";
    return {};
}

}  // namespace

std::optional<origin_pattern> origin_pattern::parse(std::string_view text, std::string& problem) {
    if (text == "null") {
        problem = "\"null\" cannot be allowed: sandboxed frames and file:// pages all send it";
        return std::nullopt;
    }
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || !is_scheme(text.substr(0, sep))) {
        problem = std::count(text.begin(), text.end(), '*') > 0
                      ? wildcard_rule
                      : "must be an origin \"scheme://host[:port]\", such as "
                        "\"https://app.example.com\"";
        return std::nullopt;
    }
    const std::string_view authority = text.substr(sep + 3);
    if (std::count(text.begin(), text.end(), '*') > 1) {
        problem = "has several \"*\"; a pattern has one, standing for the first label of the host";
        return std::nullopt;
    }
    if (authority.find_first_of("/?#") != std::string_view::npos) {
        problem = "must be an origin without a path, query or fragment (no trailing \"/\")";
        return std::nullopt;
    }
    if (authority.find('@') != std::string_view::npos) {
        problem = "must not contain user info (\"@\")";
        return std::nullopt;
    }
    std::string_view host;
    if (!split_authority(authority, host, problem)) return std::nullopt;
    if (problem = check_host(host); !problem.empty()) return std::nullopt;
    if (const auto scheme = ascii_lowercase(text.substr(0, sep));
        names_default_port(scheme, authority, host)) {
        problem =
            "names its scheme's default port, which browsers never send in an Origin: "
            "write \"" +
            scheme + "://" + std::string(host) + "\"";
        return std::nullopt;
    }

    origin_pattern p;
    p.text_ = ascii_lowercase(text);
    p.wildcard_ = host.front() == '*';
    if (p.wildcard_) {
        p.prefix_ = p.text_.substr(0, sep + 3);
        p.suffix_ = p.text_.substr(sep + 4);  // after "scheme://*"
    } else {
        p.prefix_ = p.text_;
    }
    return p;
}

bool origin_pattern::matches(std::string_view origin) const noexcept {
    if (!wildcard_) return origin == prefix_;
    if (origin.size() <= prefix_.size() + suffix_.size()) return false;
    if (!origin.starts_with(prefix_) || !origin.ends_with(suffix_)) return false;
    // What "*" stands for: exactly one label, so never a dot and never empty.
    const auto label =
        origin.substr(prefix_.size(), origin.size() - prefix_.size() - suffix_.size());
    return is_label(label, false);
}

}  // namespace ckg::config
