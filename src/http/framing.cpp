#include "chatkit_gateway/http/framing.hpp"

namespace ckg::http_server {

bool has_ambiguous_framing(const http::request_header<>& header) noexcept {
    const auto te_count = header.count(http::field::transfer_encoding);
    if (te_count == 0) return false;
    if (te_count > 1 || header.count(http::field::content_length) != 0) return true;
    if (header.version() < 11) return true;
    return !beast::iequals(header[http::field::transfer_encoding], "chunked");
}

bool has_bad_host(const http::request_header<>& header) noexcept {
    const auto hosts = header.count(http::field::host);
    return hosts > 1 || (hosts == 0 && header.version() >= 11);
}

}  // namespace ckg::http_server
