#include "chatkit_gateway/app/cli.hpp"

#include <string_view>

#ifndef CHATKIT_GATEWAY_VERSION
#define CHATKIT_GATEWAY_VERSION "0.0.0"
#endif

namespace ckg::app {

std::variant<cli_options, std::string> parse_cli(int argc, const char* const* argv) {
    cli_options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--config") {
            if (i + 1 >= argc) return std::string("--config needs a file name");
            o.config_file = argv[++i];
        } else if (arg.starts_with("--config=")) {
            o.config_file = std::string(arg.substr(9));
        } else if (arg == "--check-config") {
            o.check_config = true;
        } else if (arg == "--version") {
            o.version = true;
        } else if (arg == "--help" || arg == "-h") {
            o.help = true;
        } else {
            return "unknown argument: " + std::string(arg);
        }
    }
    if (!o.help && !o.version && !o.config_file) return std::string("--config FILE is required");
    return o;
}

const char* usage_text() noexcept {
    return "Usage: chatkit-gateway --config FILE [--check-config]\n"
           "       chatkit-gateway --version | --help\n"
           "\n"
           "Serves the ChatKit session and thread API to authenticated end users,\n"
           "keeping the upstream API key on the server.\n"
           "\n"
           "  --config FILE    the JSON configuration file (see docs/operations.md)\n"
           "  --check-config   validate the configuration, then exit 0 (valid) or 2\n"
           "  --version        print the version and exit\n"
           "  --help           print this text and exit\n"
           "\n"
           "Environment: CHATKIT_GATEWAY_LOG_LEVEL=debug|info|warn|error (default info);\n"
           "secrets are read from the variables the configuration names.\n"
           "Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads certificates and keys.\n";
}

const char* version_text() noexcept {
    return "chatkit-gateway " CHATKIT_GATEWAY_VERSION;
}

}  // namespace ckg::app
