// Case-insensitive ASCII comparison (core/ascii), which the gateway uses on
// peers' header names and values: it reads only the bytes it is given.
#include "chatkit_gateway/core/ascii.hpp"
#include "chatkit_gateway/api/media_type.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <memory>
#include <string_view>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(ascii_text)

BOOST_AUTO_TEST_CASE(case_is_ignored_for_ascii_letters_only) {
    BOOST_TEST(iequals_ascii("Transfer-Encoding", "transfer-encoding"));
    BOOST_TEST(iequals_ascii("", ""));
    BOOST_TEST(!iequals_ascii("chunked", "chunke"));
    BOOST_TEST(!iequals_ascii("chunked", "chunkex"));
    BOOST_TEST(!iequals_ascii("[", "{"));        // 'Z' + 1 and 'z' + 1 are not letters
    BOOST_TEST(!iequals_ascii("\xC9", "\xE9"));  // Latin-1 É and é: not ASCII
    BOOST_TEST(ascii_lowercase("HTTPS://App.Example.COM:8443/\xC9") ==
               "https://app.example.com:8443/\xC9");
}

// A text that differs from the other only in the case of its last byte, in
// a heap block of exactly its size: the sanitizer build fails on a read past
// it (boost::beast::iequals in Boost 1.81 made one, here on a Content-Type).
BOOST_AUTO_TEST_CASE(nothing_past_the_last_byte_is_read) {
    for (std::string_view text : {"application/jsoN", "chunkeD", "x-request-iD", "100-continuE"}) {
        auto exact = std::make_unique<char[]>(text.size());
        std::memcpy(exact.get(), text.data(), text.size());
        const std::string_view view(exact.get(), text.size());
        BOOST_TEST(iequals_ascii(view, text));
        if (text.starts_with("application/")) BOOST_TEST(api::is_json_media_type(view));
    }
}

BOOST_AUTO_TEST_SUITE_END()
