// The public listener's share of the open-file limit (docs/operations.md,
// open files): the configured max_connections when it fits, fewer when
// not, never 0.
#include "chatkit_gateway/app/open_file_limit.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;

BOOST_AUTO_TEST_SUITE(open_file_limits)

BOOST_AUTO_TEST_CASE(the_public_listener_keeps_the_reserve_free) {
    config::gateway_config c;
    c.server.max_connections = 10000;
    c.upstream.max_connections = 64;
    c.auth.issuers.resize(1);
    // 64 admin + 64 upstream + 2 for the issuer + 4 per io thread + 64.
    BOOST_TEST(app::reserved_descriptors(c, 2) == 202u);
    BOOST_TEST(app::public_connections_within(0, c, 2) == 10000u);  // unlimited
    BOOST_TEST(app::public_connections_within(1048576, c, 2) == 10000u);
    BOOST_TEST(app::public_connections_within(1024, c, 2) == 1024u - 202u);
    BOOST_TEST(app::public_connections_within(203, c, 2) == 1u);
    BOOST_TEST(app::public_connections_within(64, c, 2) == 1u);  // below the reserve
    c.redis.emplace();  // one connection per io thread and one for the block polls
    BOOST_TEST(app::reserved_descriptors(c, 2) == 205u);
}

BOOST_AUTO_TEST_SUITE_END()
