// Splits a raw query string into percent-decoded (key, value) pairs, in
// order, repeats kept (callers decide whether a repeat is an error); a '+'
// decodes to a space (application/x-www-form-urlencoded).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckg::http_server {

struct query_param {
    std::string key;        // decoded
    std::string value;      // decoded
    std::string raw_value;  // as sent, for checks that must see the raw text
};

// nullopt when the query is not valid (bad percent-encoding).
std::optional<std::vector<query_param>> parse_query_params(std::string_view raw_query);

}  // namespace ckg::http_server
