// Checks shared by the configuration sections: readable files, secrets from
// the environment, listen addresses, algorithm names. Each throws
// config_error naming the key on failure.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/config/json_object_reader.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ckg::config {

// An optional path that, when given, must name a readable regular file.
std::optional<std::string> readable_file(json_object_reader& reader, std::string_view key);

// Reads the variable named by `var` (whose name came from `key`); it must be
// set and non-empty. The value is never echoed in an error, nor `var` when it
// is not a variable's name (it may be the secret, pasted in its place).
ckg::secret secret_from_env(const json_object_reader& reader, std::string_view key,
                            const std::string& var, const environment& env);

// True when `value` can go into an HTTP header value as it is: visible
// ASCII and inner spaces only (no CR, LF or other control characters).
bool is_header_safe(std::string_view value) noexcept;

// An optional string for a header value; refused unless is_header_safe.
std::optional<std::string> optional_header_value(json_object_reader& reader, std::string_view key);

// "host:port" with a numeric IPv4 address or a bracketed IPv6 address.
listen_address parse_listen(json_object_reader& reader, std::string_view key,
                            listen_address fallback);

using auth::algorithm_from_name;
using auth::is_hmac_algorithm;

// An absolute https:// URL with a host, no user info, query or fragment.
std::string https_url(json_object_reader& reader, std::string_view key, std::string fallback);

}  // namespace ckg::config
