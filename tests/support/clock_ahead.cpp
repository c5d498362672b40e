// A preloaded library (LD_PRELOAD) that moves the wall clock of the process
// it is loaded into CKG_TEST_CLOCK_AHEAD_S seconds ahead: a replica whose
// clock runs ahead of the others', for the shared-state tests. Only the
// wall clock moves (clock_gettime with CLOCK_REALTIME, which
// std::chrono::system_clock reads); steady clocks, timers and deadlines
// are untouched.
#include <dlfcn.h>
#include <time.h>

#include <cstdlib>

namespace {

long seconds_ahead() {
    static const long ahead = [] {
        const char* s = std::getenv("CKG_TEST_CLOCK_AHEAD_S");
        return s != nullptr ? std::atol(s) : 0L;
    }();
    return ahead;
}

using clock_gettime_fn = int (*)(clockid_t, timespec*);

clock_gettime_fn real_clock_gettime() {
    static const auto real = reinterpret_cast<clock_gettime_fn>(dlsym(RTLD_NEXT, "clock_gettime"));
    return real;
}

}  // namespace

extern "C" int clock_gettime(clockid_t id, timespec* ts) noexcept {
    const int r = real_clock_gettime()(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += seconds_ahead();
    return r;
}
