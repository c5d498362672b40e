// The "sessions" section: the handle key and the workflow profiles, with the
// upstream's own limits enforced at load time (docs/operations.md).
#include "chatkit_gateway/config/config_checks.hpp"
#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/core/utf8.hpp"
#include "config_sections.hpp"

#include <limits>
#include <set>

namespace ckg::config {
namespace {

constexpr std::size_t max_state_variables = 64;
constexpr std::size_t max_variable_name = 64;
constexpr std::size_t max_string_value = 1024;

void check_variable_name(const json_object_reader& r, std::string_view key,
                         const std::string& name) {
    if (name.empty() || utf8_characters(name) > max_variable_name)
        r.fail(key, "state variable name \"" + name + "\" must be 1 to 64 characters");
}

boost::json::object parse_constants(json_object_reader& r) {
    const auto* v = r.find("state_variables");
    if (v == nullptr) return {};
    if (!v->is_object()) r.fail("state_variables", "must be an object");
    for (const auto& m : v->get_object()) {
        const std::string name(m.key());
        check_variable_name(r, "state_variables", name);
        const auto& value = m.value();
        const bool primitive = value.is_string() || value.is_bool() || value.is_number();
        if (!primitive)
            r.fail("state_variables." + name, "must be a string, a boolean or a number");
        if (value.is_string() && value.get_string().size() > max_string_value)
            r.fail("state_variables." + name, "must be at most 1024 bytes");
    }
    return v->get_object();
}

std::map<std::string, std::string> parse_claim_map(json_object_reader& r) {
    const auto* v = r.find("claims_to_state_variables");
    if (v == nullptr) return {};
    if (!v->is_object())
        r.fail("claims_to_state_variables", "must be an object of claim -> variable name");
    std::map<std::string, std::string> out;
    for (const auto& m : v->get_object()) {
        const std::string claim(m.key());
        if (!m.value().is_string())
            r.fail("claims_to_state_variables." + claim,
                   "must be a state variable name (a string)");
        const std::string variable(m.value().get_string());
        check_variable_name(r, "claims_to_state_variables." + claim, variable);
        out.emplace(claim, variable);
    }
    return out;
}

// Constants, claim-mapped and caller-allowed variables are disjoint sets, so a
// caller can never override the first two, and together they fit upstream.
void check_variable_sets(json_object_reader& r, const workflow_profile& p) {
    std::set<std::string> names;
    auto add = [&](const std::string& name, std::string_view key) {
        if (!names.insert(name).second)
            r.fail(key, "state variable \"" + name +
                            "\" is used by more than one of state_variables, "
                            "claims_to_state_variables and allowed_state_variables");
    };
    for (const auto& m : p.state_variables) add(std::string(m.key()), "state_variables");
    for (const auto& [claim, variable] : p.claims_to_state_variables)
        add(variable, "claims_to_state_variables");
    for (const auto& name : p.allowed_state_variables) add(name, "allowed_state_variables");
    if (names.size() > max_state_variables)
        r.fail("state_variables",
               "at most 64 state variables per workflow (constants, claims and allowed keys "
               "together)");
}

// ChatKit's runtime overrides as the create-session call takes them
// (docs/operations.md): these members and fields only, checked at load so
// that a typo stops the start instead of making every mint a 502.
void check_chatkit_configuration(json_object_reader r) {
    constexpr auto unbounded = std::numeric_limits<std::int64_t>::max();
    auto titling = r.object("automatic_thread_titling");
    titling.optional_bool("enabled");
    titling.finish();
    auto upload = r.object("file_upload");
    upload.optional_bool("enabled");
    upload.optional_integer("max_file_size", 1, 512);  // MB
    upload.optional_integer("max_files", 1, unbounded);
    upload.finish();
    auto history = r.object("history");
    history.optional_bool("enabled");
    history.optional_integer("recent_threads", 1, unbounded);
    history.finish();
    r.finish();
}

workflow_profile parse_workflow(json_object_reader r) {
    workflow_profile p;
    p.id = r.required_string("id");
    p.version = r.optional_string("version");
    p.tracing = r.optional_bool("tracing");
    p.state_variables = parse_constants(r);
    p.allowed_state_variables = r.string_array_or("allowed_state_variables", {});
    for (const auto& name : p.allowed_state_variables)
        check_variable_name(r, "allowed_state_variables", name);
    p.claims_to_state_variables = parse_claim_map(r);
    if (const auto* c = r.find("chatkit_configuration")) {
        check_chatkit_configuration(json_object_reader(*c, r.path_of("chatkit_configuration")));
        p.chatkit_configuration = c->get_object();
    }
    if (auto s = r.optional_integer("expires_after_seconds", 1, 600))
        p.expires_after_seconds = static_cast<unsigned>(*s);
    if (auto m = r.optional_integer("max_requests_per_1_minute", 1, 1'000'000))
        p.max_requests_per_1_minute = static_cast<unsigned>(*m);
    check_variable_sets(r, p);
    r.finish();
    return p;
}

// Why a handle key's text is not 32 bytes in base64, said without its
// value: the usual slips are a file's trailing newline and a hex key.
std::string handle_key_problem(const std::string& var, std::string_view text) {
    const auto decoded = base64_decode(text);
    std::string why = text.find_first_of(" \t\r\n") != std::string_view::npos
                          ? "holds a space or a line break (a file's trailing newline?)"
                      : !decoded ? "is not base64 (hex? base64url?)"
                                 : "decodes to " + std::to_string(decoded->size()) + " bytes";
    if (decoded && text.size() == 64 &&
        text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos)
        why += " (a hex key?)";
    return "environment variable " + var + " " + why +
           "; it must hold 32 bytes, base64-encoded (openssl rand -base64 32)";
}

}  // namespace

sessions_config parse_sessions(json_object_reader r, const environment& env) {
    sessions_config s;
    s.handle_key_env = r.string_or("handle_key_env", s.handle_key_env);
    auto encoded = secret_from_env(r, "handle_key_env", s.handle_key_env, env);
    auto key = base64_decode(encoded.reveal());
    if (!key || key->size() != 32)
        r.fail("handle_key_env", handle_key_problem(s.handle_key_env, encoded.reveal()));
    s.handle_key = ckg::secret(std::move(*key));
    // Optional, for rotations (docs/operations.md): the key handles were sealed with before.
    if (auto previous = env(s.handle_key_env + "_PREVIOUS"); previous && !previous->empty()) {
        auto old = base64_decode(*previous);
        if (!old || old->size() != 32)
            r.fail("handle_key_env", handle_key_problem(s.handle_key_env + "_PREVIOUS", *previous));
        s.previous_handle_key = ckg::secret(std::move(*old));
    }
    s.default_workflow = r.string_or("default_workflow", s.default_workflow);
    auto workflows = r.object("workflows");
    for (const auto& m : workflows.raw()) {
        const std::string name(m.key());
        workflows.find(name);
        s.workflows.emplace(name,
                            parse_workflow(json_object_reader(m.value(), workflows.path_of(name))));
    }
    if (!s.workflows.contains(s.default_workflow))
        r.fail("default_workflow",
               "no workflow profile named \"" + s.default_workflow + "\" in sessions.workflows");
    r.finish();
    return s;
}

}  // namespace ckg::config
