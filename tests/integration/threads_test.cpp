// The thread proxy end to end (docs/api.md): a user only ever sees,
// reads or deletes their own threads; ids and queries are checked on the raw
// text before anything goes upstream; foreign threads an upstream returns
// are dropped; absent and not-yours are the same 404.
#include "gateway_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::test;
namespace json = boost::json;

namespace {

json::object body_of(const response& r) {
    return json::parse(r.body()).as_object();
}
std::string code_of(const response& r) {
    return std::string(body_of(r).at("error").at("code").as_string());
}

std::vector<std::string> ids_of(const json::object& list) {
    std::vector<std::string> ids;
    for (const auto& t : list.at("data").as_array()) ids.emplace_back(t.at("id").as_string());
    return ids;
}

std::string last_target(gateway_fixture& f, const std::string& endpoint) {
    std::string target;
    const auto log = f.sim_requests();
    for (const auto& e : log.at("recent").as_array())
        if (e.at("endpoint").as_string() == endpoint)
            target = std::string(e.at("target").as_string());
    return target;
}

// alice owns cthr_000001-3 and bob cthr_000004-6 in the simulator's seed.
const std::string alices = "cthr_000002", bobs = "cthr_000005";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(thread_proxy, gateway_fixture)

BOOST_AUTO_TEST_CASE(listing_is_forced_to_the_caller) {
    auto r = call(http::verb::get, "/v1/chatkit/threads", "alice");
    BOOST_TEST(r.result_int() == 200);
    BOOST_TEST(ids_of(body_of(r)) ==
               (std::vector<std::string>{"cthr_000003", "cthr_000002", "cthr_000001"}));
    BOOST_TEST(last_target(*this, "list_threads") == "/v1/chatkit/threads?user=alice");
    auto page =
        call(http::verb::get, "/v1/chatkit/threads?limit=2&order=asc&after=cthr_000001", "alice");
    BOOST_TEST(ids_of(body_of(page)) == (std::vector<std::string>{"cthr_000002", "cthr_000003"}));
    BOOST_TEST(last_target(*this, "list_threads") ==
               "/v1/chatkit/threads?user=alice&limit=2&order=asc&after=cthr_000001");
    BOOST_TEST(body_of(call(http::verb::get, "/v1/chatkit/threads", "carol"))
                   .at("data")
                   .as_array()
                   .empty());
}

BOOST_AUTO_TEST_CASE(bad_list_queries_are_400_before_upstream) {
    for (const std::string& q : std::vector<std::string>{
             "user=bob", "user=alice", "colour=red", "limit=2&limit=3", "limit=0", "limit=101",
             "limit=abc", "limit=-1", "order=up", "after=..%2F..", "before=a%0d%0ab",
             "after=" + std::string(129, 'a'), "after=", "after=%C3%A9", "a=%zz"}) {
        BOOST_TEST_CONTEXT(q) {
            auto r = call(http::verb::get, "/v1/chatkit/threads?" + q, "alice");
            BOOST_TEST(r.result_int() == 400);
            BOOST_TEST(code_of(r) == "invalid_request");
        }
    }
    BOOST_TEST(upstream_count("list_threads") == 0);
}

BOOST_AUTO_TEST_CASE(foreign_threads_from_upstream_are_dropped) {
    fault("list_threads", R"({"mode": "unscoped", "count": 1})");
    auto r = call(http::verb::get, "/v1/chatkit/threads?limit=100", "bob");
    BOOST_TEST(r.result_int() == 200);
    const auto list = body_of(r);
    BOOST_TEST(ids_of(list) ==
               (std::vector<std::string>{"cthr_000006", "cthr_000005", "cthr_000004"}));
    BOOST_TEST(list.at("first_id").as_string() == "cthr_000006");
    BOOST_TEST(list.at("last_id").as_string() == "cthr_000004");
    fault("list_threads", R"({"mode": "unscoped", "count": 1})");
    const auto none = body_of(call(http::verb::get, "/v1/chatkit/threads", "carol"));
    BOOST_TEST(none.at("data").as_array().empty());
    BOOST_TEST(none.at("first_id").is_null());
    BOOST_TEST(none.at("last_id").is_null());
}

BOOST_AUTO_TEST_CASE(retrieve_and_items_only_for_the_owner) {
    auto mine = call(http::verb::get, "/v1/chatkit/threads/" + alices, "alice");
    BOOST_TEST(mine.result_int() == 200);
    BOOST_TEST(body_of(mine).at("user").as_string() == "alice");
    auto theirs = call(http::verb::get, "/v1/chatkit/threads/" + bobs, "alice");
    auto absent = call(http::verb::get, "/v1/chatkit/threads/cthr_999999", "alice");
    BOOST_TEST(theirs.result_int() == 404);
    BOOST_TEST(absent.result_int() == 404);
    BOOST_TEST(theirs.body() == absent.body());  // existence is not revealed

    auto items = call(http::verb::get, "/v1/chatkit/threads/" + alices + "/items?limit=2&order=asc",
                      "alice");
    BOOST_TEST(items.result_int() == 200);
    BOOST_TEST(body_of(items).at("data").as_array().size() == 2u);
    BOOST_TEST(last_target(*this, "list_items") ==
               "/v1/chatkit/threads/" + alices + "/items?limit=2&order=asc");
    const auto items_before = upstream_count("list_items");
    BOOST_TEST(
        call(http::verb::get, "/v1/chatkit/threads/" + bobs + "/items", "alice").result_int() ==
        404);
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/" + alices + "/items?user=bob", "alice")
                   .result_int() == 400);
    BOOST_TEST(upstream_count("list_items") == items_before);
}

