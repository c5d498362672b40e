#include "chatkit_gateway/config/json_object_reader.hpp"

#include <boost/json/string.hpp>

namespace ckg::config {
namespace {

const boost::json::object empty_object;
const boost::json::value null_value;

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

const boost::json::object& as_object_or_fail(const boost::json::value& value,
                                             const std::string& path) {
    if (value.is_null()) return empty_object;
    if (!value.is_object()) throw config_error(path.empty() ? "<root>" : path, "must be an object");
    return value.get_object();
}

}  // namespace

json_object_reader::json_object_reader(const boost::json::value& value, std::string path)
    : object_(&as_object_or_fail(value, path)), path_(std::move(path)) {}

std::string json_object_reader::path_of(std::string_view key) const {
    return join_path(path_, key);
}

void json_object_reader::fail(std::string_view key, std::string problem) const {
    throw config_error(path_of(key), std::move(problem));
}

bool json_object_reader::has(std::string_view key) const {
    const auto* v = object_->if_contains(key);
    return v != nullptr && !v->is_null();
}

const boost::json::value* json_object_reader::find(std::string_view key) {
    known_.emplace(key);
    const auto* v = object_->if_contains(key);
    return (v == nullptr || v->is_null()) ? nullptr : v;
}

std::optional<std::string> json_object_reader::optional_string(std::string_view key) {
    const auto* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) fail(key, "must be a string");
    return std::string(v->get_string());
}

std::string json_object_reader::string_or(std::string_view key, std::string fallback) {
    auto v = optional_string(key);
    return v ? std::move(*v) : std::move(fallback);
}

std::string json_object_reader::required_string(std::string_view key) {
    auto v = optional_string(key);
    if (!v) fail(key, "is required");
    if (v->empty()) fail(key, "must not be empty");
    return std::move(*v);
}

std::optional<bool> json_object_reader::optional_bool(std::string_view key) {
    const auto* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_bool()) fail(key, "must be true or false");
    return v->get_bool();
}

std::optional<std::int64_t> json_object_reader::optional_integer(std::string_view key,
                                                                 std::int64_t min,
                                                                 std::int64_t max) {
    const auto* v = find(key);
    if (v == nullptr) return std::nullopt;
    const std::string range =
        "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    // A uint64 value is above INT64_MAX, so above every range used here.
    if (v->is_uint64()) fail(key, range);
    if (!v->is_int64()) fail(key, "must be an integer");
    const std::int64_t n = v->get_int64();
    if (n < min || n > max) fail(key, range);
    return n;
}

std::int64_t json_object_reader::integer_or(std::string_view key, std::int64_t fallback,
                                            std::int64_t min, std::int64_t max) {
    return optional_integer(key, min, max).value_or(fallback);
}

std::vector<std::string> json_object_reader::string_array_or(std::string_view key,
                                                             std::vector<std::string> fallback) {
    const auto* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_array()) fail(key, "must be an array of strings");
    std::vector<std::string> out;
    const auto& array = v->get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
        if (!array[i].is_string())
            throw config_error(path_of(key) + "[" + std::to_string(i) + "]", "must be a string");
        out.emplace_back(array[i].get_string());
    }
    return out;
}

json_object_reader json_object_reader::object(std::string_view key) {
    const auto* v = find(key);
    return json_object_reader(v ? *v : null_value, path_of(key));
}

void json_object_reader::finish() const {
    for (const auto& member : *object_) {
        if (!known_.contains(std::string_view(member.key())))
            throw config_error(path_of(member.key()), "unknown key");
    }
}

}  // namespace ckg::config
