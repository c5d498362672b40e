// The long-lived parts the public handlers use, owned by app::app and handed
// to the route table by reference.
#pragma once

#include "chatkit_gateway/api/cors_policy.hpp"
#include "chatkit_gateway/api/revocation_slots.hpp"
#include "chatkit_gateway/auth/jwks_refresher.hpp"
#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/sessions/handle_sealer.hpp"
#include "chatkit_gateway/store/shared_state.hpp"
#include "chatkit_gateway/upstream/chatkit_client.hpp"

namespace ckg::api {

struct gateway_services {
    const config::gateway_config& config;
    auth::jwks_refresher& auth;
    upstream::chatkit_client& chatkit;
    const sessions::handle_sealer& handles;
    store::shared_state& state;  // rate limit, quota, session registry, blocks
    const cors_policy& cors;
    observability::metrics& metrics;
    revocation_slots revocations{revocation_slots::default_limit};  // the admin API's revokes
};

}  // namespace ckg::api
