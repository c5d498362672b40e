#include "chatkit_gateway/auth/credentials.hpp"

#include <array>
#include <cctype>

namespace ckg::auth {
namespace {

// token68 (RFC 7235 section 2.1); a JWT uses a subset of it. A table, not
// std::isalnum: this runs over every byte of every token on the hot path.
constexpr std::array<bool, 256> token68_chars = [] {
    std::array<bool, 256> t{};
    for (unsigned char c :
         std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/="))
        t[c] = true;
    return t;
}();

bool is_token68(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!token68_chars[static_cast<unsigned char>(c)]) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        const auto pair = trim(header.substr(0, semi));
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            auto value = pair.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return value;
        }
        if (semi == std::string_view::npos) break;
        header.remove_prefix(semi + 1);
    }
    return std::nullopt;
}

result<located_token> locate_token(std::string_view authorization, bool has_authorization,
                                   std::string_view cookie_header,
                                   const std::optional<std::string>& cookie_name) {
    if (has_authorization) {
        const auto value = trim(authorization);
        const auto space = value.find(' ');
        if (space == std::string_view::npos || !iequals(value.substr(0, space), "Bearer"))
            return failure{errc::invalid_token, "not_bearer: authorization is not a bearer token"};
        return located_token{trim(value.substr(space + 1)), false};
    }
    if (cookie_name) {
        if (auto token = find_cookie(cookie_header, *cookie_name))
            return located_token{*token, true};
    }
    return failure{errc::missing_token, "no credentials"};
}

std::optional<failure> check_token_syntax(const located_token& t) {
    if (is_token68(t.token)) return std::nullopt;
    return failure{errc::invalid_token, t.from_cookie ? "malformed: cookie token is not token68"
                                                      : "malformed: bearer token is not token68"};
}

result<std::string_view> extract_token(std::string_view authorization, bool has_authorization,
                                       std::string_view cookie_header,
                                       const std::optional<std::string>& cookie_name) {
    auto located = locate_token(authorization, has_authorization, cookie_header, cookie_name);
    if (!located) return located.error();
    if (auto f = check_token_syntax(*located)) return *f;
    return located->token;
}

}  // namespace ckg::auth
