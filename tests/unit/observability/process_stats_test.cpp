#include "chatkit_gateway/observability/process_stats.hpp"

#include <boost/test/unit_test.hpp>

#include <ctime>
#include <string>

using namespace ckg::observability;

BOOST_AUTO_TEST_SUITE(process_stats_reading)

// proc(5): pid (comm) state ppid ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) ...
BOOST_AUTO_TEST_CASE(stat_fields_are_counted_after_the_command_name) {
    const std::string tail =
        " S 1 1 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 12345 104857600 4096 184467 0\n";
    for (const std::string comm : {"(chatkit-gateway)", "(a b) c)", "((x))", "()"}) {
        BOOST_TEST_CONTEXT(comm) {
            const auto f = parse_proc_stat("42 " + comm + tail);
            BOOST_REQUIRE(f);
            BOOST_TEST(f->utime_ticks == 250u);
            BOOST_TEST(f->stime_ticks == 50u);
            BOOST_TEST(f->start_ticks == 12345u);
            BOOST_TEST(f->rss_pages == 4096);
        }
    }
    BOOST_TEST(!parse_proc_stat(""));
    BOOST_TEST(!parse_proc_stat("42 no parenthesis S 1"));
    BOOST_TEST(!parse_proc_stat("42 (short) S 1 1"));
    BOOST_TEST(
        !parse_proc_stat("42 (x) S 1 1 1 0 -1 4194560 100 0 0 0 2x5 50 0 0 20 0 4 0 12345 1 4096"));
}

BOOST_AUTO_TEST_CASE(boot_time_comes_from_the_btime_line) {
    BOOST_TEST(*parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1764553200\nprocesses 9\n") ==
               1764553200);
    BOOST_TEST(!parse_boot_time("cpu  1 2 3\nbtimex 5\n"));
    BOOST_TEST(!parse_boot_time(""));
}

BOOST_AUTO_TEST_CASE(this_process_reads_sensibly) {
    const auto s = read_process_stats();
    BOOST_TEST(s.resident_bytes > 1e6);
    BOOST_TEST(s.open_fds >= 3);  // stdin, stdout, stderr
    const auto now = static_cast<double>(std::time(nullptr));
    BOOST_TEST(s.start_time_seconds <= now + 1);
    BOOST_TEST(s.start_time_seconds > now - 24 * 3600);
    BOOST_TEST(s.cpu_seconds >= 0);
}

BOOST_AUTO_TEST_SUITE_END()
