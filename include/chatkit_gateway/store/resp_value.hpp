// One Redis reply (RESP2), as resp_reader builds it, and the encoding of a
// command: an array of bulk strings, binary-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::store {

struct resp_value {
    enum class kind { string, status, error, integer, nil, array };
    kind type = kind::nil;
    std::string text;  // string, status, error
    long long integer = 0;
    std::vector<resp_value> elements;  // array

    bool is_error() const noexcept { return type == kind::error; }
};

// Appends "*<n>\r\n$<len>\r\n<arg>\r\n..." to `out` (pipelined commands are
// simply appended one after the other).
void append_command(std::string& out, std::initializer_list<std::string_view> args);
// A script call, as append_command would encode it: `verb` ("EVALSHA" or
// "EVAL"), `script` (its SHA-1 or text), the number of keys, the keys, the
// arguments.
void append_script_call(std::string& out, std::string_view verb, std::string_view script,
                        const std::vector<std::string>& keys, const std::vector<std::string>& args);

}  // namespace ckg::store
