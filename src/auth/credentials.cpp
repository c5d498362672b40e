#include "chatkit_gateway/auth/credentials.hpp"

#include "chatkit_gateway/core/ascii.hpp"

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

auth_status locate_token(std::string_view authorization, bool has_authorization,
                         std::string_view cookie_header,
                         const std::optional<std::string>& cookie_name, located_token& out) {
    if (has_authorization) {
        const auto value = trim(authorization);
        const auto space = value.find(' ');
        if (space == std::string_view::npos || !iequals_ascii(value.substr(0, space), "Bearer"))
            return auth_status::not_bearer;
        out = located_token{trim(value.substr(space + 1)), false};
        return auth_status::ok;
    }
    if (cookie_name) {
        if (auto token = find_cookie(cookie_header, *cookie_name)) {
            // Named twice (a cookie set for a parent domain or a longer path
            // by a sibling site comes first): neither is taken, else a page
            // on that site could sign the user in as someone else.
            const auto rest = cookie_header.substr(
                static_cast<std::size_t>(token->data() + token->size() - cookie_header.data()));
            if (find_cookie(rest, *cookie_name)) return auth_status::ambiguous_token;
            out = located_token{*token, true};
            return auth_status::ok;
        }
    }
    return auth_status::missing_token;
}

auth_status check_token_syntax(const located_token& t) {
    return is_token68(t.token) ? auth_status::ok : auth_status::malformed;
}

}  // namespace ckg::auth