BOOST_AUTO_TEST_CASE(hostile_ids_never_reach_upstream) {
    for (const std::string& id :
         std::vector<std::string>{"..%2F..", "%2e%2e", "a%0d%0aX-Evil:1", std::string(129, 'a'),
                                  "%C3%A9", "cthr_1%20", "a.b", "cthr_000001%2Fitems"}) {
        BOOST_TEST_CONTEXT(id) {
            auto r = call(http::verb::get, "/v1/chatkit/threads/" + id, "alice");
            BOOST_TEST(r.result_int() == 400);
            BOOST_TEST(
                call(http::verb::delete_, "/v1/chatkit/threads/" + id, "alice").result_int() ==
                400);
        }
    }
    BOOST_TEST(upstream_count("retrieve_thread") == 0);
    BOOST_TEST(upstream_count("delete_thread") == 0);
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/" + std::string(128, 'a'), "alice")
                   .result_int() == 404);
}

BOOST_AUTO_TEST_CASE(delete_only_ones_own_thread) {
    auto theirs = call(http::verb::delete_, "/v1/chatkit/threads/" + bobs, "alice");
    BOOST_TEST(theirs.result_int() == 404);
    BOOST_TEST(code_of(theirs) == "not_found");
    BOOST_TEST(upstream_count("delete_thread") ==
               0);  // never sent for a thread that is not the caller's
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/" + bobs, "bob").result_int() == 200);

    auto mine = call(http::verb::delete_, "/v1/chatkit/threads/" + alices, "alice");
    BOOST_TEST(mine.result_int() == 200);
    BOOST_TEST(
        body_of(mine) ==
        json::parse(R"({"id": "cthr_000002", "deleted": true, "object": "chatkit.thread.deleted"})")
            .as_object());
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/" + alices, "alice").result_int() == 404);
    BOOST_TEST(call(http::verb::delete_, "/v1/chatkit/threads/" + alices, "alice").result_int() ==
               404);
}

BOOST_AUTO_TEST_CASE(thread_routes_need_a_token_and_map_upstream_failures) {
    BOOST_TEST(code_of(call(http::verb::get, "/v1/chatkit/threads", "")) == "missing_token");
    BOOST_TEST(code_of(call(http::verb::get, "/v1/chatkit/threads/" + alices, "")) ==
               "missing_token");
    fault("retrieve_thread", R"({"mode": "status", "status": 503, "retry_after": 9, "count": 2})");
    auto busy = call(http::verb::get, "/v1/chatkit/threads/" + alices, "alice");
    BOOST_TEST(busy.result_int() == 503);
    BOOST_TEST(busy[http::field::retry_after] == "9");
    // A longer wait than a minute is capped at a minute, not dropped.
    fault("retrieve_thread",
          R"({"mode": "status", "status": 429, "retry_after": 999999, "count": 2})");
    auto long_wait = call(http::verb::get, "/v1/chatkit/threads/" + alices, "alice");
    BOOST_TEST(long_wait.result_int() == 503);
    BOOST_TEST(long_wait[http::field::retry_after] == "60");
    fault("list_threads", R"({"mode": "malformed", "count": 1})");
    BOOST_TEST(code_of(call(http::verb::get, "/v1/chatkit/threads", "alice")) == "upstream_error");
    auto wrong = call(http::verb::put, "/v1/chatkit/threads/" + alices, "alice");
    BOOST_TEST(wrong.result_int() == 405);
    BOOST_TEST(wrong[http::field::allow] == "GET, DELETE, OPTIONS");
}

BOOST_AUTO_TEST_SUITE_END()
