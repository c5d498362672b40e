#include "chatkit_gateway/core/top_level_scalars.hpp"

#include "chatkit_gateway/core/json_sax_base.hpp"

#include <boost/json/basic_parser_impl.hpp>

namespace ckg {
namespace {

using member = top_level_scalars::member;

// The SAX handler: tracks nesting depth and the current top-level key;
// values below the top level, and unwanted keys, are skipped as they stream by.
class scalar_handler : public json_sax_base {
public:
    explicit scalar_handler(std::vector<member>& members) : members_(members) {}

    bool on_object_begin(error_code&) { return enter(true); }
    bool on_object_end(std::size_t, error_code&) { return leave(); }
    bool on_array_begin(error_code&) { return enter(false); }
    bool on_array_end(std::size_t, error_code&) { return leave(); }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        if (depth_ == 1) key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        if (depth_ != 1) return true;
        // A key that came in one piece (the usual case) is compared where it lies.
        std::string_view name(s.data(), s.size());
        if (!key_.empty()) name = key_.append(s.data(), s.size());
        current_ = nullptr;
        for (auto& m : members_)
            if (m.name == name) current_ = &m;
        if (current_ != nullptr) ++current_->occurrences;
        key_.clear();
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (wanted()) string_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        if (!wanted()) return true;
        string_.append(s.data(), s.size());
        current_->type = member::kind::string;
        current_->text = std::move(string_);
        string_.clear();
        return true;
    }
    bool on_int64(std::int64_t i, string_view, error_code&) {
        if (wanted()) {
            current_->type = member::kind::int64;
            current_->number = i;
        }
        return true;
    }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return other(); }
    bool on_double(double, string_view, error_code&) { return other(); }
    bool on_bool(bool, error_code&) { return other(); }
    bool on_null(error_code&) { return other(); }

    bool top_is_object() const { return top_is_object_; }

private:
    // A value directly under the top-level object, for a wanted name.
    bool wanted() const { return depth_ == 1 && current_ != nullptr; }
    bool other() {
        if (wanted()) current_->type = member::kind::other;
        return true;
    }
    bool enter(bool object) {
        if (depth_ == 0) top_is_object_ = object;
        other();  // an object or array member is neither a string nor a number
        ++depth_;
        return true;
    }
    bool leave() {
        --depth_;
        return true;
    }

    std::vector<member>& members_;
    member* current_ = nullptr;
    std::size_t depth_ = 0;
    bool top_is_object_ = false;
    std::string key_, string_;
};

}  // namespace

top_level_scalars::top_level_scalars(std::initializer_list<std::string_view> names) {
    members_.reserve(names.size());
    for (auto n : names) members_.push_back(member{n, member::kind::absent, {}, 0});
}

bool top_level_scalars::parse(std::string_view text) {
    for (auto& m : members_) m = member{m.name, member::kind::absent, {}, 0};
    boost::json::basic_parser<scalar_handler> parser(boost::json::parse_options{}, members_);
    boost::system::error_code ec;
    const auto used = parser.write_some(false, text.data(), text.size(), ec);
    if (ec || used != text.size() || !parser.done() || !parser.handler().top_is_object()) {
        for (auto& m : members_) m = member{m.name, member::kind::absent, {}, 0};
        return false;
    }
    return true;
}

const top_level_scalars::member* top_level_scalars::find(std::string_view name) const {
    for (const auto& m : members_)
        if (m.name == name) return &m;
    return nullptr;
}

const std::string* top_level_scalars::string_member(std::string_view name) const {
    const auto* m = find(name);
    return m && m->type == member::kind::string ? &m->text : nullptr;
}

std::optional<std::string_view> top_level_scalars::repeated() const {
    for (const auto& m : members_)
        if (m.occurrences > 1) return m.name;
    return std::nullopt;
}

std::optional<std::int64_t> top_level_scalars::int64_member(std::string_view name) const {
    const auto* m = find(name);
    if (m && m->type == member::kind::int64) return m->number;
    return std::nullopt;
}

}  // namespace ckg
