// The process's open-file limit and the public listener's share of it
// (docs/operations.md, open files). Every connection holds a descriptor: a
// process that runs out of them accepts nothing, probes included, and
// reaches no upstream, long before max_connections makes room by closing
// an idle connection (docs/api.md). So the public listener's
// max_connections is kept below the limit, with a reserve for the rest.
#pragma once

#include "chatkit_gateway/config/config.hpp"

#include <cstddef>
#include <cstdint>

namespace ckg::app {

// Raises the soft RLIMIT_NOFILE to the hard one, as the runtimes of nginx
// and Go do: container runtimes often set a soft 1024 under a far higher
// hard limit.
void raise_open_file_limit() noexcept;

// The soft RLIMIT_NOFILE in effect; 0 when unlimited or unknown.
std::uint64_t open_file_limit() noexcept;

// Descriptors kept for all but public connections: the admin listener's 64
// connections, the upstream pool, JWKS fetches, Redis, each io thread's
// own, and listeners, files and standard streams.
std::size_t reserved_descriptors(const config::gateway_config& c, std::size_t threads) noexcept;

// The public listener's max_connections under `limit` open files (0: no
// limit): the configured value, or fewer so that the reserve stays free
// (at least 1).
std::size_t public_connections_within(std::uint64_t limit, const config::gateway_config& c,
                                      std::size_t threads) noexcept;

}  // namespace ckg::app
