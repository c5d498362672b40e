// An upstream reply as https_client needs it: the status, Retry-After and
// the body. A Beast basic_parser, so framing (Content-Length, chunked, read
// to EOF), keep-alive and the size limits are Beast's; only the storage is
// ours. The API's replies carry a dozen headers nobody here reads, and a
// full http::fields would allocate for each of them on every call.
#pragma once

#include "chatkit_gateway/net/message_reader.hpp"

#include "chatkit_gateway/core/asio.hpp"

#include <string>
#include <string_view>

namespace ckg::transport {

class reply_parser final : public http::basic_parser<false> {
public:
    unsigned status() const noexcept { return status_; }
    // The first Retry-After header's value ("" when there was none). Fields
    // in a chunked body's trailer are not header fields (RFC 9110 section
    // 6.5.1): neither this nor request_id() is read from them.
    std::string_view retry_after() const noexcept { return retry_after_; }
    // The first x-request-id header's value, for the access log: at most
    // 128 characters, each outside printable ASCII as '?' ("" when none).
    const std::string& request_id() const noexcept { return request_id_; }
    std::string& body() noexcept { return body_; }

private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                         beast::error_code&) override {}
    void on_response_impl(int code, beast::string_view, int, beast::error_code&) override;
    void on_field_impl(http::field name, beast::string_view, beast::string_view value,
                       beast::error_code&) override;
    void on_header_impl(beast::error_code&) override { header_done_ = true; }
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                           beast::error_code&) override;
    std::size_t on_body_impl(beast::string_view data, beast::error_code&) override;
    void on_chunk_header_impl(std::uint64_t, beast::string_view ext,
                              beast::error_code& ec) override {
        if (!clean_chunk_extensions(ext)) ec = http::error::bad_chunk_extension;
    }
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data,
                                   beast::error_code&) override;
    void on_finish_impl(beast::error_code&) override {}

    unsigned status_ = 0;
    bool header_done_ = false;  // fields from here on are the trailer's
    bool has_retry_after_ = false;
    std::string retry_after_;
    bool has_request_id_ = false;
    std::string request_id_;
    std::string body_;
};

}  // namespace ckg::transport
