// The ChatSessionResource the upstream returns for a create-session body
// that passed check_create_session: every required member present, the
// requested chatkit_configuration resolved over the upstream's documented
// defaults, the workflow echoed back (version and state_variables null when
// not given), and expires_at from expires_after (600 s by default).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace ckg::simulator {

boost::json::object make_session_resource(const boost::json::object& body, std::string id,
                                          std::string client_secret, std::int64_t now);

}  // namespace ckg::simulator
