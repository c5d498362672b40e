#include "chatkit_gateway/core/json_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <random>

using namespace ckg;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(json_text)

// Whatever the bytes, the text is exactly what Boost.JSON's serializer gives.
BOOST_AUTO_TEST_CASE(strings_come_out_as_boost_json_serializes_them) {
    std::vector<std::string> samples = {"",
                                        "plain",
                                        "cksess_0123",
                                        "a\"b",
                                        "back\\slash",
                                        "line\nbreak",
                                        "tab\t",
                                        std::string("nul\0byte", 8),
                                        "\x1f\x7f",
                                        "caf\xc3\xa9 \xf0\x9f\x98\x80",
                                        "/slash/"};
    std::mt19937 rng(42);
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 24, '\0');
        for (auto& c : s) c = static_cast<char>(rng() % 128);
        samples.push_back(s);
    }
    for (const auto& s : samples) {
        std::string out = "x";
        append_json_string(out, s);
        // Built by appending: `"x" + std::string&&` makes g++ 12 warn -Wrestrict (wrongly) at -O3.
        std::string expected = "x";
        expected += json::serialize(json::string_view(s.data(), s.size()));
        BOOST_TEST(out == expected);
    }
}

// Strings are checked eight bytes at a time: every byte value, at every
// position of every length around a word's size, alone and after a byte that
// borrows, comes out as the serializer writes it (or as U+FFFD when it is not
// UTF-8), and the text reads back as JSON.
BOOST_AUTO_TEST_CASE(every_byte_at_every_position_is_escaped_as_needed) {
    for (std::size_t size = 1; size <= 19; ++size)
        for (std::size_t at = 0; at < size; ++at)
            for (int b = 0; b < 256; ++b)
                for (const char before : {'a', '\x01', '\x20', '\x7f'}) {
                    std::string s(size, 'a');
                    s[at] = static_cast<char>(b);
                    if (at > 0) s[at - 1] = before;
                    std::string out;
                    append_json_string(out, s);
                    const auto back = json::parse(out);
                    if (b < 0x80) {
                        BOOST_TEST(out == json::serialize(json::string_view(s.data(), s.size())));
                        BOOST_TEST(back.as_string() == json::string_view(s.data(), s.size()));
                    } else {  // a lone byte above 0x7f is never UTF-8
                        BOOST_TEST(out.find("\xef\xbf\xbd") != std::string::npos);
                    }
                }
}

BOOST_AUTO_TEST_CASE(values_and_keys) {
    for (const char* text : {R"("s\"q")", "-9223372036854775808", "18446744073709551615", "true",
                             "false", "null", "0.5", R"([1,"a",{"b":null}])", R"({"k":"v"})"}) {
        BOOST_TEST_CONTEXT(text) {
            const auto v = json::parse(text);
            std::string out;
            append_json_value(out, v);
            BOOST_TEST(out == json::serialize(v));
        }
    }
    // A key is checked when compiled ("ke\"y" would not compile), then copied.
    std::string out;
    append_json_key(out, "session_handle");
    BOOST_TEST(out == R"("session_handle":)");
}

BOOST_AUTO_TEST_SUITE_END()
