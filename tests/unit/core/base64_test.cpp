#include "chatkit_gateway/core/base64.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(base64)

// RFC 4648 section 10 test vectors.
BOOST_AUTO_TEST_CASE(rfc4648_vectors) {
    const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        BOOST_TEST_CONTEXT(encoded) {
            BOOST_TEST(base64_decode(encoded).value() == plain);
            std::string unpadded = encoded.substr(0, encoded.find('='));
            BOOST_TEST(base64url_encode(plain) == unpadded);
            BOOST_TEST(base64url_decode(unpadded).value() == plain);
        }
    }
}

BOOST_AUTO_TEST_CASE(url_alphabet_round_trips_all_bytes) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    const auto encoded = base64url_encode(all);
    BOOST_TEST(encoded.find_first_of("+/=") == std::string::npos);
    BOOST_TEST(base64url_decode(encoded).value() == all);
}

BOOST_AUTO_TEST_CASE(strict_decoding_rejects_garbage) {
    for (const char* bad : {"Zm9v!", "Zg", "Zh==", "Zm9=v", "Z", "Zm9vYmFy=", "Zm 9v"})
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!base64_decode(bad).has_value());
        }
    for (const char* bad : {"Zm9v+", "Zm9v/", "Zg==", "Zh", "A"}) BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!base64url_decode(bad).has_value());
        }
}

BOOST_AUTO_TEST_SUITE_END()
