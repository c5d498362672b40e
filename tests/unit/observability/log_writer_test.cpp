// log_writer on a real pipe: lines arrive whole and in order, flush() waits
// for them, and a reader that stops reading costs dropped lines (counted and
// reported later), never a blocked caller.
#include "chatkit_gateway/observability/log_writer.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

using ckg::observability::log_writer;

namespace {

struct pipe_pair {
    int fds[2] = {-1, -1};
    pipe_pair() { BOOST_REQUIRE(::pipe(fds) == 0); }
    ~pipe_pair() {
        ::close(fds[0]);
        if (fds[1] >= 0) ::close(fds[1]);
    }
    // Everything readable now (non-blocking).
    std::string drain() const {
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
        std::string out;
        char buf[65536];
        for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    }
};

std::string dropped_line(std::uint64_t n) {
    return "dropped " + std::to_string(n) + "\n";
}

// A log_writer on a pipe. It is destroyed while the pipe is being read: a
// writer still in the middle of a large batch would otherwise block on the
// full pipe and never be joined.
struct writer_on_pipe {
    pipe_pair p;
    std::optional<log_writer> w;
    writer_on_pipe() { w.emplace(p.fds[1], dropped_line); }
    ~writer_on_pipe() {
        std::atomic<bool> done{false};
        std::thread reader([this, &done] {
            while (!done) {
                p.drain();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
        w.reset();
        done = true;
        reader.join();
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(log_writing)

BOOST_AUTO_TEST_CASE(lines_arrive_in_order_after_flush) {
    writer_on_pipe f;
    auto& p = f.p;
    auto& w = *f.w;
    std::string expected;
    for (int i = 0; i < 1000; ++i) {
        const auto line = "line " + std::to_string(i) + "\n";
        w.append(line, false);
        expected += line;
    }
    w.flush();
    BOOST_TEST(p.drain() == expected);
}

BOOST_AUTO_TEST_CASE(a_stalled_reader_costs_counted_lines_not_a_blocked_caller) {
    writer_on_pipe f;
    auto& p = f.p;
    auto& w = *f.w;
    const std::string line(1000, 'x');
    const auto started = std::chrono::steady_clock::now();
    // Far more than the pipe (64 KiB), the batch being written (up to 8 MiB)
    // and the queue (8 MiB) hold together.
    for (int i = 0; i < 24000; ++i) w.append(line + "\n", false);
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 2000);
    // The reader comes back: what was queued arrives, then the drop report
    // (read as fast as the writer writes, for up to 20 s on a busy machine).
    std::string seen;
    w.append("after\n", true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (seen.find("dropped ") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        const auto before = seen.size();
        seen += p.drain();
        if (seen.size() == before) {
            w.append("after\n", true);  // wakes the writer for the next batch
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    BOOST_TEST(seen.find("dropped ") != std::string::npos);
    BOOST_TEST(seen.size() > log_writer::max_pending_bytes / 2);
}

BOOST_AUTO_TEST_CASE(flush_gives_up_on_a_stalled_reader) {
    writer_on_pipe f;
    auto& p = f.p;
    auto& w = *f.w;
    const std::string line(1000, 'y');
    for (int i = 0; i < 1000; ++i) w.append(line + "\n", false);  // 1 MB: more than the pipe holds
    const auto started = std::chrono::steady_clock::now();
    w.flush(std::chrono::milliseconds(200));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    BOOST_TEST(took.count() >= 150);
    BOOST_TEST(took.count() < 2000);
    // Let the writer finish so it can be joined.
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (seen.size() < 1000u * 1001u && std::chrono::steady_clock::now() < deadline)
        seen += p.drain();
    BOOST_TEST(seen.size() == 1000u * 1001u);
}

BOOST_AUTO_TEST_SUITE_END()
