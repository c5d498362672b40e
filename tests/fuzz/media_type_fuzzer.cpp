// libFuzzer target: any byte string as a mint's Content-Type value
// (api/media_type). The check is compared with a strict reading of RFC 9110's
// grammar written here apart from it:
// - a value that is one well-formed media type is JSON exactly when its
//   type/subtype is application/json, whatever its parameters;
// - a value that is a list of two or more well-formed media types (what a
//   proxy makes of two Content-Type fields) is never JSON;
// - and whatever the check takes begins with application/json.
#include "chatkit_gateway/api/media_type.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A strict reader of one media type (RFC 9110 8.3.1 and 5.6): its
// type/subtype, lowercased, or nothing when malformed.
class strict_reader {
public:
    explicit strict_reader(std::string_view s) : s_(s) {}

    bool media_type(std::string& type) {
        ows();
        const auto t = token();
        if (t.empty() || !take('/')) return false;
        const auto sub = token();
        if (sub.empty()) return false;
        type = t + '/' + sub;
        std::transform(type.begin(), type.end(), type.begin(), [](char c) {
            return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        });
        for (;;) {
            const auto mark = i_;
            ows();
            if (!take(';')) {
                i_ = mark;
                break;
            }
            ows();
            if (token().empty()) continue;  // RFC 9110 allows empty parameters ("a/b;")
            if (!take('=')) return false;
            if (!token_or_quoted()) return false;
        }
        ows();
        return true;
    }
    bool at_end() const { return i_ == s_.size(); }
    bool take(char c) {
        if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
        return false;
    }

private:
    void ows() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    std::string token() {
        const auto from = i_;
        while (i_ < s_.size() && tchar(s_[i_])) ++i_;
        return std::string(s_.substr(from, i_ - from));
    }
    static bool qdtext(unsigned char c) {
        return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
               (c >= 0x5D && c <= 0x7E) || c >= 0x80;
    }
    bool token_or_quoted() {
        if (!take('"')) return !token().empty();
        while (i_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') return ++i_, true;
            if (c == '\\') {
                if (i_ + 1 == s_.size()) return false;
                const auto next = static_cast<unsigned char>(s_[i_ + 1]);
                if (!(next == '\t' || (next >= 0x20 && next != 0x7F))) return false;
                i_ += 2;
            } else if (qdtext(c)) {
                ++i_;
            } else {
                return false;
            }
        }
        return false;  // unterminated
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

// The value's media types, when it is a well-formed list of them.
std::vector<std::string> strict_list(std::string_view value) {
    strict_reader r(value);
    std::vector<std::string> types;
    do {
        std::string type;
        if (!r.media_type(type)) return {};
        types.push_back(type);
    } while (r.take(','));
    if (!r.at_end()) return {};
    return types;
}

bool starts_with_json(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    constexpr std::string_view json = "application/json";
    if (value.size() < json.size()) return false;
    for (std::size_t i = 0; i < json.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(value[i])) != json[i]) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    const bool taken = ckg::api::is_json_media_type(value);
    if (taken && !starts_with_json(value)) std::abort();
    const auto types = strict_list(value);
    if (types.size() == 1 && taken != (types.front() == "application/json")) std::abort();
    if (types.size() > 1 && taken) std::abort();
    return 0;
}
