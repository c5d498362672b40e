// The public API's route table (SPEC section 2). Every path not listed here
// answers 404 not_found.
#pragma once

#include "chatkit_gateway/http/router.hpp"

namespace ckg::api {

http_server::router make_public_router();

}  // namespace ckg::api
