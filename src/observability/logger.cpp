#include "chatkit_gateway/observability/logger.hpp"

#include "chatkit_gateway/observability/log_writer.hpp"

#include <mutex>
#include <string>

namespace ckg::observability {

std::atomic<int> logger::level_{static_cast<int>(log_level::info)};

namespace {

std::mutex output_mutex;
std::function<void(std::string_view)> output_sink;  // guarded by output_mutex

std::string format_line(log_level level, std::string_view msg, const boost::json::object& fields) {
    log_line line(level, msg);
    line.add_all(fields);
    return line.finish();
}

// Started on first use and never destroyed: at exit, logger::flush() gives
// pending lines a bounded time, so a stalled stdout cannot hang the exit
// (a destructor would have to join a thread stuck in write()).
log_writer& stdout_writer() {
    static auto* writer = new log_writer(1, [](std::uint64_t dropped) {
        return format_line(log_level::warn, "log lines dropped: output too slow",
                           {{"dropped", dropped}});
    });
    return *writer;
}

}  // namespace

std::optional<log_level> log_level_from_name(std::string_view name) noexcept {
    for (auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error})
        if (level_name(l) == name) return l;
    return std::nullopt;
}

void logger::set_level(log_level level) noexcept {
    level_.store(static_cast<int>(level));
}

bool logger::enabled(log_level level) noexcept {
    return static_cast<int>(level) >= level_.load();
}

void logger::write(log_level level, std::string_view msg, boost::json::object fields) {
    if (!enabled(level)) return;
    emit(level, format_line(level, msg, fields));
}

void logger::write(log_line& line) {
    if (!enabled(line.level())) return;
    emit(line.level(), line.finish());
}

void logger::emit(log_level level, const std::string& text) {
    {
        std::lock_guard lock(output_mutex);
        if (output_sink) {
            output_sink(text);
            return;
        }
    }
    // Never a write on the caller's (io) thread: the writer thread batches them.
    stdout_writer().append(text, level >= log_level::warn);
}

void logger::flush() {
    stdout_writer().flush();
}

void logger::set_sink(std::function<void(std::string_view line)> sink) {
    std::lock_guard lock(output_mutex);
    output_sink = std::move(sink);
}

}  // namespace ckg::observability
