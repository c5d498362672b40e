#include "chatkit_gateway/observability/logger.hpp"

#include "chatkit_gateway/observability/log_writer.hpp"

#include <boost/json/serializer.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace ckg::observability {

std::atomic<int> logger::level_{static_cast<int>(log_level::info)};

namespace {

std::string_view level_name(log_level level) noexcept {
    switch (level) {
        case log_level::debug: return "debug";
        case log_level::info: return "info";
        case log_level::warn: return "warn";
        case log_level::error: return "error";
    }
    return "info";
}

// RFC 3339 UTC with milliseconds, e.g. 2026-11-24T05:12:59.123Z. The part
// up to the seconds is formatted once per second per thread.
void append_rfc3339_now(std::string& out) {
    thread_local std::time_t cached_second = -1;
    thread_local char cached[80];  // room for any int the compiler imagines in %04d
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    if (secs != cached_second) {
        std::tm tm{};
        gmtime_r(&secs, &tm);
        std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_second = secs;
    }
    out += cached;
    out.push_back(static_cast<char>('0' + ms / 100));
    out.push_back(static_cast<char>('0' + ms / 10 % 10));
    out.push_back(static_cast<char>('0' + ms % 10));
    out.push_back('Z');
}

std::mutex output_mutex;
std::function<void(std::string_view)> output_sink;  // guarded by output_mutex

// Appends the JSON text of `what` (an object or a string) to `out`, through
// a stack buffer: no intermediate string, no copy of the object.
template <class T>
void append_json(boost::json::serializer& sr, const T& what, std::string& out, bool skip_first = false) {
    sr.reset(what);
    char buf[512];
    while (!sr.done()) {
        std::string_view chunk = sr.read(buf);
        if (skip_first && !chunk.empty()) {
            chunk.remove_prefix(1);
            skip_first = false;
        }
        out.append(chunk);
    }
}

// {"time":...,"level":...,"msg":...,<fields>}: the caller's object is
// serialized as it is, minus its opening brace.
std::string format_line(log_level level, std::string_view msg, boost::json::object fields) {
    for (const auto reserved : {"time", "level", "msg"}) fields.erase(reserved);
    std::string text;
    text.reserve(256);
    text += "{\"time\":\"";
    append_rfc3339_now(text);
    text += "\",\"level\":\"";
    text += level_name(level);
    text += "\",\"msg\":";
    boost::json::serializer sr;
    append_json(sr, boost::json::string_view(msg), text);
    if (fields.empty()) {
        text += '}';
    } else {
        text += ',';
        append_json(sr, &fields, text, true);
    }
    text.push_back('\n');
    return text;
}

// Started on first use and never destroyed: at exit, logger::flush() gives
// pending lines a bounded time, so a stalled stdout cannot hang the exit
// (a destructor would have to join a thread stuck in write()).
log_writer& stdout_writer() {
    static auto* writer = new log_writer(1, [](std::uint64_t dropped) {
        return format_line(log_level::warn, "log lines dropped: output too slow", {{"dropped", dropped}});
    });
    return *writer;
}

}  // namespace

std::optional<log_level> log_level_from_name(std::string_view name) noexcept {
    for (auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error})
        if (level_name(l) == name) return l;
    return std::nullopt;
}

void logger::set_level(log_level level) noexcept { level_.store(static_cast<int>(level)); }

bool logger::enabled(log_level level) noexcept { return static_cast<int>(level) >= level_.load(); }

void logger::write(log_level level, std::string_view msg, boost::json::object fields) {
    if (!enabled(level)) return;
    const std::string text = format_line(level, msg, std::move(fields));
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

void logger::flush() { stdout_writer().flush(); }

void logger::set_sink(std::function<void(std::string_view line)> sink) {
    std::lock_guard lock(output_mutex);
    output_sink = std::move(sink);
}

}  // namespace ckg::observability
