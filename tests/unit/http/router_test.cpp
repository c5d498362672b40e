#include "chatkit_gateway/http/router.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::http_server;

namespace {
handler noop() {
    return [](request_context&) -> net::awaitable<reply> { co_return reply{}; };
}
router sample() {
    router r;
    r.add(http::verb::post, "/v1/chatkit/sessions", noop());
    r.add(http::verb::delete_, "/v1/chatkit/sessions/{session_handle}", noop());
    r.add(http::verb::get, "/v1/chatkit/threads/{thread_id}", noop());
    r.add(http::verb::delete_, "/v1/chatkit/threads/{thread_id}", noop());
    r.add(http::verb::get, "/v1/chatkit/threads/{thread_id}/items", noop());
    return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(router_matching)

BOOST_AUTO_TEST_CASE(matches_literal_and_placeholder_routes) {
    const auto r = sample();
    auto m = r.match(http::verb::get, "/v1/chatkit/threads/cthr_1/items");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->target != nullptr);
    BOOST_TEST(m->pattern == "/v1/chatkit/threads/{thread_id}/items");
    BOOST_REQUIRE(m->params.size() == 1u);
    BOOST_TEST(m->params[0].first == "thread_id");
    BOOST_TEST(m->params[0].second == "cthr_1");
}

BOOST_AUTO_TEST_CASE(raw_segments_are_not_decoded) {
    const auto r = sample();
    auto m = r.match(http::verb::get, "/v1/chatkit/threads/..%2F..");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->params[0].second == "..%2F..");
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404) {
    const auto r = sample();
    for (const char* path :
         {"/", "", "/v1/chatkit", "/v1/chatkit/threads/", "/v1/chatkit/threads//items",
          "/v1/chatkit/sessions/x/y", "/V1/chatkit/sessions", "/v1/chatkit/sessions/"}) {
        BOOST_TEST_CONTEXT(path) {
            BOOST_TEST(!r.match(http::verb::get, path).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(other_methods_are_405_with_allow) {
    const auto r = sample();
    auto m = r.match(http::verb::put, "/v1/chatkit/threads/abc");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->target == nullptr);
    BOOST_TEST(m->allow == "GET, DELETE");
    BOOST_TEST(m->pattern == "/v1/chatkit/threads/{thread_id}");
    m = r.match(http::verb::get, "/v1/chatkit/sessions");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->allow == "POST");
}

BOOST_AUTO_TEST_SUITE_END()

#include "chatkit_gateway/http/query_params.hpp"

BOOST_AUTO_TEST_SUITE(query_parsing)

BOOST_AUTO_TEST_CASE(decodes_pairs_and_keeps_raw_values) {
    const std::string target = "/x?order=asc&limit=2&after=a%2Fb&flag";
    // A view that does not end at a NUL: the parser must stop at its end.
    const std::string_view query = std::string_view(target).substr(3, target.size() - 3 - 5);
    auto params = parse_query_params(query);
    BOOST_REQUIRE(params.has_value());
    BOOST_REQUIRE(params->size() == 3u);
    BOOST_TEST((*params)[1].key == "limit");
    BOOST_TEST((*params)[1].value == "2");
    BOOST_TEST((*params)[2].value == "a/b");
    BOOST_TEST((*params)[2].raw_value == "a%2Fb");
    BOOST_TEST(parse_query_params("").value().empty());
    BOOST_TEST(!parse_query_params("a=%zz").has_value());
}

// As every form encoder writes them: a space as '+', a '+' as %2B.
BOOST_AUTO_TEST_CASE(a_plus_is_a_space_and_an_encoded_plus_a_plus) {
    auto params = parse_query_params("user=John+Doe&mail=a%2Bb%40x.example&my+key=1");
    BOOST_REQUIRE(params.has_value());
    BOOST_REQUIRE(params->size() == 3u);
    BOOST_TEST((*params)[0].value == "John Doe");
    BOOST_TEST((*params)[0].raw_value == "John+Doe");
    BOOST_TEST((*params)[1].value == "a+b@x.example");
    BOOST_TEST((*params)[2].key == "my key");
}

BOOST_AUTO_TEST_SUITE_END()
