#include "chatkit_gateway/observability/log_line.hpp"

#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace ckg::observability {
namespace {

// RFC 3339 UTC with milliseconds, e.g. 2026-11-24T05:12:59.123Z. The part
// up to the seconds is formatted once per second per thread.
void append_rfc3339_now(std::string& out) {
    thread_local std::time_t cached_second = -1;
    thread_local char cached[80];  // room for any int the compiler imagines in %04d
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    if (secs != cached_second) {
        std::tm tm{};
        gmtime_r(&secs, &tm);
        std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_second = secs;
    }
    out += cached;
    out.push_back(static_cast<char>('0' + ms / 100));
    out.push_back(static_cast<char>('0' + ms / 10 % 10));
    out.push_back(static_cast<char>('0' + ms % 10));
    out.push_back('Z');
}

bool is_reserved(std::string_view key) noexcept {
    return key == "time" || key == "level" || key == "msg";
}

}  // namespace

std::string_view level_name(log_level level) noexcept {
    switch (level) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warn:
            return "warn";
        case log_level::error:
            return "error";
    }
    return "info";
}

log_line::log_line(log_level level, std::string_view msg) : level_(level) {
    text_.reserve(320);
    text_ += "{\"time\":\"";
    append_rfc3339_now(text_);
    text_ += "\",\"level\":\"";
    text_ += level_name(level);
    text_ += "\",\"msg\":";
    append_value(msg);
}

void log_line::start_member(json_key key) {
    text_ += ',';
    append_json_key(text_, key);
}

void log_line::start_member(std::string_view name) {
    text_ += ',';
    append_value(name);  // a name is scrubbed as a value is
    text_ += ':';
}

// Every string is scrubbed of the configured secrets a peer may have echoed
// into it (observability/redaction.hpp).
void log_line::append_value(std::string_view text) {
    const auto from = text_.size();
    append_json_string(text_, text);
    auto to = text_.size() - 1;  // the closing quote
    scrub_secrets(text_, from + 1, to, true);
}

void log_line::append_value(std::int64_t number) {
    char digits[24];  // written in place: an access line has half a dozen numbers
    text_.append(digits, std::to_chars(digits, digits + sizeof digits, number).ptr);
}

log_line& log_line::add(json_key key, std::string_view value) {
    start_member(key);
    append_value(value);
    return *this;
}

log_line& log_line::add(json_key key, std::int64_t value) {
    start_member(key);
    append_value(value);
    return *this;
}

log_line& log_line::add_all(const boost::json::object& members) {
    for (const auto& m : members) {
        if (is_reserved(m.key())) continue;
        start_member(std::string_view(m.key()));
        if (const auto* text = m.value().if_string()) {
            append_value(std::string_view(*text));
            continue;
        }
        const auto from = text_.size();
        append_json_value(text_, m.value());
        auto to = text_.size();
        scrub_secrets(text_, from, to, false);
    }
    return *this;
}

log_line& log_line::add_all(const log_fields& members) {
    for (const auto& m : members.members()) {
        if (is_reserved(m.name.view())) continue;
        start_member(m.name);
        std::visit([this](const auto& v) { append_value(v); }, m.value);
    }
    return *this;
}

std::string log_line::finish() {
    text_ += "}\n";
    return std::move(text_);
}

}  // namespace ckg::observability
