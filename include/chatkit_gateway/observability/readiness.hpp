// What /readyz reports: ready once configuration, keys and listeners are up
// (and, with jwks_url issuers, their first JWKS fetch done) and not draining.
#pragma once

#include <atomic>

namespace ckg::observability {

class readiness {
public:
    void set_listening(bool v) noexcept { listening_.store(v); }
    void set_keys_loaded(bool v) noexcept { keys_loaded_.store(v); }
    void set_draining() noexcept { draining_.store(true); }

    bool draining() const noexcept { return draining_.load(); }
    bool ready() const noexcept { return listening_.load() && keys_loaded_.load() && !draining_.load(); }

private:
    std::atomic<bool> listening_{false};
    std::atomic<bool> keys_loaded_{false};
    std::atomic<bool> draining_{false};
};

}  // namespace ckg::observability
