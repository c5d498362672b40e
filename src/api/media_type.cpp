#include "chatkit_gateway/api/media_type.hpp"

#include "chatkit_gateway/core/ascii.hpp"

namespace ckg::api {

bool is_json_media_type(std::string_view value) noexcept {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    bool quoted = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (quoted && value[i] == '\\')
            ++i;  // a quoted-pair: the next byte is taken as it is
        else if (value[i] == '"')
            quoted = !quoted;
        else if (!quoted && value[i] == ',')
            return false;
    }
    if (quoted) return false;  // an unterminated quoted string: malformed
    auto type = value.substr(0, value.find(';'));
    while (!type.empty() && blank(type.front())) type.remove_prefix(1);
    while (!type.empty() && blank(type.back())) type.remove_suffix(1);
    return iequals_ascii(type, "application/json");
}

}  // namespace ckg::api
