// Settings that are valid but are probably not what was meant. Said by
// --check-config (on stderr, exit status still 0) and logged at start-up,
// one warning line each (docs/operations.md, "Configuration"). They are
// not errors because SPEC.md lets such settings run.
#pragma once

#include "chatkit_gateway/config/config.hpp"

#include <string>
#include <vector>

namespace ckg::config {

std::vector<std::string> config_warnings(const gateway_config& config);

}  // namespace ckg::config
