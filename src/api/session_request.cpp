#include "chatkit_gateway/api/session_request.hpp"

#include "chatkit_gateway/core/repeated_names.hpp"
#include "chatkit_gateway/core/request_name.hpp"

#include "chatkit_gateway/core/utf8.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>

namespace ckg::api {
namespace {

constexpr std::size_t max_variable_bytes = 1024;

// What a state variable may hold, whether the caller or a claim gives it: a
// string of at most 1024 bytes, a boolean or a finite number. JSON has no
// infinity: a double that overflowed while parsing (1e400) would go upstream
// as "Infinity", which is not JSON.
bool fits_a_state_variable(const boost::json::value& v) {
    if (v.is_string()) return v.get_string().size() <= max_variable_bytes;
    if (v.is_double()) return std::isfinite(v.get_double());
    return v.is_bool() || v.is_number();
}

constexpr std::string_view vars_param = "state_variables";

std::optional<failure> check_state_variable(std::string_view name, const boost::json::value& v,
                                            const std::string& workflow,
                                            const config::workflow_profile& p) {
    const auto quoted = quoted_request_name(name);
    const auto& allowed = p.allowed_state_variables;
    if (utf8_characters(name) > 64)  // the upstream's limit, in characters
        return invalid_request("state variable name " + quoted + " is longer than 64 characters",
                               std::string(vars_param));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        return invalid_request("state variable " + quoted + " is not allowed for workflow " +
                                   quoted_request_name(workflow),
                               std::string(vars_param));
    if (v.is_string() && v.get_string().size() > max_variable_bytes)
        return invalid_request("state variable " + quoted + " is longer than 1024 bytes",
                               std::string(vars_param));
    if (!fits_a_state_variable(v))
        return invalid_request(
            "state variable " + quoted + " must be a string, a boolean or a finite number",
            std::string(vars_param));
    return std::nullopt;
}

std::optional<failure> check_state_variables(const boost::json::value& v,
                                             const std::string& workflow,
                                             const config::workflow_profile& p) {
    if (!v.is_object())
        return invalid_request("field \"state_variables\" must be an object",
                               std::string(vars_param));
    for (const auto& m : v.get_object())
        if (auto f = check_state_variable(m.key(), m.value(), workflow, p)) return f;
    return std::nullopt;
}

failure not_a_string(std::string_view field) {
    return invalid_request("field \"" + std::string(field) + "\" must be a string",
                           std::string(field));
}

}  // namespace

result<mint_request> parse_mint_request(std::string_view body,
                                        const config::sessions_config& sessions) {
    boost::json::value doc = boost::json::object{};
    if (!body.empty()) {
        boost::system::error_code ec;
        doc = boost::json::parse(body, ec);
        if (ec) return invalid_request("the request body is not valid JSON (" + ec.message() + ")");
    }
    if (!doc.is_object()) return invalid_request("the request body must be a JSON object");
    if (const auto repeated = first_repeated_name(body)) {
        const auto field = repeated->substr(0, repeated->find_first_of(".["));
        return invalid_request(
            "field " + quoted_request_name(*repeated) + " is given more than once",
            request_name(field));
    }
    mint_request out;
    std::string workflow = sessions.default_workflow;
    for (const auto& m : doc.get_object()) {
        if (m.key() == "workflow") {
            if (!m.value().is_string()) return not_a_string("workflow");
            workflow = std::string(m.value().get_string());
        } else if (m.key() == "replaces") {
            if (!m.value().is_string()) return not_a_string("replaces");
            out.replaces = std::string(m.value().get_string());
        } else if (m.key() != "state_variables") {
            return invalid_request("unknown field " + quoted_request_name(m.key()),
                                   request_name(m.key()));
        }
    }
    const auto it = sessions.workflows.find(workflow);
    if (it == sessions.workflows.end())
        return invalid_request("workflow " + quoted_request_name(workflow) + " is not configured",
                               "workflow");
    out.profile = &it->second;
    if (const auto* vars = doc.get_object().if_contains("state_variables")) {
        if (auto f = check_state_variables(*vars, workflow, *out.profile)) return *f;
        out.state_variables = vars->get_object();
    }
    return out;
}

boost::json::object build_upstream_session(const mint_request& request,
                                           std::string_view upstream_user,
                                           const boost::json::object& claims,
                                           boost::json::storage_ptr sp) {
    const auto& p = *request.profile;
    boost::json::object vars(p.state_variables, sp);
    for (const auto& [claim, variable] : p.claims_to_state_variables) {
        const auto* v = claims.if_contains(claim);
        if (v != nullptr && fits_a_state_variable(*v))
            vars[variable] = *v;  // missing, or not what a variable may hold: left out
    }
    for (const auto& m : request.state_variables) vars[m.key()] = m.value();

    boost::json::object workflow({{"id", p.id}}, sp);
    if (p.version) workflow["version"] = *p.version;
    if (!vars.empty()) workflow["state_variables"] = std::move(vars);
    if (p.tracing) workflow["tracing"] = {{"enabled", *p.tracing}};
    boost::json::object body({{"user", upstream_user}, {"workflow", std::move(workflow)}}, sp);
    if (p.chatkit_configuration) body["chatkit_configuration"] = *p.chatkit_configuration;
    if (p.expires_after_seconds)
        body["expires_after"] = {{"anchor", "created_at"}, {"seconds", *p.expires_after_seconds}};
    if (p.max_requests_per_1_minute)
        body["rate_limits"] = {{"max_requests_per_1_minute", *p.max_requests_per_1_minute}};
    return body;
}

std::string upstream_session_body(const mint_request& request, std::string_view upstream_user,
                                  const boost::json::object& claims) {
    unsigned char arena[4096];
    boost::json::monotonic_resource memory(arena, sizeof arena);
    return boost::json::serialize(build_upstream_session(request, upstream_user, claims, &memory));
}

}  // namespace ckg::api
