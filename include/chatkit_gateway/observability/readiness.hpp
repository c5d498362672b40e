// What /readyz reports: ready once configuration, keys and listeners are up
// (and, with jwks_url issuers, their first JWKS fetch done) and not draining.
#pragma once

#include <atomic>
#include <functional>

namespace ckg::observability {

class readiness {
public:
    void set_listening(bool v) noexcept { listening_.store(v); }
    // Asked on every probe: are all end-user keys (JWKS included) loaded?
    void set_keys_check(std::function<bool()> check) { keys_check_ = std::move(check); }
    void set_draining() noexcept { draining_.store(true); }

    bool draining() const noexcept { return draining_.load(); }
    bool ready() const {
        return listening_.load() && !draining_.load() && keys_check_ && keys_check_();
    }

private:
    std::atomic<bool> listening_{false};
    std::function<bool()> keys_check_;  // set once at start-up, before any probe
    std::atomic<bool> draining_{false};
};

}  // namespace ckg::observability
