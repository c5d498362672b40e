#include "chatkit_gateway/http/query_params.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse_query.hpp>

namespace ckg::http_server {

std::optional<std::vector<query_param>> parse_query_params(std::string_view raw_query) {
    std::vector<query_param> out;
    if (raw_query.empty()) return out;
    // Boost.URL 1.81's parse_query reads up to a NUL terminator rather than
    // the view's end, so it gets its own terminated copy.
    const std::string copy(raw_query);
    auto params = boost::urls::parse_query(boost::urls::string_view(copy.c_str(), copy.size()));
    if (!params) return std::nullopt;
    // A '+' is a space, as HTML forms, URLSearchParams and Python's urlencode
    // write one (they write a '+' itself as %2B).
    boost::urls::encoding_opts form;
    form.space_as_plus = true;
    for (const auto& p : *params) {
        query_param q;
        q.key = p.key.decode(form);
        q.value = p.has_value ? p.value.decode(form) : std::string();
        q.raw_value = std::string(p.value.data(), p.value.size());
        out.push_back(std::move(q));
    }
    return out;
}

}  // namespace ckg::http_server
