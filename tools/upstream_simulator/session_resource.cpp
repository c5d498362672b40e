#include "session_resource.hpp"

namespace ckg::simulator {
namespace {

const boost::json::object* member_object(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

// Copies into `resolved` each member the request set in `requested[section]`.
void override_section(boost::json::object& resolved, const boost::json::object* requested,
                      std::string_view section) {
    const auto* given = requested ? member_object(*requested, section) : nullptr;
    if (given == nullptr) return;
    auto& target = resolved[section].as_object();
    for (const auto& m : *given) target[m.key()] = m.value();
}

// ChatkitConfigurationParam's documented defaults, then what was requested.
boost::json::object resolved_configuration(const boost::json::object* requested) {
    boost::json::object resolved = {
        {"automatic_thread_titling", {{"enabled", true}}},
        {"file_upload", {{"enabled", false}, {"max_file_size", 512}, {"max_files", 10}}},
        {"history", {{"enabled", true}, {"recent_threads", nullptr}}}};
    for (const char* section : {"automatic_thread_titling", "file_upload", "history"})
        override_section(resolved, requested, section);
    return resolved;
}

boost::json::object resolved_workflow(const boost::json::object& workflow) {
    bool tracing = true;
    if (const auto* t = member_object(workflow, "tracing"))
        if (const auto* e = t->if_contains("enabled")) tracing = e->get_bool();
    const auto* version = workflow.if_contains("version");
    const auto* vars = workflow.if_contains("state_variables");
    return {{"id", workflow.at("id")},
            {"version", version ? *version : nullptr},
            {"state_variables", vars ? *vars : nullptr},
            {"tracing", {{"enabled", tracing}}}};
}

std::int64_t member_integer(const boost::json::object& body, std::string_view section,
                            std::string_view key, std::int64_t fallback) {
    const auto* s = member_object(body, section);
    const auto* v = s ? s->if_contains(key) : nullptr;
    return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

}  // namespace

boost::json::object make_session_resource(const boost::json::object& body, std::string id,
                                          std::string client_secret, std::int64_t now) {
    const std::int64_t seconds = member_integer(body, "expires_after", "seconds", 600);
    const std::int64_t per_minute =
        member_integer(body, "rate_limits", "max_requests_per_1_minute", 10);
    return {{"id", std::move(id)},
            {"object", "chatkit.session"},
            {"client_secret", std::move(client_secret)},
            {"expires_at", now + seconds},
            {"max_requests_per_1_minute", per_minute},
            {"rate_limits", {{"max_requests_per_1_minute", per_minute}}},
            {"status", "active"},
            {"user", body.at("user")},
            {"chatkit_configuration",
             resolved_configuration(member_object(body, "chatkit_configuration"))},
            {"workflow", resolved_workflow(body.at("workflow").get_object())}};
}

}  // namespace ckg::simulator
