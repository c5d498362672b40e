// What the simulator accepts, as strictly as the upstream ChatKit API does
// (the official OpenAPI description of its requests): the create-session
// body member by member (types, ranges such as expires_after.seconds 1..600,
// unknown keys refused at any depth) and the list query parameters. A
// refusal names the offending parameter in the upstream's own words, so the
// gateway's tests meet the same 400s a real deployment would.
#pragma once

#include "simulator_store.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ckg::simulator {

// One refused request: the members of the upstream's error envelope
// {"error": {"message", "type": "invalid_request_error", "param", "code"}}.
struct upstream_problem {
    std::string message;
    std::optional<std::string> param;  // dotted path of the member, when one is at fault
    std::string code;
};

// nullopt when the body is a valid CreateChatSessionBody.
std::optional<upstream_problem> check_create_session(const boost::json::object& body);

// The list parameters of GET /chatkit/threads (`user` allowed) or of
// /chatkit/threads/{id}/items (it is not), or the problem with them.
std::variant<list_query, upstream_problem> read_list_query(std::string_view raw_query,
                                                           bool with_user);

}  // namespace ckg::simulator
