// What a listener shares with its connections: options, routes, the TLS
// context store, and the registry of open connections used at shutdown to
// close idle keep-alive connections and count those still busy.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/http/router.hpp"
#include "chatkit_gateway/http/tls_context.hpp"
#include "chatkit_gateway/observability/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ckg::http_server {

struct server_options {
    std::string name = "public";  // for log lines
    config::listen_address listen;
    std::size_t max_body_bytes = 16384;
    std::size_t max_header_bytes = 16384;  // docs/api.md: larger headers are 431
    std::size_t max_connections = 10000;
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};
    // At max_connections with no idle connection to close, close the one
    // that has waited longest on its client (for its request's bytes, or to
    // take its reply) instead of refusing the newcomer: a few stalling
    // clients cannot keep the probes out (the admin listener; the public one
    // follows SPEC section 7).
    bool evict_stalled = false;
    bool public_headers = true;  // Vary: Origin on every response (public listener)
    // Headers every reply to a request gets, given its header: also a
    // refusal made before any route ran (404, 405, 413, framing), once the
    // header was read whole. The public listener's CORS headers (docs/api.md,
    // "CORS").
    std::function<void(const request_header&, response&)> decorate;
    bool access_log = true;
    observability::metrics* metrics = nullptr;  // every finished request is counted here when set
};

// A live connection as seen from the registry.
class connection_base {
public:
    virtual ~connection_base() = default;
    virtual void close_if_idle() = 0;  // thread-safe: posted to the connection's context
    virtual void close_now() = 0;      // thread-safe: posted to the connection's context

    // Takes a keep-alive connection waiting between requests for closing
    // (thread-safe). True when it was waiting: it then ends instead of
    // serving whatever arrives next, even if that is already on its way.
    bool claim_if_idle() noexcept {
        auto expected = activity::idle;
        return activity_.compare_exchange_strong(expected, activity::claimed);
    }
    // Since when it has been waiting on its client, for the bytes of a
    // request or to take a reply (steady clock ticks); 0 while a handler
    // serves a request or it waits between requests.
    std::int64_t waiting_since() const noexcept { return waiting_since_.load(); }
    // Takes it for closing when it still waits since `since` (thread-safe):
    // false when it moved on or was taken meanwhile.
    bool claim_if_waiting_since(std::int64_t since) noexcept {
        return since > 0 && waiting_since_.compare_exchange_strong(since, taken);
    }

protected:
    // Called by the connection on its own thread around its wait for the
    // next request; mark_busy() is false when it was claimed meanwhile.
    void mark_idle() noexcept { activity_.store(activity::idle); }
    bool mark_busy() noexcept {
        auto expected = activity::idle;
        return activity_.compare_exchange_strong(expected, activity::busy);
    }
    // Around reading a request: waiting from accept, or from a later
    // request's first byte (`since`, steady clock ticks), to its last byte
    // or its refusal's end (served); and around writing a reply. Waiting
    // already, it keeps the earlier time; a connection taken for closing
    // stays taken.
    void mark_waiting(std::chrono::steady_clock::time_point since) noexcept {
        set_waiting(std::max<std::int64_t>(1, since.time_since_epoch().count()));
    }
    void mark_served() noexcept { set_waiting(0); }

private:
    void set_waiting(std::int64_t next) noexcept {
        auto current = waiting_since_.load();
        while (current != taken && !(next > 0 && current > 0) &&
               !waiting_since_.compare_exchange_weak(current, next)) {
        }
    }
    enum class activity { busy, idle, claimed };
    static constexpr std::int64_t taken = -1;
    std::atomic<activity> activity_{activity::busy};
    std::atomic<std::int64_t> waiting_since_{0};
};

class server_state {
public:
    server_state(server_options options, router routes, std::shared_ptr<tls_context_store> tls)
        : options(std::move(options)), routes(std::move(routes)), tls(std::move(tls)) {}

    const server_options options;
    const router routes;
    const std::shared_ptr<tls_context_store> tls;  // null: plain HTTP
    std::atomic<bool> closing{false};              // listener closed: finish and close

    std::uint64_t add(std::weak_ptr<connection_base> c);
    void remove(std::uint64_t id);
    std::size_t open() const;
    void for_each(const std::function<void(connection_base&)>& f);
    // At max_connections: closes one keep-alive connection waiting between
    // requests to make room for a new one. False when none is waiting.
    bool reclaim_idle();
    // With options.evict_stalled: closes the connection that has waited
    // longest on its client (request bytes, or a reply not taken). False
    // when none is waiting.
    bool reclaim_stalled();

private:
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 0;
    std::unordered_map<std::uint64_t, std::weak_ptr<connection_base>> connections_;
};

}  // namespace ckg::http_server
