// Sealed handles and the mint request/body builder, as pure functions.
#include "chatkit_gateway/api/session_request.hpp"
#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/sessions/handle_sealer.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <set>

using namespace ckg;
using namespace ckg::sessions;

namespace {
secret key(char fill) {
    return secret(std::string(32, fill));
}

// Opens a handle the long way, with a fresh OpenSSL context and nothing
// from handle_sealer: the layout the header documents, or nullopt.
std::optional<std::string> open_independently(const std::string& handle,
                                              const std::string& key_bytes) {
    const auto raw = base64url_decode(handle);
    if (!raw || raw->size() < 32) return std::nullopt;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(key_bytes.data()), key_bytes.size(), digest);
    if (raw->compare(0, 4, reinterpret_cast<const char*>(digest), 4) != 0) return std::nullopt;
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
    const int sealed = static_cast<int>(raw->size()) - 4 - 12 - 16;
    std::string plain(static_cast<std::size_t>(sealed), '\0');
    const std::string aad = "chatkit-gateway session handle v1";
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        EVP_CIPHER_CTX_free);
    int len = 0;
    std::string tag = raw->substr(raw->size() - 16);
    const bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                       reinterpret_cast<const unsigned char*>(key_bytes.data()),
                                       bytes + 4) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                                      reinterpret_cast<const unsigned char*>(aad.data()),
                                      static_cast<int>(aad.size())) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()),
                                      &len, bytes + 16, sealed) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
                    EVP_DecryptFinal_ex(
                        ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
    if (!ok) return std::nullopt;
    return plain;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(session_pieces)

BOOST_AUTO_TEST_CASE(handles_open_only_for_their_user_key_and_time) {
    handle_sealer sealer(key('a'));
    const auto h = sealer.seal({"cksess_1", "alice", 2000});
    BOOST_TEST(
        h.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
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

// Sealers keep keyed cipher contexts per thread; interleaving two sealers,
// and replacing one by a sealer with another key, must never mix them up,
// and every seal must use its own nonce.
BOOST_AUTO_TEST_CASE(interleaved_sealers_each_use_their_own_key_and_fresh_nonces) {
    std::set<std::string> nonces;
    for (int round = 0; round < 3; ++round) {
        const char fill_a = static_cast<char>('a' + round), fill_b = static_cast<char>('k' + round);
        handle_sealer a(key(fill_a)), b(key(fill_b));
        for (int i = 0; i < 20; ++i) {
            const handle_contents c{"cksess_" + std::to_string(i),
                                    "user \"" + std::to_string(round) + "\"", 5000 + i};
            const auto ha = a.seal(c), hb = b.seal(c);
            const auto expected = R"({"s":"cksess_)" + std::to_string(i) + R"(","u":"user \")" +
                                  std::to_string(round) + R"(\"","e":)" + std::to_string(5000 + i) +
                                  "}";
            BOOST_TEST(open_independently(ha, std::string(32, fill_a)).value_or("") == expected);
            BOOST_TEST(open_independently(hb, std::string(32, fill_b)).value_or("") == expected);
            BOOST_TEST(!open_independently(ha, std::string(32, fill_b)).has_value());
            BOOST_TEST(a.open(ha, c.user_id, 1).contents.has_value());
            BOOST_TEST((b.open(ha, c.user_id, 1).error == open_error::unknown_key));
            BOOST_TEST(b.open(hb, c.user_id, 1).contents->session_id == c.session_id);
            nonces.insert(base64url_decode(ha)->substr(4, 12));
            nonces.insert(base64url_decode(hb)->substr(4, 12));
        }
    }
    BOOST_TEST(nonces.size() == 120u);
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
    p.claims_to_state_variables = {
        {"plan", "plan_var"}, {"groups", "groups_var"}, {"missing", "missing_var"}};
    p.allowed_state_variables = {"locale"};
    s.workflows.emplace("default", p);
    auto req = api::parse_mint_request(R"({"state_variables": {"locale": "fr"}})", s);
    BOOST_REQUIRE(req.ok());
    const boost::json::object claims = {{"plan", "pro"}, {"groups", boost::json::array{"a"}}};
    const auto body = api::build_upstream_session(*req, "u1", claims);
    BOOST_TEST(
        boost::json::value(body) ==
        boost::json::parse(
            R"({"user": "u1", "workflow": {"id": "wf", "state_variables": {"const": "c", "plan_var": "pro", "locale": "fr"}}})"));
    BOOST_TEST(!api::parse_mint_request(R"({"state_variables": {"const": "x"}})", s).ok());
    BOOST_TEST(!api::parse_mint_request(R"({"state_variables": {"plan_var": "x"}})", s).ok());
}

// A claim the identity provider signed but a state variable cannot hold
// is left out as a missing one is: no "Infinity" (not JSON) goes upstream
// for 1e400, and no string longer than a caller may send.
BOOST_AUTO_TEST_CASE(claims_a_state_variable_cannot_hold_are_left_out) {
    config::sessions_config s;
    config::workflow_profile p;
    p.id = "wf";
    p.claims_to_state_variables = {
        {"huge", "huge_var"}, {"long", "long_var"}, {"tier", "tier_var"}, {"big", "big_var"}};
    s.workflows.emplace("default", p);
    auto req = api::parse_mint_request("{}", s);
    BOOST_REQUIRE(req.ok());
    const auto claims =
        boost::json::parse(R"({"huge": 1e400, "long": ")" + std::string(1025, 'x') +
                           R"(", "tier": -1e400, "big": 123456789012345678901234567890})")
            .as_object();
    const auto text = boost::json::serialize(api::build_upstream_session(*req, "u1", claims));
    boost::system::error_code ec;
    const auto sent = boost::json::parse(text, ec);
    BOOST_REQUIRE_MESSAGE(!ec, text);
    const auto& vars = sent.at("workflow").at("state_variables").as_object();
    BOOST_TEST(vars.size() == 1u);  // only the finite number
    BOOST_TEST(vars.contains("big_var"));
}

BOOST_AUTO_TEST_SUITE_END()
