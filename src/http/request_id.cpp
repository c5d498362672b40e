#include "chatkit_gateway/http/request_id.hpp"

#include "chatkit_gateway/core/random.hpp"

namespace ckg::http_server {

bool is_sane_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string request_id_for(std::string_view incoming) {
    if (is_sane_request_id(incoming)) return std::string(incoming);
    return random_alnum(22);
}

}  // namespace ckg::http_server
