#include "chatkit_gateway/api/session_request.hpp"

#include "chatkit_gateway/core/utf8.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace ckg::api {
namespace {

failure bad(std::string why) { return failure{errc::invalid_request, std::move(why)}; }

bool is_primitive(const boost::json::value& v) { return v.is_string() || v.is_bool() || v.is_number(); }

std::optional<failure> check_state_variables(const boost::json::value& v, const config::workflow_profile& p) {
    if (!v.is_object()) return bad("state_variables is not an object");
    for (const auto& m : v.get_object()) {
        const auto& allowed = p.allowed_state_variables;
        if (m.key().size() > 64) return bad("state variable name over 64 characters");
        if (std::find(allowed.begin(), allowed.end(), m.key()) == allowed.end())
            return bad("state variable not allowed: " + std::string(m.key()));
        if (!is_primitive(m.value())) return bad("state variable value not a string, boolean or number");
        if (m.value().is_string() && m.value().get_string().size() > 1024) return bad("state variable value over 1024 bytes");
    }
    return std::nullopt;
}

}  // namespace

result<mint_request> parse_mint_request(std::string_view body, const config::sessions_config& sessions) {
    boost::json::value doc = boost::json::object{};
    if (!body.empty()) {
        boost::system::error_code ec;
        doc = boost::json::parse(body, ec);
        if (ec) return bad("body is not valid JSON");
    }
    if (!doc.is_object()) return bad("body is not a JSON object");
    mint_request out;
    std::string workflow = sessions.default_workflow;
    for (const auto& m : doc.get_object()) {
        if (m.key() == "workflow") {
            if (!m.value().is_string()) return bad("workflow is not a string");
            workflow = std::string(m.value().get_string());
        } else if (m.key() == "replaces") {
            if (!m.value().is_string()) return bad("replaces is not a string");
            out.replaces = std::string(m.value().get_string());
        } else if (m.key() != "state_variables") {
            return bad("unknown field: " + std::string(utf8_truncate(m.key(), 64)));
        }
    }
    const auto it = sessions.workflows.find(workflow);
    if (it == sessions.workflows.end()) return bad("unknown workflow profile");
    out.profile = &it->second;
    if (const auto* vars = doc.get_object().if_contains("state_variables")) {
        if (auto f = check_state_variables(*vars, *out.profile)) return *f;
        out.state_variables = vars->get_object();
    }
    return out;
}

boost::json::object build_upstream_session(const mint_request& request, std::string_view upstream_user,
                                           const boost::json::object& claims, boost::json::storage_ptr sp) {
    const auto& p = *request.profile;
    boost::json::object vars(p.state_variables, sp);
    for (const auto& [claim, variable] : p.claims_to_state_variables) {
        const auto* v = claims.if_contains(claim);
        if (v != nullptr && is_primitive(*v)) vars[variable] = *v;  // missing or non-primitive: left out
    }
    for (const auto& m : request.state_variables) vars[m.key()] = m.value();

    boost::json::object workflow({{"id", p.id}}, sp);
    if (p.version) workflow["version"] = *p.version;
    if (!vars.empty()) workflow["state_variables"] = std::move(vars);
    if (p.tracing) workflow["tracing"] = {{"enabled", *p.tracing}};
    boost::json::object body({{"user", upstream_user}, {"workflow", std::move(workflow)}}, sp);
    if (p.chatkit_configuration) body["chatkit_configuration"] = *p.chatkit_configuration;
    if (p.expires_after_seconds) body["expires_after"] = {{"anchor", "created_at"}, {"seconds", *p.expires_after_seconds}};
    if (p.max_requests_per_1_minute) body["rate_limits"] = {{"max_requests_per_1_minute", *p.max_requests_per_1_minute}};
    return body;
}

std::string upstream_session_body(const mint_request& request, std::string_view upstream_user,
                                  const boost::json::object& claims) {
    unsigned char arena[4096];
    boost::json::monotonic_resource memory(arena, sizeof arena);
    return boost::json::serialize(build_upstream_session(request, upstream_user, claims, &memory));
}

}  // namespace ckg::api
