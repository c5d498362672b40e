// The mint request of docs/api.md, as pure functions: validating the
// caller's body against the workflow profiles, and building the upstream
// create-session body with the state-variable merge (constants, then
// claim-mapped values, then allowed caller values; the sets are disjoint,
// so a caller can never override the first two).
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/result.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ckg::api {

struct mint_request {
    const config::workflow_profile* profile = nullptr;
    boost::json::object state_variables;  // the caller's, validated
    std::optional<std::string> replaces;
};

// Fails with invalid_request, a message naming what is wrong and the field at fault.
result<mint_request> parse_mint_request(std::string_view body,
                                        const config::sessions_config& sessions);

// The create-session body (docs/api.md), in `sp`'s memory.
boost::json::object build_upstream_session(const mint_request& request,
                                           std::string_view upstream_user,
                                           const boost::json::object& claims,
                                           boost::json::storage_ptr sp = {});

// The same, serialized; built in a stack arena (one allocation: the text).
std::string upstream_session_body(const mint_request& request, std::string_view upstream_user,
                                  const boost::json::object& claims);

}  // namespace ckg::api
