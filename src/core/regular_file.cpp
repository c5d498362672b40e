#include "chatkit_gateway/core/regular_file.hpp"

#include <filesystem>
#include <system_error>

namespace ckg {

std::optional<std::string> not_a_regular_file(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);  // follows symbolic links
    if (ec || !std::filesystem::exists(status) || std::filesystem::is_regular_file(status))
        return std::nullopt;
    return "is not a regular file";
}

}  // namespace ckg
