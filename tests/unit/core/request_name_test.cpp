// Names from a request in public error messages (docs/api.md, "Errors"): at
// most 64 bytes, cut at a character boundary, always valid UTF-8.
#include "chatkit_gateway/core/request_name.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using ckg::quoted_request_name;
using ckg::request_name;

BOOST_AUTO_TEST_SUITE(request_names)

BOOST_AUTO_TEST_CASE(short_names_are_kept_and_quoted) {
    BOOST_TEST(request_name("device") == "device");
    BOOST_TEST(quoted_request_name("plan") == "\"plan\"");
    BOOST_TEST(quoted_request_name("") == "\"\"");
    BOOST_TEST(request_name("caf\xC3\xA9") == "caf\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(long_names_are_cut_at_64_bytes_on_a_character_boundary) {
    BOOST_TEST(request_name(std::string(200, 'k')) == std::string(64, 'k'));
    // 63 ASCII bytes then a 2-byte character: it does not fit, so it is left out whole.
    const std::string two = std::string(63, 'a') + "\xC3\xA9" + "tail";
    BOOST_TEST(request_name(two) == std::string(63, 'a'));
    // 4-byte characters: 16 of them are exactly 64 bytes.
    std::string emoji;
    for (int i = 0; i < 20; ++i) emoji += "\xF0\x9F\x98\x80";
    BOOST_TEST(request_name(emoji).size() == 64u);
    BOOST_TEST(request_name(emoji) == emoji.substr(0, 64));
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_become_replacement_characters) {
    const std::string fffd = "\xEF\xBF\xBD";
    BOOST_TEST(request_name("a\xFF"
                            "b") == "a" + fffd + "b");
    BOOST_TEST(request_name("\xC0\xAF") == fffd + fffd);                        // overlong '/'
    BOOST_TEST(request_name("\xED\xA0\x80") == fffd + fffd + fffd);             // a surrogate
    BOOST_TEST(request_name("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // > U+10FFFF
    BOOST_TEST(request_name("x\xE2\x82") == "x" + fffd + fffd);                 // cut short
    // Replacements count towards the 64 bytes too.
    BOOST_TEST(request_name(std::string(100, '\xFF')).size() == 63u);
}

BOOST_AUTO_TEST_CASE(names_that_look_like_credentials_are_never_shown) {
    for (const char* name : {"sk-proj-0123456789abcdef", "ek_0123456789",
                             "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig", "x Bearer abc"}) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(request_name(name) == "[redacted]");
            BOOST_TEST(quoted_request_name(name) == "\"[redacted]\"");
        }
    }
    BOOST_TEST(request_name("skip") == "skip");
}

BOOST_AUTO_TEST_SUITE_END()
