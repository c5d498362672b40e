#include "request_rules.hpp"

#include "chatkit_gateway/http/query_params.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <vector>

namespace ckg::simulator {
namespace {

enum class kind { string, integer, boolean, object, primitive_map };

constexpr std::int64_t no_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t no_max = std::numeric_limits<std::int64_t>::max();

// One member of a request schema. `min`/`max` bound an integer's value, a
// string's length or a map's member count; `only` is the one value a string
// may take (the schema's single-value enums).
struct rule {
    std::string_view name;
    kind type = kind::object;
    bool required = false;
    std::int64_t min = no_min;
    std::int64_t max = no_max;
    std::vector<rule> members;
    std::string_view only;
};

// CreateChatSessionBody and the parameter objects it references.
const rule& create_session_body() {
    static const rule body{
        .members = {
            {.name = "user", .type = kind::string, .required = true, .min = 1},
            {.name = "workflow",
             .required = true,
             .members = {{.name = "id", .type = kind::string, .required = true},
                         {.name = "version", .type = kind::string},
                         {.name = "state_variables", .type = kind::primitive_map, .max = 64},
                         {.name = "tracing",
                          .members = {{.name = "enabled", .type = kind::boolean}}}}},
            {.name = "expires_after",
             .members =
                 {{.name = "anchor", .type = kind::string, .required = true, .only = "created_at"},
                  {.name = "seconds",
                   .type = kind::integer,
                   .required = true,
                   .min = 1,
                   .max = 600}}},
            {.name = "rate_limits",
             .members = {{.name = "max_requests_per_1_minute", .type = kind::integer, .min = 1}}},
            {.name = "chatkit_configuration",
             .members = {
                 {.name = "automatic_thread_titling",
                  .members = {{.name = "enabled", .type = kind::boolean}}},
                 {.name = "file_upload",
                  .members = {{.name = "enabled", .type = kind::boolean},
                              {.name = "max_file_size",
                               .type = kind::integer,
                               .min = 1,
                               .max = 512},
                              {.name = "max_files", .type = kind::integer, .min = 1}}},
                 {.name = "history",
                  .members = {{.name = "enabled", .type = kind::boolean},
                              {.name = "recent_threads", .type = kind::integer, .min = 1}}}}}}};
    return body;
}

// The longest state variable value the upstream takes (WorkflowParam).
constexpr std::int64_t max_state_value_bytes = 10'485'760;
constexpr std::size_t max_state_key_chars = 64;

// A name or value from the request in a message: quoted, at most 64 bytes.
std::string quoted(std::string_view text) {
    text = text.substr(0, 64);
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('\'');
    out.append(text);
    out.push_back('\'');
    return out;
}

const char* type_name(const boost::json::value& v) {
    if (v.is_string()) return "a string";
    if (v.is_int64() || v.is_uint64()) return "an integer";
    if (v.is_double()) return "a decimal";
    if (v.is_bool()) return "a boolean";
    if (v.is_object()) return "an object";
    if (v.is_array()) return "an array";
    return "null";
}

const char* expected_name(kind k) {
    switch (k) {
        case kind::string:
            return "a string";
        case kind::integer:
            return "an integer";
        case kind::boolean:
            return "a boolean";
        case kind::object:
        case kind::primitive_map:
            return "an object";
    }
    return "a value";
}

upstream_problem wrong_type(const std::string& path, kind expected, const boost::json::value& got) {
    return {"Invalid type for " + quoted(path) + ": expected " + expected_name(expected) +
                ", but got " + type_name(got) + " instead.",
            path, "invalid_type"};
}

upstream_problem out_of_range(const std::string& path, std::int64_t got, std::int64_t min,
                              std::int64_t max) {
    if (got < min)
        return {"Invalid " + quoted(path) + ": integer below minimum value. Expected a value >= " +
                    std::to_string(min) + ", but got " + std::to_string(got) + " instead.",
                path, "integer_below_min_value"};
    return {"Invalid " + quoted(path) + ": integer above maximum value. Expected a value <= " +
                std::to_string(max) + ", but got " + std::to_string(got) + " instead.",
            path, "integer_above_max_value"};
}

upstream_problem bad_length(const std::string& path, std::int64_t got, std::int64_t min,
                            std::int64_t max) {
    if (got < min)
        return {"Invalid " + quoted(path) +
                    ": string too short. Expected a string with minimum length " +
                    std::to_string(min) + ", but got a string with length " + std::to_string(got) +
                    " instead.",
                path, "string_below_min_length"};
    return {"Invalid " + quoted(path) +
                ": string too long. Expected a string with maximum length " + std::to_string(max) +
                ", but got a string with length " + std::to_string(got) + " instead.",
            path, "string_above_max_length"};
}

std::optional<upstream_problem> check_value(const boost::json::value& v, const rule& r,
                                            const std::string& path);

std::optional<upstream_problem> check_object(const boost::json::object& o, const rule& r,
                                             const std::string& path) {
    const std::string prefix = path.empty() ? "" : path + ".";
    for (const auto& m : o) {
        const rule* known = nullptr;
        for (const auto& member : r.members)
            if (member.name == m.key()) known = &member;
        if (known == nullptr)
            return upstream_problem{
                "Unknown parameter: " + quoted(prefix + std::string(m.key())) + ".",
                prefix + std::string(m.key()), "unknown_parameter"};
        if (auto p = check_value(m.value(), *known, prefix + std::string(m.key()))) return p;
    }
    for (const auto& member : r.members)
        if (member.required && !o.contains(member.name))
            return upstream_problem{
                "Missing required parameter: " + quoted(prefix + std::string(member.name)) + ".",
                prefix + std::string(member.name), "missing_required_parameter"};
    return std::nullopt;
}

// State variables: at most 64 keys of at most 64 characters, primitive values.
std::optional<upstream_problem> check_map(const boost::json::object& o, const rule& r,
                                          const std::string& path) {
    if (static_cast<std::int64_t>(o.size()) > r.max)
        return upstream_problem{"Invalid " + quoted(path) +
                                    ": too many properties. Expected an object with at most " +
                                    std::to_string(r.max) + " properties, but got " +
                                    std::to_string(o.size()) + " instead.",
                                path, "object_above_max_properties"};
    for (const auto& m : o) {
        const std::string member = path + "." + std::string(m.key());
        if (m.key().size() > max_state_key_chars)
            return bad_length(member, static_cast<std::int64_t>(m.key().size()), 1,
                              max_state_key_chars);
        const auto& v = m.value();
        if (!v.is_string() && !v.is_number() && !v.is_bool())
            return upstream_problem{"Invalid type for " + quoted(member) +
                                        ": expected one of a string, an integer, a boolean or a "
                                        "number, but got " +
                                        type_name(v) + " instead.",
                                    member, "invalid_type"};
        if (v.is_string() &&
            static_cast<std::int64_t>(v.get_string().size()) > max_state_value_bytes)
            return bad_length(member, static_cast<std::int64_t>(v.get_string().size()), 0,
                              max_state_value_bytes);
    }
    return std::nullopt;
}

std::optional<upstream_problem> check_value(const boost::json::value& v, const rule& r,
                                            const std::string& path) {
    switch (r.type) {
        case kind::string: {
            if (!v.is_string()) return wrong_type(path, r.type, v);
            const auto& s = v.get_string();
            if (!r.only.empty() && s != r.only)
                return upstream_problem{"Invalid value for " + quoted(path) + ": " + quoted(s) +
                                            ". Supported values are: " + quoted(r.only) + ".",
                                        path, "invalid_value"};
            const auto length = static_cast<std::int64_t>(s.size());
            if (length < r.min || length > r.max) return bad_length(path, length, r.min, r.max);
            return std::nullopt;
        }
        case kind::integer: {
            if (!v.is_int64() && !v.is_uint64()) return wrong_type(path, r.type, v);
            const std::int64_t n = v.is_int64() ? v.get_int64() : no_max;
            if (n < r.min || n > r.max) return out_of_range(path, n, r.min, r.max);
            return std::nullopt;
        }
        case kind::boolean:
            if (!v.is_bool()) return wrong_type(path, r.type, v);
            return std::nullopt;
        case kind::object:
            if (!v.is_object()) return wrong_type(path, r.type, v);
            return check_object(v.get_object(), r, path);
        case kind::primitive_map:
            if (!v.is_object()) return wrong_type(path, r.type, v);
            return check_map(v.get_object(), r, path);
    }
    return std::nullopt;
}

// An integer query parameter, as the upstream reads it from its text.
std::variant<std::int64_t, upstream_problem> query_integer(const http_server::query_param& p,
                                                           std::int64_t min, std::int64_t max) {
    std::int64_t n = 0;
    const auto* end = p.value.data() + p.value.size();
    auto [stop, ec] = std::from_chars(p.value.data(), end, n);
    if (ec != std::errc{} || stop != end || p.value.empty())
        return upstream_problem{"Invalid type for " + quoted(p.key) +
                                    ": expected an integer, but got a string instead.",
                                p.key, "invalid_type"};
    if (n < min || n > max) return out_of_range(p.key, n, min, max);
    return n;
}

}  // namespace

std::optional<upstream_problem> check_create_session(const boost::json::object& body) {
    return check_object(body, create_session_body(), "");
}

std::variant<list_query, upstream_problem> read_list_query(std::string_view raw_query,
                                                           bool with_user) {
    auto params = http_server::parse_query_params(raw_query);
    if (!params) return upstream_problem{"Malformed query string.", std::nullopt, "invalid_value"};
    list_query q;
    for (const auto& p : *params) {
        if (p.key == "limit") {
            auto n = query_integer(p, 0, 100);  // ListThreadsMethod: minimum 0, maximum 100
            if (auto* problem = std::get_if<upstream_problem>(&n)) return *problem;
            q.limit = static_cast<std::size_t>(std::get<std::int64_t>(n));
        } else if (p.key == "order") {
            if (p.value != "asc" && p.value != "desc")
                return upstream_problem{"Invalid value for 'order': " + quoted(p.value) +
                                            ". Supported values are: 'asc' and 'desc'.",
                                        p.key, "invalid_value"};
            q.ascending = p.value == "asc";
        } else if (p.key == "after") {
            q.after = p.value;
        } else if (p.key == "before") {
            q.before = p.value;
        } else if (p.key == "user" && with_user) {
            const auto length = static_cast<std::int64_t>(p.value.size());
            if (length < 1 || length > 512) return bad_length(p.key, length, 1, 512);
            q.user = p.value;
        } else {
            return upstream_problem{"Unknown parameter: " + quoted(p.key) + ".", p.key,
                                    "unknown_parameter"};
        }
    }
    return q;
}

}  // namespace ckg::simulator
