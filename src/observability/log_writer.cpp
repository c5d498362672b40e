#include "chatkit_gateway/observability/log_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace ckg::observability {
namespace {

// How long lines may wait before they are written: short enough for a human
// tailing the log, long enough that a busy server writes many lines at once.
constexpr auto batch_interval = std::chrono::milliseconds(20);

}  // namespace

log_writer::log_writer(int fd, std::function<std::string(std::uint64_t)> dropped_line)
    : fd_(fd), dropped_line_(std::move(dropped_line)), thread_([this] { run(); }) {}

log_writer::~log_writer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void log_writer::append(std::string_view line, bool urgent) {
    {
        std::lock_guard lock(mutex_);
        if (pending_.size() + line.size() > max_pending_bytes) {
            ++dropped_;
            return;
        }
        pending_.append(line);
        ++appended_;
        urgent_ = urgent_ || urgent;
    }
    if (urgent) wake_.notify_one();
}

void log_writer::flush(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    const auto target = appended_;
    urgent_ = true;
    wake_.notify_one();
    written_.wait_for(lock, limit, [&] { return done_ >= target || stop_; });
}

void log_writer::run() {
    std::string batch;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, batch_interval, [&] { return stop_ || urgent_; });
        urgent_ = false;
        batch.swap(pending_);
        const auto generation = appended_;
        const auto dropped = dropped_;
        dropped_ = 0;
        const bool stopping = stop_;
        lock.unlock();
        if (dropped != 0) batch += dropped_line_(dropped);
        if (!batch.empty()) write_all(batch);
        batch.clear();
        lock.lock();
        done_ = generation;
        written_.notify_all();
        if (stopping && pending_.empty()) return;
    }
}

void log_writer::write_all(const std::string& text) const {
    std::size_t off = 0;
    while (off < text.size()) {
        const auto n = ::write(fd_, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // stdout gone: nothing better to do with the lines
        off += static_cast<std::size_t>(n);
    }
}

}  // namespace ckg::observability
