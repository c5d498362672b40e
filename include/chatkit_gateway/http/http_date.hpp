// The Date header every reply carries (RFC 9110 section 6.6.1: an origin
// server with a clock sends it; docs/api.md). A client whose clock is wrong,
// a phone's often, reads a session's remaining life from it and expires_at.
#pragma once

#include <ctime>
#include <string>

namespace ckg::http_server {

// `t` as an IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string imf_fixdate(std::time_t t);

// The current second as an IMF-fixdate, formatted once a second per thread.
const std::string& http_date_now();

}  // namespace ckg::http_server
