// The Content-Type a mint's body needs (docs/api.md): one media type,
// application/json (api/media_type).
#include "chatkit_gateway/api/media_type.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(media_types)

// One media type, application/json, parameters allowed: a list (what a
// proxy makes of two Content-Type fields) is none, nor is a quoted value left
// open, which may hide such a list.
BOOST_AUTO_TEST_CASE(a_json_media_type_is_one_media_type) {
    for (const char* ok : {"application/json", "Application/JSON", "application/json;",
                           "application/json; charset=utf-8", "application/json\t;\tcharset=utf-8",
                           " application/json ", R"(application/json; x="a, text/plain")",
                           R"(application/json; x="a\", b")"})
        BOOST_TEST(api::is_json_media_type(ok), ok);
    for (const char* no :
         {"", "text/plain", "application/json, text/plain",
          "application/json; charset=utf-8, text/plain", "text/plain, application/json",
          "application/jsonx", R"(application/json; x="a", b)", "application/json , text/plain",
          R"(application/json; x=")", R"(application/json; x="a\", text/plain)"})
        BOOST_TEST(!api::is_json_media_type(no), no);
}

BOOST_AUTO_TEST_SUITE_END()
