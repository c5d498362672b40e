// Chooses the shared-state implementation: in-process without `redis`,
// Redis (with the in-process fallback) with it.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/io_pool.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/store/shared_state.hpp"

#include <memory>

namespace ckg::store {

// The pool and metrics must outlive the result; nothing connects until start().
std::unique_ptr<shared_state> make_shared_state(const config::gateway_config& config, io_pool& pool,
                                                observability::metrics& metrics);

}  // namespace ckg::store
