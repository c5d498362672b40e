#include "chatkit_gateway/observability/metrics.hpp"

#include "chatkit_gateway/core/string_hash.hpp"
#include "chatkit_gateway/observability/build_info.hpp"
#include "chatkit_gateway/observability/metric_labels.hpp"
#include "chatkit_gateway/observability/process_stats.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace ckg::observability {
namespace {

namespace prom = prometheus;

// Past this many series a family folds new label sets into "other".
constexpr std::size_t max_series_per_family = 512;

const prom::Histogram::BucketBoundaries latency_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A family plus a lock-light cache from label values to its series, so the
// hot path is one shared lock and a hash lookup instead of prometheus-cpp's
// Family::Add (a mutex and a std::map of label strings per call).
template <class T>
class series_cache {
public:
    series_cache(prom::Family<T>& family, std::vector<std::string> label_names)
        : family_(family), names_(std::move(label_names)) {}

    template <class... Args>
    T& get(std::initializer_list<std::string_view> values, const Args&... args) {
        thread_local std::string key;
        key.clear();
        for (auto v : values) {
            key.append(v);
            key.push_back('\x1f');
        }
        {
            std::shared_lock lock(mutex_);
            if (auto it = series_.find(std::string_view(key)); it != series_.end())
                return *it->second;
        }
        std::unique_lock lock(mutex_);
        if (auto it = series_.find(std::string_view(key)); it != series_.end()) return *it->second;
        prom::Labels labels;
        const bool full = series_.size() >= max_series_per_family;
        std::size_t i = 0;
        for (auto v : values)
            labels.emplace(names_[i++], full ? std::string("other") : std::string(v));
        // Family::Add returns the existing series for known labels ("other").
        T& series = family_.Add(labels, args...);
        if (!full) series_.emplace(key, &series);
        return series;
    }

private:
    prom::Family<T>& family_;
    const std::vector<std::string> names_;
    std::shared_mutex mutex_;
    std::unordered_map<std::string, T*, ckg::string_hash, std::equal_to<>> series_;
};

template <class Builder>
auto& family(Builder builder, prom::Registry& registry, const char* name, const char* help) {
    return builder.Name(name).Help(help).Register(registry);
}

// The kind of a failed call, from upstream_error_kinds; empty for a success.
std::string_view upstream_error_kind(const upstream_record& r) {
    if (r.status == 0) return label_in(upstream_error_kinds, r.failure);
    if (r.status >= 200 && r.status < 300) return "";
    if (r.status == 429) return "http_429";
    if (r.status >= 500) return "http_5xx";
    return "http_4xx";
}

// The standard process series (the names every Prometheus client library
// uses), set from /proc at scrape time.
struct process_series {
    explicit process_series(prom::Registry& registry)
        : cpu(family(prom::BuildCounter(), registry, "process_cpu_seconds_total",
                     "Total user and system CPU time spent in seconds.")
                  .Add({})),
          resident(family(prom::BuildGauge(), registry, "process_resident_memory_bytes",
                          "Resident memory size in bytes.")
                       .Add({})),
          open_fds(family(prom::BuildGauge(), registry, "process_open_fds",
                          "Number of open file descriptors.")
                       .Add({})),
          start_time(family(prom::BuildGauge(), registry, "process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.")
                         .Add({})) {}

    void update() {
        const auto now = read_process_stats();
        // A counter only goes up: it is advanced by what was used since the last scrape.
        if (now.cpu_seconds > cpu.Value()) cpu.Increment(now.cpu_seconds - cpu.Value());
        resident.Set(now.resident_bytes);
        open_fds.Set(now.open_fds);
        start_time.Set(now.start_time_seconds);
    }

