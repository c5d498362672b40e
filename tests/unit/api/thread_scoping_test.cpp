// A thread reply is bound to the request it answers (docs/architecture.md,
// "Upstream calls"): a reply about another thread, or an item list holding
// another thread's items, is an upstream error, never an answer; another
// user's thread is the same 404 as a missing one.
#include "chatkit_gateway/api/thread_scoping.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(thread_reply_binding)

BOOST_AUTO_TEST_CASE(a_thread_reply_must_be_the_requested_thread_of_the_caller) {
    const std::string mine = R"({"id":"thr_a","object":"chatkit.thread","user":"alice"})";
    BOOST_TEST(bool(api::owned_thread(mine, "alice", "thr_a")));
    // A stray reply about the caller's own other thread: never taken as thr_b.
    const auto stray = api::owned_thread(mine, "alice", "thr_b");
    BOOST_TEST((!stray && stray.error().code == errc::upstream_error));
    const auto foreign = api::owned_thread(mine, "bob", "thr_a");
    BOOST_TEST((!foreign && foreign.error().code == errc::not_found));
    const auto no_id = api::owned_thread(R"({"user":"alice"})", "alice", "thr_a");
    BOOST_TEST((!no_id && no_id.error().code == errc::upstream_error));
    BOOST_TEST(!api::owned_thread("[1]", "alice", "thr_a"));
}

// A repeated name is read one way here and another way elsewhere: a
// thread, list or item list holding one anywhere is an upstream error.
BOOST_AUTO_TEST_CASE(a_reply_with_a_repeated_name_is_an_upstream_error) {
    const auto twice =
        api::owned_thread(R"({"id":"thr_a","user":"victim","secret":"victim-data","user":"alice"})",
                          "alice", "thr_a");
    BOOST_TEST((!twice && twice.error().code == errc::upstream_error));
    const auto listed = api::scope_thread_list(
        R"({"object":"list","data":[{"id":"t","user":"victim","user":"alice"}]})", "alice");
    BOOST_TEST((!listed && listed.error().code == errc::upstream_error));
    const auto items = api::thread_item_list(
        R"({"object":"list","data":[{"id":"i","thread_id":"thr_b","thread_id":"thr_a"}]})",
        "thr_a");
    BOOST_TEST((!items && items.error().code == errc::upstream_error));
}

BOOST_AUTO_TEST_CASE(an_item_list_must_hold_only_the_requested_threads_items) {
    const std::string ok =
        R"({"object":"list","data":[{"id":"i1","thread_id":"thr_a"},{"id":"i2","thread_id":"thr_a"}]})";
    BOOST_TEST(bool(api::thread_item_list(ok, "thr_a")));
    BOOST_TEST(bool(api::thread_item_list(R"({"object":"list","data":[]})", "thr_a")));
    for (const std::string bad : {
             R"({"object":"list","data":[{"id":"i1","thread_id":"thr_b"}]})",
             R"({"object":"list","data":[{"id":"i1"}]})",
             R"({"object":"list","data":[{"id":{"x":1},"thread_id":"thr_a"}]})",
             R"({"id":"thr_a","object":"chatkit.thread","user":"alice"})",
             R"({"object":"list","data":{}})",
             "not json",
         }) {
        BOOST_TEST_CONTEXT(bad) {
            const auto r = api::thread_item_list(bad, "thr_a");
            BOOST_TEST((!r && r.error().code == errc::upstream_error));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_delete_confirmation_must_name_the_deleted_thread) {
    const auto ok = api::deletion_of(
        R"({"id":"thr_a","deleted":true,"object":"chatkit.thread.deleted","extra":1})", "thr_a");
    BOOST_REQUIRE(bool(ok));
    BOOST_TEST(ok->size() == 3u);  // only id, deleted, object are passed on
    const auto other = api::deletion_of(R"({"id":"thr_b","deleted":true})", "thr_a");
    BOOST_TEST((!other && other.error().code == errc::upstream_error));
    BOOST_TEST(!api::deletion_of("{", "thr_a"));
}

BOOST_AUTO_TEST_SUITE_END()
