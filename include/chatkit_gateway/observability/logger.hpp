// Structured logging: one JSON object per line on stdout (docs/operations.md).
// Callers pass fields as a JSON object; the logger adds time, level and msg.
// Lines reach stdout through log_writer's background thread, never written
// on the calling (io) thread.
// Nothing secret is ever handed to it: tokens, keys and client secrets stay
// out of every field by construction (see docs/architecture.md).
#pragma once

#include "chatkit_gateway/observability/log_line.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string_view>

namespace ckg::observability {

std::optional<log_level> log_level_from_name(std::string_view name) noexcept;

class logger {
public:
    static void set_level(log_level level) noexcept;
    static bool enabled(log_level level) noexcept;
    static void write(log_level level, std::string_view msg, boost::json::object fields = {});
    // A line built with log_line (the access log: no intermediate object).
    static void write(log_line& line);
    // Waits until every line written so far is on stdout (log_writer batches
    // them), at most 2 s. Called before the process exits.
    static void flush();
    // Where lines go (default: stdout). Tests capture them to check contents.
    static void set_sink(std::function<void(std::string_view line)> sink);

private:
    static void emit(log_level level, const std::string& text);
    static std::atomic<int> level_;
};

inline void log_debug(std::string_view msg, boost::json::object f = {}) {
    logger::write(log_level::debug, msg, std::move(f));
}
inline void log_info(std::string_view msg, boost::json::object f = {}) {
    logger::write(log_level::info, msg, std::move(f));
}
inline void log_warn(std::string_view msg, boost::json::object f = {}) {
    logger::write(log_level::warn, msg, std::move(f));
}
inline void log_error(std::string_view msg, boost::json::object f = {}) {
    logger::write(log_level::error, msg, std::move(f));
}

}  // namespace ckg::observability
