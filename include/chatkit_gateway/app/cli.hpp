// The command line of docs/operations.md: --config FILE [--check-config],
// --version, --help.
#pragma once

#include <optional>
#include <string>
#include <variant>

namespace ckg::app {

struct cli_options {
    std::optional<std::string> config_file;
    bool check_config = false;
    bool version = false;
    bool help = false;
};

// Returns the options, or a one-line usage error.
std::variant<cli_options, std::string> parse_cli(int argc, const char* const* argv);

const char* usage_text() noexcept;
const char* version_text() noexcept;

}  // namespace ckg::app
