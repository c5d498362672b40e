// Internal to the loader: one parser per top-level section of the file.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/config/json_object_reader.hpp"

namespace ckg::config {

auth_config parse_auth(json_object_reader reader, const environment& env);
users_config parse_users(json_object_reader reader, const environment& env);
sessions_config parse_sessions(json_object_reader reader, const environment& env);
// store_section.cpp: the "redis" section, and admin.token_env.
std::optional<redis_config> parse_redis(json_object_reader& parent, const environment& env);
void parse_admin_token(json_object_reader& reader, admin_config& admin, const environment& env);

}  // namespace ckg::config
