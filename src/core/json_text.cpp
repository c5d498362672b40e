#include "chatkit_gateway/core/json_text.hpp"

#include <boost/json/serializer.hpp>

#include <algorithm>

namespace ckg {
namespace {

// What boost::json's serializer escapes: '"', '\\' and control characters.
// Every other byte (UTF-8 included) it copies as it is.
bool needs_escaping(std::string_view text) noexcept {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || c == '"' || c == '\\';
    });
}

template <class T>
void serialize_into(std::string& out, const T& what) {
    boost::json::serializer sr;
    sr.reset(what);
    char buf[512];
    while (!sr.done()) out.append(sr.read(buf));
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    if (needs_escaping(text))
        return serialize_into(out, boost::json::string_view(text.data(), text.size()));
    out += '"';
    out += text;
    out += '"';
}

void append_json_value(std::string& out, const boost::json::value& value) {
    switch (value.kind()) {
        case boost::json::kind::string:
            return append_json_string(out, value.get_string());
        case boost::json::kind::int64:
            out += std::to_string(value.get_int64());
            return;
        case boost::json::kind::uint64:
            out += std::to_string(value.get_uint64());
            return;
        case boost::json::kind::bool_:
            out += value.get_bool() ? "true" : "false";
            return;
        default:
            serialize_into(out, &value);  // null, double, array, object
    }
}

}  // namespace ckg