    prom::Counter& cpu;
    prom::Gauge& resident;
    prom::Gauge& open_fds;
    prom::Gauge& start_time;
};

// ---- Shared state (store room, docs/operations.md): its own block ----
struct store_series {
    explicit store_series(prom::Registry& registry);
    series_cache<prom::Histogram> round_trip_seconds;
    series_cache<prom::Counter> errors;
    series_cache<prom::Counter> degraded;
    series_cache<prom::Counter> untracked;
    prom::Counter& quota_rejections;
    prom::Counter& blocked_requests;
    prom::Counter& revocations;
    series_cache<prom::Counter> revoked_sessions;
};

store_series::store_series(prom::Registry& registry)
    : round_trip_seconds{family(prom::BuildHistogram(), registry,
                                "chatkit_gateway_store_round_trip_seconds",
                                "Round trips to the shared store (Redis), by operation."),
                         {"operation"}},
      errors{family(prom::BuildCounter(), registry, "chatkit_gateway_store_errors_total",
                    "Shared-store round trips that failed (refused, lost, timed out, bad reply), "
                    "by operation."),
             {"operation"}},
      degraded{
          family(prom::BuildCounter(), registry, "chatkit_gateway_store_degraded_decisions_total",
                 "Decisions taken while the shared store failed, by redis.on_error policy."),
          {"policy"}},
      untracked{
          family(prom::BuildCounter(), registry, "chatkit_gateway_store_untracked_total",
                 "Users let through untracked because an in-process table was full, by table."),
          {"table"}},
      quota_rejections{family(prom::BuildCounter(), registry,
                              "chatkit_gateway_quota_rejections_total",
                              "Session mints refused by the per-user daily quota.")
                           .Add({})},
      blocked_requests{family(prom::BuildCounter(), registry,
                              "chatkit_gateway_blocked_requests_total",
                              "Public API requests refused because the user is blocked.")
                           .Add({})},
      revocations{family(prom::BuildCounter(), registry, "chatkit_gateway_revocations_total",
                         "Users revoked through the admin API.")
                      .Add({})},
      revoked_sessions{
          family(prom::BuildCounter(), registry, "chatkit_gateway_revoked_sessions_total",
                 "Sessions cancelled upstream by revocations, by result."),
          {"result"}} {
    // Every fixed label set is exported at 0 from the start.
    for (auto op : metrics::store_operations) {
        round_trip_seconds.get({op}, latency_buckets);
        errors.get({op});
    }
    for (auto policy : {"local", "refuse"}) degraded.get({policy});
    for (auto table : {"rate_limit", "quota", "registry", "blocks"}) untracked.get({table});
    for (auto result : {"cancelled", "failed"}) revoked_sessions.get({result});
}
// ---- end of shared state ----

}  // namespace

struct metrics::impl {
    prom::Registry registry;
    series_cache<prom::Counter> requests{
        family(prom::BuildCounter(), registry, "chatkit_gateway_http_requests_total",
               "Requests answered, by listener, route template, method and status."),
        {"listener", "route", "method", "status"}};
    series_cache<prom::Histogram> request_seconds{
        family(prom::BuildHistogram(), registry, "chatkit_gateway_http_request_duration_seconds",
               "Time from the first byte of a request to its last byte written."),
        {"listener", "route"}};
    series_cache<prom::Histogram> upstream_seconds{
        family(prom::BuildHistogram(), registry,
               "chatkit_gateway_upstream_request_duration_seconds",
               "Upstream call duration, retries included, by operation."),
        {"operation"}};
    series_cache<prom::Counter> upstream_errors{
        family(prom::BuildCounter(), registry, "chatkit_gateway_upstream_errors_total",
               "Upstream calls that failed or answered non-2xx, by operation and kind."),
        {"operation", "kind"}};
    prom::Gauge& upstream_in_flight =
        family(prom::BuildGauge(), registry, "chatkit_gateway_upstream_in_flight",
               "Upstream calls in progress.")
            .Add({});
    series_cache<prom::Gauge> upstream_connections{
        family(prom::BuildGauge(), registry, "chatkit_gateway_upstream_connections",
               "Upstream HTTPS connections in the pool, by state."),
        {"state"}};
    prom::Counter& rate_limited =
        family(prom::BuildCounter(), registry, "chatkit_gateway_rate_limit_rejections_total",
               "Session mints refused by the per-user rate limit.")
            .Add({});
    series_cache<prom::Counter> auth_failures{
        family(prom::BuildCounter(), registry, "chatkit_gateway_auth_failures_total",
               "Requests refused at authentication, by reason."),
        {"reason"}};
    series_cache<prom::Counter> jwks_refreshes{
        family(prom::BuildCounter(), registry, "chatkit_gateway_jwks_refreshes_total",
               "JWKS fetches of jwks_url issuers, by issuer and result."),
        {"issuer", "result"}};
    series_cache<prom::Gauge> open_connections{
        family(prom::BuildGauge(), registry, "chatkit_gateway_open_connections",
               "Client connections currently open, by listener."),
        {"listener"}};
    prom::Gauge& build_info = family(prom::BuildGauge(), registry, "chatkit_gateway_build_info",
                                     "Always 1; the version label names the running build.")
                                  .Add({{"version", std::string(build_version())}});
    process_series process{registry};

