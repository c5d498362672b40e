#include "chatkit_gateway/store/make_shared_state.hpp"

#include "chatkit_gateway/store/local_state.hpp"
#include "chatkit_gateway/store/redis_state.hpp"

namespace ckg::store {

std::unique_ptr<shared_state> make_shared_state(const config::gateway_config& config, io_pool& pool,
                                                observability::metrics& metrics) {
    if (config.redis) return std::make_unique<redis_state>(config, pool, metrics);
    return std::make_unique<local_state>(config.rate_limit, metrics, local_limits_for(config));
}

}  // namespace ckg::store
