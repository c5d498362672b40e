#include "chatkit_gateway/api/upstream_errors.hpp"

#include "chatkit_gateway/api/thread_scoping.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <algorithm>

namespace ckg::api {

using observability::redact_for_log;

std::optional<http_server::api_error> upstream_failure(const result<upstream::upstream_response>& r,
                                                       std::string_view user, bool thread_lookup) {
    using http_server::api_error;
    if (!r) {
        api_error e{r.error().code, r.error().detail, std::nullopt, {}};
        return e;
    }
    const auto status = r->status;
    if (status >= 200 && status < 300) return std::nullopt;
    const std::string detail = "upstream answered " + std::to_string(status) + ": " +
                               redact_for_log(observability::without_user(r->body, user));
    if (status == 404 && thread_lookup) {
        api_error e{errc::not_found, detail};
        e.message = thread_not_found_message;
        return e;
    }
    if (status == 429 || status == 503) {
        auto retry = r->retry_after.value_or(std::chrono::seconds(1));
        retry = std::clamp(retry, std::chrono::seconds(1), std::chrono::seconds(60));
        return api_error{errc::upstream_unavailable, detail, retry, {}};
    }
    return api_error{errc::upstream_error, detail, std::nullopt, {}};
}

http_server::api_error unusable_reply(observability::metrics& metrics, std::string_view operation,
                                      const failure& f) {
    if (f.code == errc::upstream_error) metrics.record_malformed_reply(operation);
    return http_server::api_error_of(f);
}

void note_upstream(http_server::reply& r, const result<upstream::upstream_response>& up,
                   std::chrono::steady_clock::time_point started) {
    const auto upstream_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
    r.log.set("upstream_ms", (upstream_us + 500) / 1000);
    r.log.set("upstream_us", upstream_us);
    if (up) r.log.set("upstream_status", std::int64_t{up->status});
    // Scrubbed like any peer text: a hostile upstream could send a secret
    // (the session's client_secret, say) as its request id.
    if (up && !up->request_id.empty())
        r.log.set("upstream_request_id", redact_for_log(up->request_id));
}

}  // namespace ckg::api
