// Routes of the admin listener (docs/api.md): liveness and readiness
// probes for Kubernetes, the Prometheus metrics, and, with admin.token_env,
// the admin API (admin_user_handlers.hpp).
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/http/router.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/observability/readiness.hpp"

namespace ckg::api {

// All objects must outlive the router.
http_server::router make_admin_router(const observability::readiness& readiness,
                                      observability::metrics& metrics, gateway_services& services);

}  // namespace ckg::api
