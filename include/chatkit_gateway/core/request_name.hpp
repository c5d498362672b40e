// A name taken from a request (a JSON member, a query parameter, a state
// variable), made fit for a public error message (docs/api.md, "Errors"):
// bytes that are not UTF-8 become U+FFFD, and the name is cut to at most 64
// bytes, never inside a character; a name that looks like a credential
// ("sk-...", "ek_...", a JWT, "Bearer ...") is shown as [redacted]. Only
// names go through here, never values: a value may be a token or a secret.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ckg {

inline constexpr std::size_t max_request_name_bytes = 64;

// The name as it may appear in a message or in "param" (valid UTF-8, at most
// 64 bytes).
std::string request_name(std::string_view raw);

// The same between double quotes, as messages show it: "plan".
std::string quoted_request_name(std::string_view raw);

}  // namespace ckg
