// The members a handler adds to its request's access-log line (user hash,
// upstream status and latency, failure reason, trace id; docs/operations.md,
// logs): text or integers, in the order first set; setting a name again
// replaces its value. Never a secret or a token. A small vector rather than
// a boost::json::object: it is filled and written once per request, and a
// hashed object cost an allocation and a lookup per member.
#pragma once

#include "chatkit_gateway/core/json_text.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ckg::observability {

class log_fields {
public:
    struct member {
        json_key name;  // the code's, checked when compiled; never a peer's
        std::variant<std::int64_t, std::string> value;
    };

    void set(json_key name, std::string_view text);
    void set(json_key name, std::int64_t number);
    // The text set under `name`; nullptr when it is absent or a number.
    const std::string* text(std::string_view name) const;

    const std::vector<member>& members() const noexcept { return members_; }
    void reserve(std::size_t n) { members_.reserve(n); }

private:
    member& slot(json_key name);
    std::vector<member> members_;
};

}  // namespace ckg::observability
