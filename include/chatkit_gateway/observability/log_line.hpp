// One JSON log line, built in place:
//   {"time":"<RFC 3339 UTC>","level":"info","msg":"...",<members>}\n
// Members are appended as JSON text as they are added (core/json_text.hpp),
// so a line costs one string, not an object per line plus a copy: the
// access log writes one for every request.
#pragma once

#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/observability/log_fields.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ckg::observability {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };
std::string_view level_name(log_level level) noexcept;

class log_line {
public:
    log_line(log_level level, std::string_view msg);
    log_line(const log_line&) = delete;
    log_line& operator=(const log_line&) = delete;

    // Names are the code's (json_key: checked when compiled).
    log_line& add(json_key key, std::string_view value);
    log_line& add(json_key key, std::int64_t value);
    // Every member of `members` but time, level and msg (the line's own);
    // an object's names are escaped as its values are.
    log_line& add_all(const boost::json::object& members);
    log_line& add_all(const log_fields& members);

    log_level level() const noexcept { return level_; }
    // The finished line, newline included; the builder is spent.
    std::string finish();

private:
    void start_member(json_key key);           // ,"key":
    void start_member(std::string_view name);  // the same, escaped
    void append_value(std::string_view text);
    void append_value(std::int64_t number);

    log_level level_;
    std::string text_;
};

}  // namespace ckg::observability
