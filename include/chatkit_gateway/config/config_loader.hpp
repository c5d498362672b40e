// Loads and validates the configuration file of docs/operations.md. Every rule
// of sections 5 and 7 is checked here, once, before anything is served.
// On any problem these functions throw config_error naming the key path.
#pragma once

#include "chatkit_gateway/config/config.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ckg::config {

// Looks up an environment variable; injected so tests need not touch the
// process environment.
using environment = std::function<std::optional<std::string>(const std::string& name)>;

environment process_environment();

// Unless u.proxy_url is set, fills u.environment_proxy and u.no_proxy from
// the environment (the upper-case variable when set and not blank, else the
// lower-case one).
// A proxy variable that is not http://host:port is an error naming it: a
// typo must not send traffic around the proxy.
void read_proxy_environment(const environment& env, upstream_config& u);

// Reads, parses and validates the file. A file that cannot be read or is not
// valid JSON fails with the file name as path and the line and column.
gateway_config load_config_file(const std::string& file, const environment& env);

// The same for text already in memory; `name` stands for the file in errors.
gateway_config load_config_text(std::string_view text, const std::string& name,
                                const environment& env);

}  // namespace ckg::config
