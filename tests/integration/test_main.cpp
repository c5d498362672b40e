#define BOOST_TEST_MODULE chatkit_gateway_integration
#include <boost/test/unit_test.hpp>

#include "chatkit_gateway/observability/logger.hpp"
#include "secret_scan.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>

// A peer that resets a socket we write to must not kill the test process.
struct ignore_sigpipe {
    ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);

// Records every in-process log line, and at the end of the run checks
// everything the suites saw (responses, log lines, child process output)
// for a secret (tests/support/secret_scan.hpp).
struct no_secret_anywhere {
    no_secret_anywhere() { ckg::observability::logger::set_sink(ckg::test::recording_log_sink()); }
    ~no_secret_anywhere() {
        ckg::observability::logger::set_sink(nullptr);
        const auto leaks = ckg::test::find_leaks();
        for (const auto& leak : leaks) std::cerr << "secret scan: " << leak << "\n";
        if (!leaks.empty()) std::_Exit(3);  // fails the ctest entry whatever Boost.Test reported
        std::cout << "secret scan: nothing secret in " << ckg::test::observed_count()
                  << " responses, log lines and process outputs\n";
    }
};
BOOST_TEST_GLOBAL_FIXTURE(no_secret_anywhere);
