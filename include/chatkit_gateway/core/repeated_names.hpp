// Finds a member name that one JSON object holds more than once. RFC 8259
// section 4 only says names SHOULD be unique, and parsers differ on which
// occurrence counts: Boost.JSON keeps the last one, others the first. A
// configuration or request with a repeated name may mean one thing here and
// another to whoever wrote or checked it, so both are refused
// (docs/api.md, "Errors"; docs/operations.md, "Configuration").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ckg {

// The path of the first repeated name in `json_text`, dotted with [i] for
// array elements ("auth.issuers[0].audiences"), or nullopt when every
// object's names are unique. Text that is not JSON yields nullopt: the
// caller's own parser reports that, with its position.
std::optional<std::string> first_repeated_name(std::string_view json_text);

}  // namespace ckg
