// The Prometheus series of docs/api.md, kept in a prometheus-cpp registry
// (with chatkit_gateway_build_info and the standard process_* series; every
// series with a fixed label set, metric_labels.hpp, exported at 0 from the start)
// (its core library only: counters, gauges, histograms and the text format
// 0.0.4 serializer; the admin listener serves the text). Every label value
// comes from a bounded set (listener names, route templates, methods,
// statuses, reason names), and each family also refuses to grow past a fixed
// number of series, folding the rest into "other": a bug elsewhere can never
// turn /metrics into an unbounded memory sink.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ckg::observability {

// One finished request, as the connection saw it.
struct request_record {
    std::string_view listener;  // "public" or "admin"
    std::string_view route;     // the route template, "-" when none matched
    std::string_view method;
    unsigned status = 0;
    std::chrono::microseconds duration{0};
};

// One finished upstream call. `status` is the upstream's HTTP status, 0 when
// no reply came; `failure` then names the transport failure's error code.
struct upstream_record {
    std::string_view operation;  // "create_session", "cancel_session", "get", "delete"
    unsigned status = 0;
    std::string_view failure;  // e.g. "upstream_timeout"; empty when a reply came
    std::chrono::microseconds duration{0};
};

class metrics {
public:
    metrics();
    ~metrics();
    metrics(const metrics&) = delete;
    metrics& operator=(const metrics&) = delete;

    void record_request(const request_record& r);
    void upstream_started();
    void record_upstream(const upstream_record& r);
    // A 2xx reply the handler could not use (not JSON, or not about what was
    // asked): the `operation`'s malformed_reply. Its call was recorded
    // already; the handler that reads the body reports it (one parse).
    void record_malformed_reply(std::string_view operation);
    // `reason` is a stable reason name ("expired", "missing_token", ...);
    // one outside metric_labels.hpp's table counts as "other".
    void record_auth_failure(std::string_view reason);
    void record_rate_limited();
    void record_jwks_refresh(std::string_view issuer, bool ok);
    // A fetched issuer's series, both results at 0 until its fetches count.
    void expect_jwks_refreshes(std::string_view issuer);

    // ---- Shared state (store room, docs/operations.md) ----
    // `operation` is one of store_operations below.
    void record_store_round_trip(std::string_view operation, std::chrono::microseconds duration,
                                 bool ok);
    // A decision taken while the store failed: "local" (served from this
    // replica's state) or "refuse" (503 store_unavailable).
    void record_store_degraded(std::string_view policy);
    // An in-process table was full and a user went untracked
    // ("rate_limit", "quota", "registry", "blocks").
    void record_store_untracked(std::string_view table);
    void record_quota_rejected();
    void record_blocked_request();
    void record_revocation(std::size_t cancelled, std::size_t failed);
    static constexpr std::string_view store_operations[] = {
        "mint",    "add_session", "remove_session", "list_sessions", "block",
        "unblock", "status",      "poll_blocks",    "revoke"};
    // ---- end of shared state ----

    // Point-in-time values read when /metrics is scraped (no hot-path cost).
    void set_open_connections(std::string_view listener, std::size_t n);
    // Exported as state="busy" (open - idle) and state="idle".
    void set_upstream_pool(std::size_t open, std::size_t idle);
    // Called at the start of every render(), to set the point-in-time values.
    void set_collector(std::function<void(metrics&)> collector);

    // The Prometheus text exposition (format 0.0.4).
    std::string render();

    static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace ckg::observability
