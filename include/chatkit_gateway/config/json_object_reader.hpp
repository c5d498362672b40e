// Reads one JSON object of the configuration file while remembering its
// dotted path, so that every error names the exact key. Each accessor marks
// its key as known; finish() then refuses any key nobody asked for.
// Every accessor throws config_error on a wrong type or out-of-range value;
// an absent key or JSON null yields the default.
#pragma once

#include "chatkit_gateway/config/config_error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::config {

class json_object_reader {
public:
    // Throws config_error(path, "must be an object") when value is not one.
    json_object_reader(const boost::json::value& value, std::string path);

    std::string path_of(std::string_view key) const;
    [[noreturn]] void fail(std::string_view key, std::string problem) const;

    // The raw member (nullptr when absent or null).
    const boost::json::value* find(std::string_view key);

    std::optional<std::string> optional_string(std::string_view key);
    std::string string_or(std::string_view key, std::string fallback);
    std::string required_string(std::string_view key);
    std::optional<bool> optional_bool(std::string_view key);
    std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max);
    std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                            std::int64_t max);
    std::vector<std::string> string_array_or(std::string_view key,
                                             std::vector<std::string> fallback);

    // A nested object (an empty one when absent or null).
    json_object_reader object(std::string_view key);
    bool has(std::string_view key) const;

    // Throws for the first key that no accessor asked for.
    void finish() const;

    const boost::json::object& raw() const noexcept { return *object_; }
    const std::string& path() const noexcept { return path_; }

private:
    const boost::json::object* object_;
    std::string path_;
    std::set<std::string, std::less<>> known_;
};

}  // namespace ckg::config
