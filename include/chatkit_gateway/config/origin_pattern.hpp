// One entry of cors.allowed_origins (docs/api.md, "CORS"): an origin
// "scheme://host[:port]" of any scheme (https://app.example.com,
// http://localhost:3000, capacitor://localhost), matched exactly, or a
// pattern such as https://*.example.com whose "*" stands for exactly one DNS
// label (letters, digits, hyphens) and never for the domain itself. Parsing
// is strict because a loose pattern is a hole in the CSRF defence: "null",
// paths, a "*" anywhere but the whole first label, or several "*" are refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ckg::config {

class origin_pattern {
public:
    // The pattern for `text` (scheme and host lowercased, as browsers send
    // them), or nullopt with `problem` set to a sentence for the config error.
    static std::optional<origin_pattern> parse(std::string_view text, std::string& problem);

    // True when a request's Origin header value is allowed by this entry.
    bool matches(std::string_view origin) const noexcept;

    // The entry as configured (normalized), for logs and documentation.
    const std::string& text() const noexcept { return text_; }
    bool is_wildcard() const noexcept { return wildcard_; }

private:
    std::string text_;
    std::string prefix_;  // exact: the whole origin; pattern: "scheme://"
    std::string suffix_;  // pattern: ".example.com[:port]"
    bool wildcard_ = false;
};

}  // namespace ckg::config
