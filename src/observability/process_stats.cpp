#include "chatkit_gateway/observability/process_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace ckg::observability {
namespace {

// Field `index` (0-based) of the space-separated `text`, or "".
std::string_view field(std::string_view text, std::size_t index) {
    std::size_t pos = 0;
    for (std::size_t i = 0;; ++i) {
        pos = text.find_first_not_of(' ', pos);
        if (pos == std::string_view::npos) return {};
        const auto end = std::min(text.find(' ', pos), text.size());
        if (i == index) return text.substr(pos, end - pos);
        pos = end;
    }
}

template <class T>
bool number(std::string_view s, T& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

std::string read_small_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::string text;
    constexpr std::size_t cap = 64 * 1024;  // /proc/stat grows with the cores, never this far
    char buf[4096];
    while (in && text.size() < cap) {
        in.read(buf, sizeof buf);
        text.append(buf, static_cast<std::size_t>(in.gcount()));
    }
    return text;
}

double count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return 0;
    double n = 0;
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.') ++n;
    ::closedir(dir);
    return n - 1;  // the directory stream's own descriptor
}

}  // namespace

std::optional<proc_stat_fields> parse_proc_stat(std::string_view text) {
    const auto close = text.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    // After "pid (comm)": field 3 (state) is index 0 here; utime is field 14,
    // stime 15, starttime 22, rss 24 (proc(5)).
    const auto rest = text.substr(close + 1);
    proc_stat_fields f;
    if (!number(field(rest, 11), f.utime_ticks) || !number(field(rest, 12), f.stime_ticks) ||
        !number(field(rest, 19), f.start_ticks) || !number(field(rest, 21), f.rss_pages))
        return std::nullopt;
    return f;
}

std::optional<std::int64_t> parse_boot_time(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const auto end = std::min(text.find('\n', pos), text.size());
        const auto line = text.substr(pos, end - pos);
        std::int64_t t = 0;
        if (line.rfind("btime ", 0) == 0 && number(line.substr(6), t)) return t;
        pos = end + 1;
    }
    return std::nullopt;
}

process_stats read_process_stats() {
    process_stats s;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    if (const auto f = parse_proc_stat(read_small_file("/proc/self/stat")); f && ticks > 0) {
        s.cpu_seconds = static_cast<double>(f->utime_ticks + f->stime_ticks) / ticks;
        s.resident_bytes = static_cast<double>(f->rss_pages) * page;
        if (const auto boot = parse_boot_time(read_small_file("/proc/stat")))
            s.start_time_seconds =
                static_cast<double>(*boot) + static_cast<double>(f->start_ticks) / ticks;
    }
    s.open_fds = count_open_fds();
    return s;
}

}  // namespace ckg::observability
