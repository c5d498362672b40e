#define BOOST_TEST_MODULE chatkit_gateway_integration
#include <boost/test/unit_test.hpp>

#include <csignal>

// A peer that resets a socket we write to must not kill the test process.
struct ignore_sigpipe {
    ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);
