#include "chatkit_gateway/net/reply_parser.hpp"

#include "chatkit_gateway/core/ascii.hpp"

namespace ckg::transport {
namespace {

// A peer's id goes into our log: bounded, and nothing but printable ASCII.
void keep_printable(beast::string_view value, std::string& out) {
    constexpr std::size_t max_chars = 128;
    const auto kept = value.substr(0, max_chars);
    out.assign(kept.data(), kept.size());
    for (char& c : out)
        if (c < 0x20 || c > 0x7e) c = '?';
}

}  // namespace

void reply_parser::on_response_impl(int code, beast::string_view, int, beast::error_code&) {
    status_ = static_cast<unsigned>(code);
}

void reply_parser::on_field_impl(http::field name, beast::string_view name_string,
                                 beast::string_view value, beast::error_code&) {
    if (header_done_) return;
    if (name == http::field::unknown && !has_request_id_ &&
        iequals_ascii(name_string, "x-request-id")) {
        has_request_id_ = true;
        keep_printable(value, request_id_);
    }
    if (name != http::field::retry_after || has_retry_after_) return;
    has_retry_after_ = true;
    retry_after_.assign(value.data(), value.size());
}

// Beast has already refused a Content-Length over the body limit.
void reply_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                     beast::error_code&) {
    if (content_length) body_.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t reply_parser::on_body_impl(beast::string_view data, beast::error_code&) {
    body_.append(data.data(), data.size());
    return data.size();
}

std::size_t reply_parser::on_chunk_body_impl(std::uint64_t, beast::string_view data,
                                             beast::error_code&) {
    body_.append(data.data(), data.size());
    return data.size();
}

}  // namespace ckg::transport
