// Base64 (RFC 4648 section 4) and base64url without padding (section 5, as
// JOSE uses it). Decoders are strict: they return std::nullopt on any
// character outside the alphabet, on bad padding and on non-canonical tails.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ckg {

std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace ckg
