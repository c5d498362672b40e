#include "chatkit_gateway/http/framing.hpp"

#include "chatkit_gateway/core/ascii.hpp"

#include <boost/url/parse.hpp>

namespace ckg::http_server {

bool has_ambiguous_framing(const http::request_header<>& header) noexcept {
    const auto te_count = header.count(http::field::transfer_encoding);
    if (te_count == 0) return false;
    if (te_count > 1 || header.count(http::field::content_length) != 0) return true;
    if (header.version() < 11) return true;
    return !iequals_ascii(header[http::field::transfer_encoding], "chunked");
}

bool has_bad_host(const http::request_header<>& header) noexcept {
    const auto hosts = header.count(http::field::host);
    return hosts > 1 || (hosts == 0 && header.version() >= 11);
}

std::optional<http::fields> fields_before_trailer(const http::request_header<>& header,
                                                  bool chunked) {
    if (!chunked) return std::nullopt;
    return static_cast<const http::fields&>(header);
}

void drop_trailer_fields(http::request_header<>& header, std::optional<http::fields> before) {
    if (before) static_cast<http::fields&>(header) = std::move(*before);
}

std::optional<std::string> origin_form_target(std::string_view target) {
    if (target.starts_with('/')) return std::string(target);
    const auto uri = boost::urls::parse_absolute_uri(target);
    if (!uri) return std::nullopt;
    const auto scheme = uri->scheme_id();
    if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
        return std::nullopt;
    if (!uri->has_authority() || uri->has_userinfo() || uri->encoded_host().empty())
        return std::nullopt;
    const std::string_view port = uri->port();
    if (port.size() > 5 || (!port.empty() && std::stoul(std::string(port)) > 65535))
        return std::nullopt;
    // Boost.URL 1.81 reads "host:x/p" as an empty port and the path "x/p".
    const std::string_view path = uri->encoded_path();
    if (!path.empty() && !path.starts_with('/')) return std::nullopt;
    std::string out = path.empty() ? std::string("/") : std::string(path.data(), path.size());
    if (uri->has_query()) {
        const std::string_view query = uri->encoded_query();
        out.push_back('?');
        out.append(query.data(), query.size());
    }
    return out;
}

}  // namespace ckg::http_server
