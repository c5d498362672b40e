// The media type a mint's body needs (docs/api.md). On its own, with no
// other dependency, so that the fuzz target (tests/fuzz/media_type_fuzzer)
// links it alone.
#pragma once

#include <string_view>

namespace ckg::api {

// Whether one Content-Type value is application/json (RFC 9110, 8.3.1: a
// media type, then `;` parameters, optional whitespace around each `;`).
// A comma outside a quoted parameter value is a list, as a proxy makes of
// two Content-Type fields by joining them: no one media type; so is a
// quoted value left open, which may hide such a comma.
bool is_json_media_type(std::string_view value) noexcept;

}  // namespace ckg::api
