// The standard process series of Prometheus client libraries
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_start_time_seconds), read from /proc when
// /metrics is scraped. The parsing is pure, for tests; the reading is a few
// procfs files (memory, never a disk), cheap enough for the admin thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ckg::observability {

struct process_stats {
    double cpu_seconds = 0;  // user + system
    double resident_bytes = 0;
    double start_time_seconds = 0;  // Unix time
    double open_fds = 0;
};

// The fields of /proc/<pid>/stat that the series need, in clock ticks and
// pages; nullopt when the text is not a stat line. The command name
// (field 2) may hold spaces and parentheses: fields are counted after its
// last ')'.
struct proc_stat_fields {
    std::uint64_t utime_ticks = 0, stime_ticks = 0, start_ticks = 0;
    std::int64_t rss_pages = 0;
};
std::optional<proc_stat_fields> parse_proc_stat(std::string_view text);

// The "btime" line of /proc/stat (boot time, Unix seconds); nullopt if none.
std::optional<std::int64_t> parse_boot_time(std::string_view proc_stat_text);

// The values for this process; a file that cannot be read leaves its
// fields at 0 (the scrape still answers).
process_stats read_process_stats();

}  // namespace ckg::observability
