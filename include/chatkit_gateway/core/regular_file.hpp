// Files the service reads at start and on SIGHUP (configuration, the TLS
// certificate and key, JWKS and PEM key files) must be regular files:
// opening a FIFO or a device can block the reading thread for ever, and
// with it every later reload and the shutdown that waits for it
// (docs/operations.md, "Certificates and keys"). Symbolic links are followed: Kubernetes
// mounts ConfigMaps and Secrets through them.
#pragma once

#include <optional>
#include <string>

namespace ckg {

// "is not a regular file" when `path` names something else (a FIFO, a
// device, a directory, a socket); nullopt when it is a regular file or
// cannot be looked at (the reader then reports that in its own words).
std::optional<std::string> not_a_regular_file(const std::string& path);

}  // namespace ckg
