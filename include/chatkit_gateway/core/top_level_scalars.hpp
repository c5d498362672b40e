// Reads a few top-level members of a JSON object without building a
// document: Boost.JSON's SAX parser (basic_parser) hands us each token and
// only the wanted strings and integers are kept. The create-session reply
// and every opened session handle go through here, where a full
// boost::json::value would cost a heap allocation per key.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg {

class top_level_scalars {
public:
    explicit top_level_scalars(std::initializer_list<std::string_view> names);

    // True when `text` is one well-formed JSON object; members are then as
    // the last occurrence of each wanted name left them.
    bool parse(std::string_view text);

    // The member's value when it is a string (resp. a number that fits an
    // int64), as boost::json::value's is_string()/is_int64() would say.
    const std::string* string_member(std::string_view name) const;
    std::optional<std::int64_t> int64_member(std::string_view name) const;
    // The first wanted name the object holds more than once, if any (JSON
    // parsers disagree on which occurrence wins, so a request may refuse it).
    std::optional<std::string_view> repeated() const;

    struct member {
        enum class kind { absent, string, int64, other };
        std::string_view name;
        kind type = kind::absent;
        std::string text;
        std::int64_t number = 0;
        unsigned occurrences = 0;
    };

private:
    const member* find(std::string_view name) const;

    std::vector<member> members_;
};

}  // namespace ckg
