#include "chatkit_gateway/core/repeated_names.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(repeated_names)

BOOST_AUTO_TEST_CASE(unique_names_anywhere_are_fine) {
    for (const char* text :
         {"{}", "[]", "1", R"({"a":1,"b":{"a":2,"b":[{"a":3},{"a":4}]}})", R"([{"a":1},{"a":1}])",
          R"({"a":{"x":1},"b":{"x":1}})", R"({"a\u0062":1,"ab\u0000":2,"A":3})", " {\"a\":1} \n"})
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(!first_repeated_name(text).has_value());
        }
}

BOOST_AUTO_TEST_CASE(the_first_repeat_is_named_by_its_path) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"a":1,"a":2})", "a"},
        {R"({"a":{"b":1,"c":{"d":1,"d":[]}}})", "a.c.d"},
        {R"({"a":[1,{"x":1},{"y":1,"y":2}]})", "a[2].y"},
        {R"([[0,{"k":1,"k":1}]])", "[0][1].k"},
        // Escapes are undone before names are compared.
        {R"({"ab":1,"a\u0062":2})", "ab"},
        // The first in reading order, even when a later one is shallower.
        {R"({"x":{"m":1,"m":2},"x":3})", "x.m"},
    };
    for (const auto& [text, path] : cases) BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(first_repeated_name(text).value_or("-") == path);
        }
}

BOOST_AUTO_TEST_CASE(text_that_is_not_json_is_left_to_the_parser) {
    for (const char* text : {"", R"({"a":1,"a":)", R"({"a":1,"a":2} x)", "{\"a\":1,\"a\":2"})
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(!first_repeated_name(text).has_value());
        }
}

BOOST_AUTO_TEST_SUITE_END()
