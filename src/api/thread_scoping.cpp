#include "chatkit_gateway/api/thread_scoping.hpp"

#include <optional>

#include "chatkit_gateway/core/repeated_names.hpp"
#include "chatkit_gateway/core/request_name.hpp"
#include "chatkit_gateway/http/query_params.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <cmath>
#include <set>

namespace ckg::api {
namespace {

bool is_limit(std::string_view raw) {
    if (raw.empty() || raw.size() > 3) return false;
    int n = 0;
    for (char c : raw) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
    }
    return n >= 1 && n <= 100;
}

// Whether every number in `v` is one JSON can write: a double that
// overflowed while parsing (1e400) would reach the caller as "Infinity",
// which no JSON parser takes. Boost.JSON's parser bounds the depth (32).
bool only_finite_numbers(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::double_:
            return std::isfinite(v.get_double());
        case boost::json::kind::array:
            return std::all_of(v.get_array().begin(), v.get_array().end(), only_finite_numbers);
        case boost::json::kind::object:
            return std::all_of(v.get_object().begin(), v.get_object().end(),
                               [](const auto& m) { return only_finite_numbers(m.value()); });
        default:
            return true;
    }
}

// The upstream's reply as an object the caller can be given back, or
// nullopt when it is not one. A name repeated in any of its objects is
// refused: Boost.JSON keeps the last ("user": "victim", ..., "user":
// "alice" would read as alice's), another reader the first.
std::optional<boost::json::object> object_of(std::string_view upstream_body) {
    if (first_repeated_name(upstream_body)) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(upstream_body, ec);
    if (ec || !v.is_object() || !only_finite_numbers(v)) return std::nullopt;
    return std::move(v.get_object());
}

std::string encoded(std::string_view value) {
    return boost::urls::encode(boost::urls::string_view(value.data(), value.size()),
                               boost::urls::unreserved_chars);
}

// Why a list query parameter is refused, or nullopt when its raw value is fine.
std::optional<failure> check_list_param(const std::string& key, std::string_view raw) {
    if (key == "limit") {
        if (!is_limit(raw)) return invalid_request("limit must be an integer from 1 to 100", key);
    } else if (key == "after" || key == "before") {
        if (!is_valid_id(raw))
            return invalid_request(
                key + " must be a thread id: 1 to 128 characters A-Z a-z 0-9 _ -", key);
    } else if (key == "order") {
        if (raw != "asc" && raw != "desc")
            return invalid_request("order must be \"asc\" or \"desc\"", key);
    } else if (key == "user") {
        return invalid_request(
            "query parameter \"user\" is not allowed: the gateway always scopes to the caller",
            key);
    } else {
        return invalid_request("unknown query parameter " + quoted_request_name(key) +
                                   " (allowed: limit, after, before, order)",
                               request_name(key));
    }
    return std::nullopt;
}

}  // namespace

bool is_valid_id(std::string_view raw) noexcept {
    if (raw.empty() || raw.size() > 128) return false;
    for (char c : raw) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

result<std::string> upstream_list_query(std::string_view raw_query, const std::string* for_user) {
    auto params = http_server::parse_query_params(raw_query);
    if (!params) return invalid_request("the query string is not valid percent-encoded text");
    std::string out = for_user ? "user=" + encoded(*for_user) : std::string();
    std::set<std::string> seen;
    for (const auto& p : *params) {
        // "limit=1&", "&&": a parameter without a name, so no param member.
        if (p.key.empty())
            return invalid_request(
                "the query has a parameter without a name (a stray \"&\" or \"=\"; allowed: "
                "limit, after, before, order)");
        if (!seen.insert(p.key).second)
            return invalid_request(
                "query parameter " + quoted_request_name(p.key) + " is given more than once",
                request_name(p.key));
        const std::string_view raw = p.raw_value;
        if (auto refused = check_list_param(p.key, raw)) return *refused;
        // The raw text passed validation, so it is already its own encoding.
        out += (out.empty() ? "" : "&") + p.key + "=" + std::string(raw);
    }
    return out;
}

namespace {

bool has_string(const boost::json::object& o, std::string_view key, std::string_view value) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() && v->get_string() == value;
}

// A list as the caller gets it: only the members a list has (object, data,
// first_id, last_id, has_more; docs/api.md), whatever else the upstream's
// reply holds, which could be other users' data; first_id and last_id are
// the ids of the data kept, each of which must be a string.
result<boost::json::object> list_of(boost::json::array data, const boost::json::object& upstream) {
    for (const auto& e : data) {
        const auto* id = e.get_object().if_contains("id");
        if (id == nullptr || !id->is_string())
            return failure{errc::upstream_error, "list entry without a string id"};
    }
    const auto* more = upstream.if_contains("has_more");
    boost::json::object out;
    out["object"] = "list";
    out["first_id"] = data.empty() ? boost::json::value(nullptr) : data.front().at("id");
    out["last_id"] = data.empty() ? boost::json::value(nullptr) : data.back().at("id");
    out["has_more"] = more != nullptr && more->is_bool() && more->get_bool();
    out["data"] = std::move(data);
    return out;
}

}  // namespace

result<boost::json::object> scope_thread_list(std::string_view upstream_body,
                                              std::string_view user) {
    auto read = object_of(upstream_body);
    const auto* data = read ? read->if_contains("data") : nullptr;
    if (data == nullptr || !data->is_array())
        return failure{errc::upstream_error, "unreadable thread list"};
    boost::json::array mine;
    for (const auto& t : data->get_array())
        if (t.is_object() && has_string(t.get_object(), "user", user)) mine.push_back(t);
    return list_of(std::move(mine), *read);
}

result<boost::json::object> owned_thread(std::string_view upstream_body, std::string_view user,
                                         std::string_view id) {
    auto thread = object_of(upstream_body);
    if (!thread) return failure{errc::upstream_error, "unreadable thread"};
    if (!has_string(*thread, "id", id))
        return failure{errc::upstream_error, "thread reply about another thread"};
    // Absent and foreign look the same to the caller (docs/api.md: existence is not revealed).
    if (!has_string(*thread, "user", user))
        return failure{errc::not_found, "thread belongs to another user",
                       std::string(thread_not_found_message)};
    return std::move(*thread);
}

result<boost::json::object> thread_item_list(std::string_view upstream_body, std::string_view id) {
    auto list = object_of(upstream_body);
    if (!list) return failure{errc::upstream_error, "unreadable item list"};
    const auto* data = list->if_contains("data");
    if (!has_string(*list, "object", "list") || data == nullptr || !data->is_array())
        return failure{errc::upstream_error, "item reply is not a list"};
    for (const auto& item : data->get_array())
        if (!item.is_object() || !has_string(item.get_object(), "thread_id", id))
            return failure{errc::upstream_error, "item list holds another thread's item"};
    // Moved out, not copied: the caller gets it, and nothing else of `list`.
    auto items = std::move(list->at("data").as_array());
    return list_of(std::move(items), *list);
}

result<boost::json::object> deletion_of(std::string_view upstream_body, std::string_view id) {
    auto body = object_of(upstream_body);
    if (!body) return failure{errc::upstream_error, "unreadable delete reply"};
    if (!has_string(*body, "id", id))
        return failure{errc::upstream_error, "delete reply about another thread"};
    boost::json::object out;
    for (const char* k : {"id", "deleted", "object"})
        if (const auto* v = body->if_contains(k)) out[k] = *v;
    return out;
}

}  // namespace ckg::api
