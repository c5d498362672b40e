#include "fault_plan.hpp"

namespace ckg::simulator {
namespace {

std::optional<std::int64_t> integer_member(const boost::json::object& o, const char* key,
                                           std::int64_t min, std::int64_t max, std::string& error) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_int64() || v->get_int64() < min || v->get_int64() > max) {
        error = std::string(key) + " must be an integer from " + std::to_string(min) + " to " +
                std::to_string(max);
        return std::nullopt;
    }
    return v->get_int64();
}

std::optional<fault_mode> mode_from(std::string_view name) {
    if (name == "status") return fault_mode::status;
    if (name == "reset") return fault_mode::reset;
    if (name == "hang") return fault_mode::hang;
    if (name == "malformed") return fault_mode::malformed;
    if (name == "delay") return fault_mode::delay;
    if (name == "unscoped") return fault_mode::unscoped;
    return std::nullopt;
}

}  // namespace

std::optional<fault> fault_plan::parse(const boost::json::object& body, std::string& error) {
    static const std::set<std::string_view> known = {
        "mode", "status", "delay_ms", "hang_ms", "retry_after", "message", "count"};
    for (const auto& m : body)
        if (!known.contains(m.key())) {
            error = "unknown field " + std::string(m.key());
            return std::nullopt;
        }
    fault f;
    const auto* mode = body.if_contains("mode");
    if (mode == nullptr || !mode->is_string() || !mode_from(mode->get_string())) {
        error = "mode must be one of status, reset, hang, malformed, delay, unscoped";
        return std::nullopt;
    }
    f.mode = *mode_from(mode->get_string());
    if (auto v = integer_member(body, "status", 100, 599, error))
        f.status = static_cast<unsigned>(*v);
    if (auto v = integer_member(body, "delay_ms", 0, 600000, error))
        f.delay = std::chrono::milliseconds(*v);
    if (auto v = integer_member(body, "hang_ms", 0, 600000, error))
        f.hang = std::chrono::milliseconds(*v);
    // Up to a billion seconds: enough to show how a client handles a wait of years.
    if (auto v = integer_member(body, "retry_after", 0, 1000000000, error))
        f.retry_after = static_cast<unsigned>(*v);
    // Text an upstream error may carry, such as a quoted parameter value.
    if (const auto* m = body.if_contains("message")) {
        if (m->is_string() && !m->get_string().empty() && m->get_string().size() <= 1024)
            f.message = std::string(m->get_string());
        else
            error = "message must be a string of 1 to 1024 bytes";
    }
    if (auto v = integer_member(body, "count", 1, 1000000, error))
        f.remaining = static_cast<int>(*v);
    if (!error.empty()) return std::nullopt;
    return f;
}

void fault_plan::set(const std::string& endpoint, fault f) {
    std::lock_guard lock(mutex_);
    faults_[endpoint] = f;
}

void fault_plan::clear() {
    std::lock_guard lock(mutex_);
    faults_.clear();
}

std::optional<fault> fault_plan::take(const std::string& endpoint) {
    std::lock_guard lock(mutex_);
    auto it = faults_.find(endpoint);
    if (it == faults_.end()) it = faults_.find("*");
    if (it == faults_.end()) return std::nullopt;
    fault f = it->second;
    if (it->second.remaining > 0 && --it->second.remaining == 0) faults_.erase(it);
    return f;
}

}  // namespace ckg::simulator
