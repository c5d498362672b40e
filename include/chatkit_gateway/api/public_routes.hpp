// The public API's route table (docs/api.md). Every path not listed here
// answers 404 not_found.
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/http/router.hpp"

namespace ckg::api {

// The services must outlive the router.
http_server::router make_public_router(gateway_services& services);

}  // namespace ckg::api
