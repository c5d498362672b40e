#include "chatkit_gateway/upstream/proxy_choice.hpp"

#include "chatkit_gateway/core/ascii.hpp"

#include "chatkit_gateway/observability/logger.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

namespace ckg::upstream {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The canonical text of an IP address ("[::1]" and "::1" alike), or "".
std::string canonical_address(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(text), ec);
    return ec ? std::string() : address.to_string();
}

bool is_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
    });
}

// `host` equals `domain` or ends with "." + domain.
bool in_domain(std::string_view host, std::string_view domain) {
    if (host == domain) return true;
    return host.size() > domain.size() && host.ends_with(domain) &&
           host[host.size() - domain.size() - 1] == '.';
}

// host:port, an IPv6 host in brackets.
std::string authority(const config::proxy_endpoint& p) {
    const bool ipv6 = p.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + p.host + "]" : p.host) + ":" + p.port;
}

}  // namespace

no_proxy_list no_proxy_list::parse(std::string_view list) {
    no_proxy_list out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto entry = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (entry.empty()) continue;
        if (entry == "*") {
            out.everything_ = true;
            continue;
        }
        if (auto address = canonical_address(entry); !address.empty()) {
            out.addresses_.push_back(std::move(address));
            continue;
        }
        if (entry.starts_with('.'))
            entry.remove_prefix(1);  // ".example.com" and "example.com" mean the same
        if (entry.ends_with('.')) entry.remove_suffix(1);
        if (is_name(entry)) out.names_.push_back(ascii_lowercase(entry));
    }
    return out;
}

bool no_proxy_list::matches(std::string_view host) const {
    if (everything_) return true;
    if (const auto address = canonical_address(host); !address.empty())
        return std::find(addresses_.begin(), addresses_.end(), address) != addresses_.end();
    if (host.ends_with('.')) host.remove_suffix(1);
    const auto name = ascii_lowercase(host);
    return std::any_of(names_.begin(), names_.end(),
                       [&](const std::string& d) { return in_domain(name, d); });
}

proxy_choice choose_proxy(const config::upstream_config& u, std::string_view host) {
    if (u.proxy_url) return {u.proxy_url, proxy_source::configuration};
    if (!u.environment_proxy) return {};
    if (no_proxy_list::parse(u.no_proxy).matches(host))
        return {std::nullopt, proxy_source::bypassed_by_no_proxy};
    return {u.environment_proxy, proxy_source::environment};
}

std::optional<config::proxy_endpoint> route_to(const config::upstream_config& u,
                                               std::string_view host) {
    const auto choice = choose_proxy(u, host);
    static constexpr const char* reasons[] = {"no proxy configured", "upstream.proxy_url",
                                              "HTTPS_PROXY", "NO_PROXY"};
    observability::log_info("egress route",
                            {{"host", std::string(host)},
                             {"via", choice.proxy ? authority(*choice.proxy) : "direct"},
                             {"reason", reasons[static_cast<int>(choice.source)]}});
    return choice.proxy;
}

}  // namespace ckg::upstream
