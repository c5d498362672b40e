#include "chatkit_gateway/config/config_warnings.hpp"

namespace ckg::config {

std::vector<std::string> config_warnings(const gateway_config& config) {
    std::vector<std::string> out;
    // A plain id is the claim value alone: two identity providers' users
    // with the same value would share threads, limits and blocks upstream.
    if (config.users.id_mode == user_id_mode::plain && config.auth.issuers.size() > 1)
        out.push_back("users.id_mode is \"plain\" with " +
                      std::to_string(config.auth.issuers.size()) +
                      " issuers: users of different issuers with the same claim value become one "
                      "upstream user (threads, limits, sessions); use \"hmac\"");
    return out;
}

}  // namespace ckg::config
