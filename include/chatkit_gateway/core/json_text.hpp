// Appending JSON text directly to a string, for the few outputs written on
// every request (a log line, the mint reply, a handle's plaintext). Strings
// that need no escaping (the usual case: ids, routes, tokens' hashes) are
// copied between quotes; anything else goes through Boost.JSON's serializer,
// so the output is exactly what boost::json::serialize would give, except
// that bytes which are not UTF-8 become U+FFFD: the text is always valid
// JSON, whatever a peer put in it.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ckg {

// "text", escaped as JSON requires.
void append_json_string(std::string& out, std::string_view text);
void append_json_value(std::string& out, const boost::json::value& value);

// A member name written in the code: a string literal the compiler has
// checked needs no escaping (a name that would is a compile error), so
// writing it is a copy, not a scan. Log lines write a dozen a request.
class json_key {
public:
    consteval json_key(const char* name) : name_(name) {
        for (const char c : name_)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80 ||
                c == '"' || c == '\\')
                throw "a json_key is ASCII without control characters, '\"' or '\\'";
    }
    constexpr std::string_view view() const noexcept { return name_; }

private:
    std::string_view name_;
};

// "key":  (the member's name, then the colon)
inline void append_json_key(std::string& out, json_key key) {
    out += '"';
    out.append(key.view()).append("\":");
}

}  // namespace ckg
