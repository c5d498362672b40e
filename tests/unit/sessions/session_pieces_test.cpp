// Sealed handles and the mint request/body builder, as pure functions.
#include "chatkit_gateway/api/session_request.hpp"
#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/sessions/handle_sealer.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::sessions;

namespace {
secret key(char fill) { return secret(std::string(32, fill)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(session_pieces)

BOOST_AUTO_TEST_CASE(handles_open_only_for_their_user_key_and_time) {
    handle_sealer sealer(key('a'));
    const auto h = sealer.seal({"cksess_1", "alice", 2000});
    BOOST_TEST(h.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
    BOOST_TEST(h.find("cksess") == std::string::npos);
    BOOST_TEST(sealer.seal({"cksess_1", "alice", 2000}) != h);  // random nonce
    auto ok = sealer.open(h, "alice", 1999);
    BOOST_REQUIRE(ok.contents.has_value());
    BOOST_TEST(ok.contents->session_id == "cksess_1");
    BOOST_TEST(ok.contents->expires_at == 2000);
    BOOST_TEST((sealer.open(h, "bob", 1999).error == open_error::other_user));
    BOOST_TEST((sealer.open(h, "alice", 2000).error == open_error::expired));
    BOOST_TEST((handle_sealer(key('b')).open(h, "alice", 1).error == open_error::unknown_key));
    auto raw = *base64url_decode(h);
    raw[20] ^= 1;
    BOOST_TEST((sealer.open(base64url_encode(raw), "alice", 1).error == open_error::tampered));
    BOOST_TEST((sealer.open("!!", "alice", 1).error == open_error::malformed));
    BOOST_TEST((sealer.open("", "alice", 1).error == open_error::malformed));
}

BOOST_AUTO_TEST_CASE(rotation_keeps_live_handles_working) {
    const auto old_handle = handle_sealer(key('a')).seal({"cksess_1", "alice", 2000});
    handle_sealer rotated(key('n'), key('a'));
    BOOST_TEST(rotated.open(old_handle, "alice", 1).contents.has_value());
    const auto fresh = rotated.seal({"cksess_2", "alice", 2000});
    BOOST_TEST(handle_sealer(key('n')).open(fresh, "alice", 1).contents.has_value());
    BOOST_TEST(!handle_sealer(key('a')).open(fresh, "alice", 1).contents.has_value());
}

BOOST_AUTO_TEST_CASE(state_variables_merge_without_override) {
    config::sessions_config s;
    config::workflow_profile p;
    p.id = "wf";
    p.state_variables = {{"const", "c"}};
    p.claims_to_state_variables = {{"plan", "plan_var"}, {"groups", "groups_var"}, {"missing", "missing_var"}};
    p.allowed_state_variables = {"locale"};
    s.workflows.emplace("default", p);
    auto req = api::parse_mint_request(R"({"state_variables": {"locale": "fr"}})", s);
    BOOST_REQUIRE(req.ok());
    const boost::json::object claims = {{"plan", "pro"}, {"groups", boost::json::array{"a"}}};
    const auto body = api::build_upstream_session(*req, "u1", claims);
    BOOST_TEST(boost::json::value(body) == boost::json::parse(
        R"({"user": "u1", "workflow": {"id": "wf", "state_variables": {"const": "c", "plan_var": "pro", "locale": "fr"}}})"));
    BOOST_TEST(!api::parse_mint_request(R"({"state_variables": {"const": "x"}})", s).ok());
    BOOST_TEST(!api::parse_mint_request(R"({"state_variables": {"plan_var": "x"}})", s).ok());
}

BOOST_AUTO_TEST_SUITE_END()