    // Every series with a fixed label set exists from the start, at 0.
    void create_fixed_series() {
        build_info.Set(1);
        for (auto op : upstream_operations) {
            upstream_seconds.get({op}, latency_buckets);
            for (auto kind : upstream_error_kinds) upstream_errors.get({op, kind});
        }
        for (auto reason : auth_failure_reasons) auth_failures.get({reason});
        for (auto state : {"busy", "idle"}) upstream_connections.get({state});
    }

    store_series store{registry};

    std::mutex render_mutex;
    std::function<void(metrics&)> collector;  // guarded by render_mutex
};

metrics::metrics() : impl_(std::make_unique<impl>()) {
    impl_->create_fixed_series();
}
metrics::~metrics() = default;

void metrics::record_request(const request_record& r) {
    const auto status = std::to_string(r.status);
    impl_->requests.get({r.listener, r.route, r.method, status}).Increment();
    impl_->request_seconds.get({r.listener, r.route}, latency_buckets)
        .Observe(std::chrono::duration<double>(r.duration).count());
}

void metrics::upstream_started() {
    impl_->upstream_in_flight.Increment();
}

void metrics::record_upstream(const upstream_record& r) {
    impl_->upstream_in_flight.Decrement();
    impl_->upstream_seconds.get({r.operation}, latency_buckets)
        .Observe(std::chrono::duration<double>(r.duration).count());
    const auto kind = upstream_error_kind(r);
    if (!kind.empty()) impl_->upstream_errors.get({r.operation, kind}).Increment();
}

void metrics::record_malformed_reply(std::string_view operation) {
    impl_->upstream_errors.get({operation, "malformed_reply"}).Increment();
}

void metrics::record_auth_failure(std::string_view reason) {
    impl_->auth_failures.get({label_in(auth_failure_reasons, reason)}).Increment();
}

void metrics::record_rate_limited() {
    impl_->rate_limited.Increment();
}

void metrics::record_jwks_refresh(std::string_view issuer, bool ok) {
    impl_->jwks_refreshes.get({issuer, ok ? "success" : "failure"}).Increment();
}

void metrics::expect_jwks_refreshes(std::string_view issuer) {
    for (auto result : {"success", "failure"}) impl_->jwks_refreshes.get({issuer, result});
}

// ---- Shared state (store room) ----
void metrics::record_store_round_trip(std::string_view operation,
                                      std::chrono::microseconds duration, bool ok) {
    impl_->store.round_trip_seconds.get({operation}, latency_buckets)
        .Observe(std::chrono::duration<double>(duration).count());
    if (!ok) impl_->store.errors.get({operation}).Increment();
}

void metrics::record_store_degraded(std::string_view policy) {
    impl_->store.degraded.get({policy}).Increment();
}
void metrics::record_store_untracked(std::string_view table) {
    impl_->store.untracked.get({table}).Increment();
}
void metrics::record_quota_rejected() {
    impl_->store.quota_rejections.Increment();
}
void metrics::record_blocked_request() {
    impl_->store.blocked_requests.Increment();
}

void metrics::record_revocation(std::size_t cancelled, std::size_t failed) {
    impl_->store.revocations.Increment();
    impl_->store.revoked_sessions.get({"cancelled"}).Increment(static_cast<double>(cancelled));
    impl_->store.revoked_sessions.get({"failed"}).Increment(static_cast<double>(failed));
}
// ---- end of shared state ----

void metrics::set_open_connections(std::string_view listener, std::size_t n) {
    impl_->open_connections.get({listener}).Set(static_cast<double>(n));
}

// Busy and idle, not open and idle: the states partition the pool, so a
// sum over `state` is the number of open connections.
void metrics::set_upstream_pool(std::size_t open, std::size_t idle) {
    idle = std::min(idle, open);
    impl_->upstream_connections.get({"busy"}).Set(static_cast<double>(open - idle));
    impl_->upstream_connections.get({"idle"}).Set(static_cast<double>(idle));
}

void metrics::set_collector(std::function<void(metrics&)> collector) {
    std::lock_guard lock(impl_->render_mutex);
    impl_->collector = std::move(collector);
}

std::string metrics::render() {
    std::lock_guard lock(impl_->render_mutex);
    if (impl_->collector) impl_->collector(*this);
    impl_->process.update();
    return prom::TextSerializer().Serialize(impl_->registry.Collect());
}

}  // namespace ckg::observability
