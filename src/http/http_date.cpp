#include "chatkit_gateway/http/http_date.hpp"

#include <cstdio>

namespace ckg::http_server {

std::string imf_fixdate(std::time_t t) {
    // Names written out, not strftime's %a and %b: those follow the locale.
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                  tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return out;
}

const std::string& http_date_now() {
    thread_local std::time_t formatted_at = -1;
    thread_local std::string text;
    const auto now = std::time(nullptr);
    if (now != formatted_at) {
        text = imf_fixdate(now);
        formatted_at = now;
    }
    return text;
}

}  // namespace ckg::http_server
