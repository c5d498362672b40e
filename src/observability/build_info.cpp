#include "chatkit_gateway/observability/build_info.hpp"

namespace ckg::observability {

// CHATKIT_GATEWAY_VERSION is the project version in CMakeLists.txt, given
// to this file only (it skips the precompiled header for that).
std::string_view build_version() noexcept {
    return CHATKIT_GATEWAY_VERSION;
}

}  // namespace ckg::observability
