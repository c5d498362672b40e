#include "chatkit_gateway/api/public_routes.hpp"

namespace ckg::api {

http_server::router make_public_router() {
    // The ChatKit endpoints are registered here as each one is implemented
    // (see docs/architecture.md); until then the public listener answers
    // every path with 404 not_found.
    return http_server::router{};
}

}  // namespace ckg::api
