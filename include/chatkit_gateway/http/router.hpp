// Maps (method, path) to a handler. Patterns are literal segments and
// "{name}" placeholders that take one non-empty raw segment (no decoding:
// handlers validate the raw text, docs/api.md). An unknown path is 404; a
// known path with another method is 405 with the methods for Allow.
#pragma once

#include "chatkit_gateway/http/handler.hpp"

#include <boost/container/small_vector.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::http_server {

struct route_match {
    const handler* target = nullptr;  // null: no route for this method
    std::string_view pattern;         // the route template, for logs and metrics
    path_params params;
    std::string allow;  // methods of the path, e.g. "GET, DELETE" (for 405 and OPTIONS)
};

class router {
public:
    // A path's segments; inline storage: routing a request allocates nothing.
    using segments_view = boost::container::small_vector<std::string_view, 8>;

    void add(http::verb method, std::string pattern, handler h);

    // nullopt when no pattern matches the path (404).
    std::optional<route_match> match(http::verb method, std::string_view path) const;

private:
    struct route {
        http::verb method;
        std::string pattern;
        std::vector<std::string> segments;
        handler target;
    };
    static bool matches(const route& r, const segments_view& parts, path_params& out);
    std::vector<route> routes_;
};

}  // namespace ckg::http_server
