// The fixed label values of the metrics: every series of these families is
// created at 0 when the registry starts (docs/operations.md, metrics), so an
// alert on rate() of a series that never saw an event still evaluates.
// One table per label; a recorded value outside its table is folded into
// the table's catch-all entry, never into a new series.
#pragma once

#include <array>
#include <string_view>

namespace ckg::observability {

// chatkit_client's operations (its call sites name them).
inline constexpr std::array<std::string_view, 4> upstream_operations = {
    "create_session", "cancel_session", "get", "delete"};

// Why an upstream call failed: the reply's status class, an unreadable 2xx
// reply, or the transport failure's error code. The last entry takes
// anything else.
inline constexpr std::array<std::string_view, 8> upstream_error_kinds = {
    "http_4xx",         "http_429",   "http_5xx",      "malformed_reply", "upstream_unavailable",
    "upstream_timeout", "overloaded", "upstream_error"};

// Why a request was refused at authentication: missing_token, or the token
// verifier's reason name (docs/auth.md). "other" takes anything else.
inline constexpr std::array<std::string_view, 18> auth_failure_reasons = {
    "missing_token",  "not_bearer",         "ambiguous_token",
    "malformed",      "unsupported_alg",    "forbidden_header",
    "unknown_issuer", "alg_not_allowed",    "unknown_kid",
    "bad_signature",  "missing_exp",        "invalid_date",
    "expired",        "not_yet_valid",      "issued_in_future",
    "wrong_audience", "missing_user_claim", "other"};

// The member of `table` equal to `value`, else its last member.
template <std::size_t N>
constexpr std::string_view label_in(const std::array<std::string_view, N>& table,
                                    std::string_view value) noexcept {
    for (auto v : table)
        if (v == value) return v;
    return table[N - 1];
}

}  // namespace ckg::observability
