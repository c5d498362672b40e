// The bounds on what a JWKS host can make a signature check cost
// (docs/auth.md, key bounds): the keys one document may list, the size of an
// RSA key and its exponent, and the keys one token is checked against.
#include "hostile_jwk.hpp"

#include "chatkit_gateway/auth/key_set.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace ckg;
using ckg::test::random_number;
using ckg::test::rsa_jwk;
namespace json = boost::json;

namespace {

const std::string f4("\x01\x00\x01", 3);  // 65537

std::string jwks_of(const json::array& keys) {
    return json::serialize(json::object{{"keys", keys}});
}

// Why the one key of a JWKS was refused ("" when it was taken).
std::string refusal_of(const json::object& jwk) {
    auto set = auth::key_set_from_jwks(jwks_of(json::array{jwk}));
    return set ? "" : set.error().detail;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_bounds)

BOOST_AUTO_TEST_CASE(rsa_keys_are_taken_only_within_their_size_bounds) {
    std::mt19937 rng(7);
    BOOST_TEST(refusal_of(rsa_jwk(2048, f4, rng)) == "");
    BOOST_TEST(refusal_of(rsa_jwk(8192, f4, rng)) == "");
    BOOST_TEST(refusal_of(rsa_jwk(8192, random_number(32, true, rng), rng)) == "");
    BOOST_TEST(refusal_of(rsa_jwk(2047, f4, rng)).find("shorter than 2048 bits") !=
               std::string::npos);
    BOOST_TEST(refusal_of(rsa_jwk(8193, f4, rng)).find("longer than 8192 bits") !=
               std::string::npos);
    // A 33-bit exponent, a 3,071-bit one (each check as dear as a signing),
    // an even one (65536) and 1.
    for (const auto& e : {random_number(33, true, rng), random_number(3071, true, rng),
                          std::string("\x01\x00\x00", 3), std::string("\x01", 1)})
        BOOST_TEST(refusal_of(rsa_jwk(3072, e, rng)).find("public exponent") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_jwks_of_more_than_100_keys_is_refused) {
    std::mt19937 rng(11);
    json::array keys;
    for (std::size_t i = 0; i < auth::max_jwks_keys; ++i) {
        auto k = rsa_jwk(2048, f4, rng);
        k["kid"] = std::string("k").append(std::to_string(i));
        keys.push_back(std::move(k));
    }
    const auto full = auth::key_set_from_jwks(jwks_of(keys));
    BOOST_REQUIRE(full.ok());
    BOOST_TEST(full->size() == 100u);
    keys.push_back(json::object{{"kty", "oct"}});  // even a key it would skip counts
    const auto over = auth::key_set_from_jwks(jwks_of(keys));
    BOOST_REQUIRE(!over.ok());
    BOOST_TEST(over.error().detail == "JWKS has more than 100 keys");
}

BOOST_AUTO_TEST_CASE(a_token_is_checked_against_at_most_8_keys) {
    std::mt19937 rng(13);
    json::array keys;
    for (int i = 0; i < 30; ++i) {
        auto k = rsa_jwk(2048, f4, rng);
        if (i % 2 == 0) k["kid"] = "same";  // 15 keys sharing one kid, 15 without
        keys.push_back(std::move(k));
    }
    const auto set = auth::key_set_from_jwks(jwks_of(keys));
    BOOST_REQUIRE(set.ok());
    const std::string same = "same", other = "other";
    BOOST_TEST(set->candidates(auth::jws_algorithm::rs256, nullptr).size() == 8u);
    BOOST_TEST(set->candidates(auth::jws_algorithm::rs256, &same).size() == 8u);
    // The kid-less keys still count for a kid that names none.
    BOOST_TEST(set->candidates(auth::jws_algorithm::rs256, &other).size() == 8u);
    for (const auto* k : set->candidates(auth::jws_algorithm::rs256, &same))
        BOOST_TEST((k->kid == same));  // keys whose kid matches come first
    BOOST_TEST(set->candidates(auth::jws_algorithm::es256, nullptr).empty());
}

BOOST_AUTO_TEST_SUITE_END()
