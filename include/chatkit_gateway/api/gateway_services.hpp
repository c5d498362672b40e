// The long-lived parts the public handlers use, owned by app::app and handed
// to the route table by reference.
#pragma once

#include "chatkit_gateway/api/cors_policy.hpp"
#include "chatkit_gateway/api/user_slots.hpp"
#include "chatkit_gateway/auth/jwks_refresher.hpp"
#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/sessions/handle_sealer.hpp"
#include "chatkit_gateway/store/shared_state.hpp"
#include "chatkit_gateway/upstream/chatkit_client.hpp"

#include <algorithm>

namespace ckg::api {

// One user's share of the upstream pool for thread calls: an eighth of it,
// at least 2 (docs/operations.md, "Scaling").
inline std::size_t thread_call_share(const config::upstream_config& upstream) {
    return std::max<std::size_t>(2, upstream.max_connections / 8);
}

struct gateway_services {
    const config::gateway_config& config;
    auth::jwks_refresher& auth;
    upstream::chatkit_client& chatkit;
    const sessions::handle_sealer& handles;
    store::shared_state& state;  // rate limit, quota, session registry, blocks
    const cors_policy& cors;
    observability::metrics& metrics;
    user_slots revocations{1, 2};  // the admin API's revokes (api/user_slots.hpp)
    user_slots thread_calls{thread_call_share(config.upstream), user_slots::unbounded};
};

}  // namespace ckg::api
