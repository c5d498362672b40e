// libFuzzer target: any bytes as a caller's mint body (api/session_request),
// then, when taken, the create-session body built from it. It must never
// crash, hang or leave undefined behaviour. A refusal is a 400
// invalid_request whose message and param are short valid UTF-8 and show
// no name that looks like a credential as it is. A body taken names only known fields and
// allowed state variables of the workflow it picks, each a string of at
// most 1024 bytes, a boolean or a finite number; the body sent upstream is
// JSON, names the authenticated user (never one from the caller), the
// workflow's id, its constants unchanged and no variable from anywhere else
// (docs/api.md, "Mint a session").
#include "chatkit_gateway/api/session_request.hpp"
#include "chatkit_gateway/core/utf8.hpp"
#include "json_read_back.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace ckg;

namespace {

constexpr std::string_view upstream_user = "u_0123456789abcdef";

// Two workflows: constants, claim-mapped and caller variables disjoint in
// each, as the configuration check makes them.
const config::sessions_config& sessions() {
    static const config::sessions_config s = [] {
        config::sessions_config c;
        config::workflow_profile basic;
        basic.id = "wf_basic";
        basic.state_variables = {{"tier", "free"}, {"region", 3}};
        basic.allowed_state_variables = {"locale", "theme"};
        basic.claims_to_state_variables = {{"plan", "plan"}, {"bio", "bio"}};
        c.workflows.emplace("default", basic);
        config::workflow_profile support;
        support.id = "wf_support";
        support.version = "7";
        support.tracing = false;
        support.allowed_state_variables = {"ticket"};
        support.expires_after_seconds = 600;
        support.max_requests_per_1_minute = 10;
        c.workflows.emplace("support", support);
        return c;
    }();
    return s;
}

// A verified token's claims: "bio" does not fit a state variable (over
// 1024 bytes), so it never reaches the upstream.
const boost::json::object& claims() {
    static const boost::json::object o{
        {"sub", "someone"}, {"plan", "gold"}, {"bio", std::string(2000, 'b')}};
    return o;
}

bool fits(const boost::json::value& v) {
    if (v.is_string()) return v.get_string().size() <= 1024;
    if (v.is_double()) return std::isfinite(v.get_double());
    return v.is_bool() || v.is_int64() || v.is_uint64();
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool looks_like_a_secret(std::string_view name) {
    return name.starts_with("sk-") || name.starts_with("ek_") || name.starts_with("eyJ") ||
           name.find("Bearer ") != std::string_view::npos;
}

void check_refusal(const failure& f) {
    if (f.code != errc::invalid_request || f.message.empty()) std::abort();
    if (f.message.size() > 400 || !is_valid_utf8(f.message)) std::abort();
    if (f.param.size() > 64 || !is_valid_utf8(f.param)) std::abort();
    if (looks_like_a_secret(f.param)) std::abort();
    // Every message quoting a name starts the first one after its first '"'
    // (a name may hold '"' itself, so only that one is known to start one).
    const auto q = f.message.find('"');
    if (q != std::string::npos && looks_like_a_secret(std::string_view(f.message).substr(q + 1)))
        std::abort();
}

// The caller's body, as Boost.JSON reads it, names known fields only; the
// variables it gives are allowed for the workflow taken and fit.
void check_taken(std::string_view body, const api::mint_request& r) {
    boost::json::value doc = boost::json::object{};
    if (!body.empty()) doc = boost::json::parse(body);  // must parse: it was taken
    if (!doc.is_object()) std::abort();
    for (const auto& m : doc.get_object())
        if (m.key() != "workflow" && m.key() != "replaces" && m.key() != "state_variables")
            std::abort();
    const auto* named = doc.get_object().if_contains("workflow");
    const auto* expected = &sessions().workflows.at(named ? std::string(named->as_string())
                                                          : sessions().default_workflow);
    if (r.profile != expected) std::abort();
    const auto* replaces = doc.get_object().if_contains("replaces");
    if (replaces ? (!r.replaces || *r.replaces != std::string_view(replaces->as_string()))
                 : r.replaces.has_value())
        std::abort();
    for (const auto& m : r.state_variables)
        if (!listed(r.profile->allowed_state_variables, m.key()) || !fits(m.value())) std::abort();
}

// What goes upstream: JSON naming the authenticated user, the workflow's id
// and constants, and variables only from the profile, the claims' mapping
// (those that fit) or the caller's allowed ones.
void check_upstream_body(const api::mint_request& r) {
    const auto text = api::upstream_session_body(r, upstream_user, claims());
    boost::system::error_code ec;
    const auto sent = boost::json::parse(text, ec);
    if (ec || !sent.is_object()) std::abort();
    const auto& body = sent.get_object();
    for (const auto& m : body)
        if (m.key() != "user" && m.key() != "workflow" && m.key() != "expires_after" &&
            m.key() != "rate_limits" && m.key() != "chatkit_configuration")
            std::abort();
    if (std::string_view(body.at("user").as_string()) != upstream_user) std::abort();
    const auto& workflow = body.at("workflow").as_object();
    if (std::string_view(workflow.at("id").as_string()) != r.profile->id) std::abort();
    const auto* vars = workflow.if_contains("state_variables");
    if (vars == nullptr) return;
    const auto& p = *r.profile;
    for (const auto& [name, value] : p.state_variables)
        if (!fuzz::same_read_back(vars->as_object().at(name), value)) std::abort();
    for (const auto& m : vars->as_object()) {
        if (!fits(m.value())) std::abort();
        if (p.state_variables.contains(m.key())) continue;
        const bool mapped =
            std::any_of(p.claims_to_state_variables.begin(), p.claims_to_state_variables.end(),
                        [&](const auto& c) {
                            return c.second == m.key() && claims().at(c.first) == m.value();
                        });
        const auto* given = r.state_variables.if_contains(m.key());
        if (!mapped && (given == nullptr || !fuzz::same_read_back(*given, m.value()))) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto r = api::parse_mint_request(body, sessions());
    if (!r) {
        check_refusal(r.error());
        return 0;
    }
    check_taken(body, *r);
    check_upstream_body(*r);
    return 0;
}
