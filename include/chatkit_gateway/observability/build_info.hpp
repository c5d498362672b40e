// What chatkit_gateway_build_info{version} reports.
#pragma once

#include <string_view>

namespace ckg::observability {

// The version this binary was built as, e.g. "0.1.0".
std::string_view build_version() noexcept;

}  // namespace ckg::observability
