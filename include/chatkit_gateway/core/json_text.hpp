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

// "key":  (the member's name, then the colon)
inline void append_json_key(std::string& out, std::string_view key) {
    append_json_string(out, key);
    out += ':';
}

}  // namespace ckg
