// A preloaded library (LD_PRELOAD) that moves the wall clock of the process
// it is loaded into CKG_TEST_CLOCK_AHEAD_S seconds ahead: a replica whose
// clock runs ahead of the others', or a redis-server whose clock does, for
// the shared-state tests. Only the wall clock moves (clock_gettime with
// CLOCK_REALTIME, which std::chrono::system_clock reads, and gettimeofday,
// which Redis reads); steady clocks, timers and deadlines are untouched.
#include <dlfcn.h>
#include <sys/time.h>
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

// The function this library stands in front of.
template <class Fn>
Fn next_definition(const char* name) {
    return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int clock_gettime(clockid_t id, timespec* ts) noexcept {
    static const auto real = next_definition<int (*)(clockid_t, timespec*)>("clock_gettime");
    const int r = real(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += seconds_ahead();
    return r;
}

extern "C" int gettimeofday(timeval* __restrict tv, void* __restrict tz) noexcept {
    static const auto real = next_definition<int (*)(timeval*, void*)>("gettimeofday");
    const int r = real(tv, tz);
    if (r == 0) tv->tv_sec += seconds_ahead();
    return r;
}
