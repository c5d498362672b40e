#include "chatkit_gateway/app/open_file_limit.hpp"

#include <algorithm>

#include <sys/resource.h>

namespace ckg::app {

void raise_open_file_limit() noexcept {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return;
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

std::uint64_t open_file_limit() noexcept {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 0;
    return r.rlim_cur;
}

std::size_t reserved_descriptors(const config::gateway_config& c, std::size_t threads) noexcept {
    constexpr std::size_t admin_connections = 64;  // app.cpp, admin_options
    constexpr std::size_t per_jwks_issuer = 2;     // upstream/jwks_fetcher.cpp
    constexpr std::size_t per_io_thread = 4;       // epoll, its wake-up, timers
    constexpr std::size_t process = 64;  // listeners, standard streams, files read on reload
    const std::size_t redis = c.redis ? threads + 1 : 0;  // one per io thread, one for polls
    return admin_connections + c.upstream.max_connections +
           per_jwks_issuer * c.auth.issuers.size() + per_io_thread * threads + redis + process;
}

std::size_t public_connections_within(std::uint64_t limit, const config::gateway_config& c,
                                      std::size_t threads) noexcept {
    const auto configured = c.server.max_connections;
    if (limit == 0) return configured;
    const auto reserved = reserved_descriptors(c, threads);
    const auto room = limit > reserved ? static_cast<std::size_t>(limit - reserved) : 1;
    return std::min(room, configured);
}

}  // namespace ckg::app
