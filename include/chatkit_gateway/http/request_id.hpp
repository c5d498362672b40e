// X-Request-Id (docs/api.md): a caller's id is echoed when it is a
// sane token of 1-128 characters [A-Za-z0-9._-]; otherwise a fresh random id
// of 22 alphanumeric characters (about 131 bits, so unique in practice).
#pragma once

#include <string>
#include <string_view>

namespace ckg::http_server {

bool is_sane_request_id(std::string_view id) noexcept;
std::string request_id_for(std::string_view incoming);

}  // namespace ckg::http_server
