#include "chatkit_gateway/core/utf8.hpp"
#include "chatkit_gateway/core/json_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <random>

using namespace ckg;
namespace json = boost::json;

namespace {

const std::string fffd = "\xef\xbf\xbd";

struct repair_case {
    const char* what;
    std::string in, out;
};

// Replacement by maximal subparts (Unicode 15, section 3.9, table 3-8), as
// Python's bytes.decode("utf-8", "replace") and the WHATWG decoder do.
const repair_case repairs[] = {
    {"ascii", "plain", "plain"},
    {"two, three and four bytes", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"lone continuation", "a\x80z", "a" + fffd + "z"},
    {"overlong slash (2 bytes)", "\xc0\xaf", fffd + fffd},
    {"overlong NUL", "\xc0\x80", fffd + fffd},
    {"overlong 3 bytes", "\xe0\x80\xaf", fffd + fffd + fffd},
    {"overlong 4 bytes", "\xf0\x80\x80\xaf", fffd + fffd + fffd + fffd},
    {"high surrogate", "\xed\xa0\x80", fffd + fffd + fffd},
    {"low surrogate", "\xed\xbf\xbf", fffd + fffd + fffd},
    {"above U+10FFFF", "\xf4\x90\x80\x80", fffd + fffd + fffd + fffd},
    {"F5 lead", "\xf5\x80", fffd + fffd},
    {"FF byte", "x\xff", "x" + fffd},
    {"truncated 2-byte at end", "ab\xc3", "ab" + fffd},
    {"truncated 3-byte at end", "ab\xe2\x82", "ab" + fffd},
    {"truncated 4-byte at end", "ab\xf0\x9f\x98", "ab" + fffd},
    {"truncated then ascii", "\xe2\x82z", fffd + "z"},
    {"truncated then a valid character", "\xf0\x9f\xc3\xa9", fffd + "\xc3\xa9"},
    {"U+FFFF and U+10FFFF are characters", "\xef\xbf\xbf\xf4\x8f\xbf\xbf",
     "\xef\xbf\xbf\xf4\x8f\xbf\xbf"},
};

// A JSON parser that is not ours and refuses ill-formed UTF-8 (Boost.JSON's
// default): the text parses, and is one string equal to `expected`.
void check_json_string(const std::string& text, const std::string& expected) {
    json::error_code ec;
    const auto v = json::parse(text, ec);
    BOOST_TEST(!ec, text);
    BOOST_REQUIRE(v.is_string());
    BOOST_TEST(std::string(v.get_string()) == expected);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(utf8_text)

BOOST_AUTO_TEST_CASE(ill_formed_sequences_become_replacement_characters) {
    for (const auto& c : repairs) {
        BOOST_TEST_CONTEXT(c.what) {
            std::string out;
            append_utf8_replacing_invalid(out, c.in);
            BOOST_TEST(out == c.out);
            BOOST_TEST(is_valid_utf8(c.out));
            BOOST_TEST(is_valid_utf8(c.in) == (c.in == c.out));
        }
    }
}

BOOST_AUTO_TEST_CASE(json_strings_are_valid_utf8_whatever_the_bytes) {
    for (const auto& c : repairs) {
        BOOST_TEST_CONTEXT(c.what) {
            std::string text;
            append_json_string(text, c.in);
            check_json_string(text, c.out);
            std::string escaped;  // with characters that need escaping around the bad bytes
            append_json_string(escaped, "\"" + c.in + "\n");
            check_json_string(escaped, "\"" + c.out + "\n");
        }
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 3000; ++i) {
        std::string s(rng() % 24, '\0');
        for (auto& ch : s) ch = static_cast<char>(rng() % 256);
        std::string text;
        append_json_string(text, s);
        std::string repaired;
        append_utf8_replacing_invalid(repaired, s);
        check_json_string(text, repaired);
    }
}

BOOST_AUTO_TEST_CASE(nested_values_are_repaired_too) {
    json::object o{{"a\xc0", json::array{"x\xed\xa0\x80", 1}}, {"b", "\xf0\x9f"}};
    std::string text;
    append_json_value(text, o);
    json::error_code ec;
    const auto v = json::parse(text, ec);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(std::string(v.at("a" + fffd).at(0).as_string()) == "x" + fffd + fffd + fffd);
    BOOST_TEST(std::string(v.at("b").as_string()) == fffd);
}

BOOST_AUTO_TEST_CASE(a_cut_never_splits_a_character) {
    const std::string text = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // a b é € 😀
    const std::size_t boundaries[] = {0, 1, 2, 2, 4, 4,
                                      4, 7, 7, 7, 7, 11};  // the last boundary at or below max
    for (std::size_t max = 0; max < 12; ++max) {
        BOOST_TEST_CONTEXT("max " << max) {
            const auto cut = utf8_truncate(text, max);
            BOOST_TEST(cut.size() == boundaries[max]);
            BOOST_TEST(is_valid_utf8(cut));
        }
    }
    BOOST_TEST(utf8_truncate(text, 100) == text);
    // Ill-formed bytes are one unit each: the cut may fall right after them.
    BOOST_TEST(utf8_truncate("a\xff\xffz", 3) == "a\xff\xff");
    BOOST_TEST(utf8_truncate("a\xe2\x82", 2) == "a");  // nor inside an ill-formed subpart
}

BOOST_AUTO_TEST_SUITE_END()
