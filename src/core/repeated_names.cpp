#include "chatkit_gateway/core/repeated_names.hpp"

#include "chatkit_gateway/core/json_sax_base.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <unordered_set>
#include <vector>

namespace ckg {
namespace {

// The SAX handler: one frame per open object or array, holding the names
// seen so far in an object (a hash set: a hostile body of many names costs
// linear time) and the current name or element index, for the path.
class repeat_finder : public json_sax_base {
public:
    bool on_object_begin(error_code&) { return open(true); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_array_begin(error_code&) { return open(false); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        key_.append(s.data(), s.size());
        auto& top = frames_.back();
        top.name = std::move(key_);
        key_.clear();
        if (!top.names.insert(top.name).second && !found_) found_ = path();
        return true;
    }
    bool on_string(string_view, std::size_t, error_code&) { return value(); }
    bool on_int64(std::int64_t, string_view, error_code&) { return value(); }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return value(); }
    bool on_double(double, string_view, error_code&) { return value(); }
    bool on_bool(bool, error_code&) { return value(); }
    bool on_null(error_code&) { return value(); }

    std::optional<std::string> found() const { return found_; }

private:
    struct frame {
        bool object = false;
        std::unordered_set<std::string> names;
        std::string name;       // in an object: the current member's
        std::size_t index = 0;  // in an array: the current element's
    };

    bool open(bool object) {
        frames_.push_back(frame{object, {}, {}, 0});
        return true;
    }
    bool close() {
        frames_.pop_back();
        return value();
    }
    // A value ended: in an array, the next one is the next element.
    bool value() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        return true;
    }
    std::string path() const {
        std::string out;
        for (const auto& f : frames_) {
            if (!f.object) {
                // Appended: `"[" + std::to_string(i)` draws a false
                // -Wstringop-overflow from g++ 12 at -O2.
                out.append("[").append(std::to_string(f.index)).append("]");
                continue;
            }
            if (!out.empty()) out += '.';
            out += f.name;
        }
        return out;
    }

    std::vector<frame> frames_;
    std::string key_;
    std::optional<std::string> found_;
};

}  // namespace

std::optional<std::string> first_repeated_name(std::string_view json_text) {
    // Two members of one object have a comma between them: without one (a
    // mint's usual "{}") there is nothing to look for.
    if (json_text.find(',') == std::string_view::npos) return std::nullopt;
    boost::json::basic_parser<repeat_finder> parser(boost::json::parse_options{});
    boost::system::error_code ec;
    const auto used = parser.write_some(false, json_text.data(), json_text.size(), ec);
    if (ec || used != json_text.size() || !parser.done()) return std::nullopt;
    return parser.handler().found();
}

}  // namespace ckg
