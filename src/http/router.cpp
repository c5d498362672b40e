#include "chatkit_gateway/http/router.hpp"

namespace ckg::http_server {
namespace {

router::segments_view split_path(std::string_view path) {
    router::segments_view parts;
    if (path.empty() || path.front() != '/') return parts;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool is_placeholder(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void router::add(http::verb method, std::string pattern, handler h) {
    std::vector<std::string> segments;
    for (auto s : split_path(pattern)) segments.emplace_back(s);
    routes_.push_back(route{method, std::move(pattern), std::move(segments), std::move(h)});
}

bool router::matches(const route& r, const segments_view& parts, path_params& out) {
    if (parts.size() != r.segments.size()) return false;
    out.clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& seg = r.segments[i];
        if (is_placeholder(seg)) {
            if (parts[i].empty()) return false;
            out.emplace_back(seg.substr(1, seg.size() - 2), parts[i]);
        } else if (seg != parts[i]) {
            return false;
        }
    }
    return true;
}

std::optional<route_match> router::match(http::verb method, std::string_view path) const {
    const auto parts = split_path(path);
    std::optional<route_match> found;
    path_params params;
    for (const auto& r : routes_) {
        if (!matches(r, parts, params)) continue;
        if (!found) {
            found.emplace();
            // Name the path's template even on 405, so logs and metrics stay bounded.
            found->pattern = r.pattern;
        }
        if (!found->allow.empty()) found->allow += ", ";
        found->allow += http::to_string(r.method);
        if (r.method == method && found->target == nullptr) {
            found->target = &r.target;
            found->pattern = r.pattern;
            found->params = params;
        }
    }
    return found;
}

}  // namespace ckg::http_server
