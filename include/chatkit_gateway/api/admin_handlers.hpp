// Routes of the admin listener (SPEC section 3): liveness and readiness
// probes for Kubernetes.
#pragma once

#include "chatkit_gateway/http/router.hpp"
#include "chatkit_gateway/observability/readiness.hpp"

namespace ckg::api {

// The readiness object must outlive the router.
http_server::router make_admin_router(const observability::readiness& readiness);

}  // namespace ckg::api
