// Moves log output off the io threads: lines are appended to a buffer in
// memory and a background thread writes whatever has gathered to stdout
// every few milliseconds, in one write. A burst that outruns stdout is
// bounded (at most `max_pending_bytes` queued while a batch of at most that
// size is being written; lines beyond are dropped and counted, and the count
// is reported in a later line) instead of blocking request handling.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace ckg::observability {

class log_writer {
public:
    static constexpr std::size_t max_pending_bytes = 8 << 20;

    // `fd` is where lines go (1: stdout); `dropped_line` formats the line
    // that reports how many lines were dropped.
    log_writer(int fd, std::function<std::string(std::uint64_t dropped)> dropped_line);
    ~log_writer();  // writes everything still pending
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;

    // Queues one complete line (with its newline); `urgent` wakes the writer now.
    void append(std::string_view line, bool urgent);
    // Returns once everything queued so far has been written, or after
    // `limit` (a stalled reader must not hold the caller forever).
    void flush(std::chrono::milliseconds limit = std::chrono::seconds(2));

private:
    void run();
    void write_all(const std::string& text) const;

    const int fd_;
    const std::function<std::string(std::uint64_t)> dropped_line_;
    std::mutex mutex_;
    std::condition_variable wake_, written_;
    std::string pending_;
    std::uint64_t dropped_ = 0;
    std::uint64_t appended_ = 0, done_ = 0;  // line generations, for flush()
    bool stop_ = false;
    bool urgent_ = false;
    std::thread thread_;
};

}  // namespace ckg::observability
