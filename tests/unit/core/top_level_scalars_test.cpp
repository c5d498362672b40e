#include "chatkit_gateway/core/top_level_scalars.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(top_level_scalar_reading)

BOOST_AUTO_TEST_CASE(reads_wanted_top_level_strings_and_integers) {
    top_level_scalars r{"id", "secret", "expires_at", "absent"};
    BOOST_REQUIRE(r.parse(
        R"({"object":"x","id":"cksess_1","nested":{"id":"inner","expires_at":1},)"
        R"("list":["id",{"secret":"no"}],"secret":"a\"b\\c\u00e9\ud83d\ude00","expires_at":1795519581})"));
    BOOST_TEST(*r.string_member("id") == "cksess_1");
    BOOST_TEST(*r.string_member("secret") == "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
    BOOST_TEST(r.int64_member("expires_at").value() == 1795519581);
    BOOST_TEST(r.string_member("absent") == nullptr);
    BOOST_TEST(!r.int64_member("absent").has_value());
    BOOST_TEST(r.string_member("unknown") == nullptr);
}

BOOST_AUTO_TEST_CASE(types_are_as_a_json_document_would_have_them) {
    top_level_scalars r{"a", "b", "c", "d", "e", "f", "g"};
    BOOST_REQUIRE(r.parse(
        R"({"a":18446744073709551615,"b":1.0,"c":true,"d":null,"e":{},"f":[],"g":-9223372036854775808})"));
    for (const char* name : {"a", "b", "c", "d", "e", "f"}) BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(!r.int64_member(name).has_value());
            BOOST_TEST(r.string_member(name) == nullptr);
        }
    BOOST_TEST(r.int64_member("g").value() == INT64_MIN);
    BOOST_TEST(r.string_member("g") == nullptr);
}

BOOST_AUTO_TEST_CASE(the_last_occurrence_of_a_name_counts) {
    top_level_scalars r{"id"};
    BOOST_REQUIRE(r.parse(R"({"id":"first","id":7})"));
    BOOST_TEST(r.string_member("id") == nullptr);
    BOOST_TEST(r.int64_member("id").value() == 7);
    BOOST_REQUIRE(r.parse(R"({"id":7,"id":{"x":1}})"));
    BOOST_TEST(!r.int64_member("id").has_value());
}

BOOST_AUTO_TEST_CASE(anything_but_one_object_is_refused_and_leaves_nothing) {
    top_level_scalars r{"id"};
    BOOST_REQUIRE(r.parse(R"({"id":"kept"})"));
    for (const char* bad :
         {"", "[]", "\"id\"", "7", "null", R"({"id":"x"} extra)", R"({"id":"x")", R"({"id":"x",})",
          R"({"id":"x"}{"id":"y"})", R"([{"id":"x"}])", "{\"id\":\"\xff\"}"})
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!r.parse(bad));
            BOOST_TEST(r.string_member("id") == nullptr);
        }
    BOOST_TEST(r.parse(" {\"id\" : \"spaced\"}\n"));
    BOOST_TEST(*r.string_member("id") == "spaced");
}

BOOST_AUTO_TEST_CASE(a_repeated_wanted_name_is_reported) {
    top_level_scalars r{"id", "user"};
    BOOST_TEST(r.parse(R"({"id": "a", "other": 1, "other": 2, "nested": {"id": 1, "id": 2}})"));
    BOOST_TEST(!r.repeated().has_value());  // unwanted and nested names do not count
    BOOST_TEST(r.parse(R"({"user": "a", "id": "x", "user": "b"})"));
    BOOST_REQUIRE(r.repeated().has_value());
    BOOST_TEST(*r.repeated() == "user");
    BOOST_TEST(r.parse(R"({"user": "a"})"));
    BOOST_TEST(!r.repeated().has_value());  // each parse starts afresh
}

BOOST_AUTO_TEST_SUITE_END()
