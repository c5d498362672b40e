// ckg::secret: the bytes it was made from are wiped, a moved-from secret is
// empty, and reveal() never hands a C API a null pointer.
#include "chatkit_gateway/core/secret.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>

using ckg::secret;

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(the_source_string_is_wiped_and_moves_leave_nothing_behind) {
    std::string key(32, 'k');  // longer than the small-string buffer
    secret a(std::move(key));
    BOOST_TEST(key.empty());
    BOOST_TEST(a.reveal() == std::string(32, 'k'));
    std::string short_key = "abc";
    secret b(std::move(short_key));
    BOOST_TEST(short_key.empty());
    secret c(std::move(a));
    BOOST_TEST(a.empty());
    BOOST_TEST(c.size() == 32u);
    b = std::move(c);
    BOOST_TEST(c.empty());
    BOOST_TEST(b.reveal() == std::string(32, 'k'));
    const std::string kept = "copied";
    secret d(kept);
    BOOST_TEST(kept == "copied");
    BOOST_TEST(d.reveal() == "copied");
}

BOOST_AUTO_TEST_CASE(an_empty_secret_reveals_a_non_null_pointer) {
    secret empty;
    BOOST_TEST(empty.reveal().data() != nullptr);
    BOOST_TEST(empty.reveal().empty());
    secret moved(std::string("x"));
    secret to(std::move(moved));
    BOOST_TEST(moved.reveal().data() != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
