// Routes of the admin listener (SPEC section 3): liveness and readiness
// probes for Kubernetes, and the Prometheus metrics.
#pragma once

#include "chatkit_gateway/http/router.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/observability/readiness.hpp"

namespace ckg::api {

// Both objects must outlive the router.
http_server::router make_admin_router(const observability::readiness& readiness,
                                      observability::metrics& metrics);

}  // namespace ckg::api
