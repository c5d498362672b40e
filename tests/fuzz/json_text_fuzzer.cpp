// libFuzzer target: any byte string as a JSON body a peer sends (an upstream
// reply read by core/top_level_scalars) and as a string the gateway writes
// into JSON (core/json_text: log lines, the mint reply, a handle). Invariants:
// the SAX reader accepts exactly what Boost.JSON's parser accepts as an
// object and reads the same top-level strings and integers; written text is
// always valid JSON and UTF-8, and gives the bytes back when they were UTF-8.
// Upstream error text for the log (observability/redaction: the user id
// replaced, keys redacted, cut): bounded, UTF-8 when it was, and free of the
// user id wherever that id cannot be spelled by the replacement's own
// characters. A log line (observability/log_line) holding the bytes as its
// message, a value, an object's member and an array element: valid JSON,
// free of the registered secrets in any letter case, and the bytes given
// back unchanged where they hold no start of a secret (its first 8 bytes as
// the line writes them).
#include "chatkit_gateway/core/hex.hpp"
#include "chatkit_gateway/core/json_sax_base.hpp"
#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/core/repeated_names.hpp"
#include "chatkit_gateway/core/top_level_scalars.hpp"
#include "chatkit_gateway/core/utf8.hpp"
#include "chatkit_gateway/observability/log_line.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <regex>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_reader(std::string_view text) {
    ckg::top_level_scalars reader{"id", "user", "n"};
    const bool read = reader.parse(text);
    boost::system::error_code ec;
    const auto doc = json::parse(json::string_view(text.data(), text.size()), ec);
    check(read == (!ec && doc.is_object()));
    if (!read) return;
    // Where a name repeats, both keep the last value.
    for (const char* name : {"id", "user"}) {
        const auto* v = doc.get_object().if_contains(name);
        const auto* s = reader.string_member(name);
        check((v && v->is_string()) == (s != nullptr));
        if (s) check(*s == std::string_view(v->get_string()));
    }
    const auto* n = doc.get_object().if_contains("n");
    const auto i = reader.int64_member("n");
    check((n && n->is_int64()) == i.has_value());
    if (i) check(*i == n->get_int64());
}

// Counts the names the text gives, whatever they are: the oracle for
// repeated names (a DOM keeps one member per distinct name).
struct name_counter : ckg::json_sax_base {
    std::size_t names = 0;
    bool on_key(string_view, std::size_t, error_code&) {
        ++names;
        return true;
    }
};

std::size_t members_in(const json::value& v) {
    std::size_t n = 0;
    if (v.is_array())
        for (const auto& e : v.get_array()) n += members_in(e);
    if (v.is_object())
        for (const auto& m : v.get_object()) n += 1 + members_in(m.value());
    return n;
}

void check_repeated_names(std::string_view text) {
    const auto repeated = ckg::first_repeated_name(text);
    boost::system::error_code ec;
    const auto doc = json::parse(json::string_view(text.data(), text.size()), ec);
    if (ec) {
        check(!repeated);
        return;
    }
    json::basic_parser<name_counter> counter(json::parse_options{});
    counter.write_some(false, text.data(), text.size(), ec);
    check(!ec);
    check(repeated.has_value() == (counter.handler().names != members_in(doc)));
}

void check_writer(std::string_view bytes) {
    std::string out = "[";
    ckg::append_json_string(out, bytes);
    out += ']';
    check(ckg::is_valid_utf8(out));
    boost::system::error_code ec;
    const auto doc = json::parse(out, ec);
    check(!ec && doc.is_array() && doc.get_array().size() == 1 && doc.get_array()[0].is_string());
    if (ckg::is_valid_utf8(bytes))
        check(std::string_view(doc.get_array()[0].get_string()) == bytes);
}

// The configured secrets of this run. None has a prefix that is also its
// suffix, so no two copies overlap. The last is not UTF-8 (a raw HS256
// key): a line holds it only as the characters a client made of its bytes.
const std::string secrets[] = {"Fuzz-Secret-0123", "quote\"back\\slash",
                               "\xa9Raw-Key-Bytes-0123\xe2\x82"};

// What no log line may hold: each secret, and each run of 8 or more whole
// characters of one that is not UTF-8.
const std::vector<std::string>& kept_out() {
    static const auto out = [] {
        std::vector<std::string> v;
        for (const auto& s : secrets) {
            v.push_back(s);
            if (ckg::is_valid_utf8(s)) continue;
            for (const auto run : ckg::valid_utf8_runs(s))
                if (run.size() >= 8) v.emplace_back(run);
        }
        return v;
    }();
    return out;
}

void register_secrets_once() {
    static const bool registered = [] {
        for (const auto& s : secrets) ckg::observability::register_secret(s);
        return true;
    }();
    check(registered);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The text as a reader would take it back: \uXXXX (ASCII), \/ \" \\ and
// %XX undone, lowercase (unless `fold` is false).
std::string read_back(std::string_view t, bool fold = true) {
    std::string out;
    for (std::size_t i = 0; i < t.size();) {
        auto hex = [&](std::size_t at, int digits) {
            int v = 0;
            for (int k = 0; k < digits; ++k) {
                if (at + k >= t.size() || hex_digit(t[at + k]) < 0) return -1;
                v = v * 16 + hex_digit(t[at + k]);
            }
            return v;
        };
        char c = t[i];
        std::size_t len = 1;
        if (c == '\\' && i + 1 < t.size() && t[i + 1] == 'u' && hex(i + 2, 4) >= 0 &&
            hex(i + 2, 4) < 0x80) {
            c = static_cast<char>(hex(i + 2, 4));
            len = 6;
        } else if (c == '\\' && i + 1 < t.size() &&
                   (t[i + 1] == '/' || t[i + 1] == '"' || t[i + 1] == '\\')) {
            c = t[i + 1];
            len = 2;
        } else if (c == '%' && hex(i + 1, 2) >= 0) {
            c = static_cast<char>(hex(i + 1, 2));
            len = 3;
        }
        out.push_back(fold && c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
        i += len;
    }
    return out;
}

// The first byte gives the user id's length (0-15), the bytes after it the
// id, the rest the upstream's text. Read back, the logged text holds no 8
// bytes of a secret in a row.
void check_log_text(std::string_view bytes) {
    if (bytes.empty()) return;
    const auto n =
        std::min<std::size_t>(static_cast<unsigned char>(bytes[0]) % 16, bytes.size() - 1);
    const auto user = bytes.substr(1, n);
    const auto text = bytes.substr(1 + n);
    const auto replaced = ckg::observability::without_user(text, user);
    const auto line = ckg::observability::redact_for_log(replaced);
    check(line.size() <= 1024);  // 512 bytes cut, then each secret (7+ bytes) at most "[redacted]"
    if (ckg::is_valid_utf8(text) && ckg::is_valid_utf8(user)) check(ckg::is_valid_utf8(line));
    // No compact JWT (an end user's token, in no list of secrets) is left.
    static const std::regex jwt(
        "(^|[^A-Za-z0-9])eyJ[A-Za-z0-9_-]+(\\.|%2[Ee]|\\\\u002[Ee])[A-Za-z0-9_-]");
    check(!std::regex_search(line, jwt));
    // Nor a key or client secret by its first bytes, however escaped, after
    // anything but a letter or digit (read back without folding case).
    static const std::regex key("(^|[^A-Za-z0-9])(sk-|ek_)[A-Za-z0-9._~+/=-]{4}");
    check(!std::regex_search(read_back(line, false), key));
    const auto back = read_back(line);
    // Nor of one reversed or in hex (forms an upstream that holds the key
    // may quote it in).
    for (const auto& s : secrets) {
        std::string lower_secret(s);
        std::transform(lower_secret.begin(), lower_secret.end(), lower_secret.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
        const std::string reversed(lower_secret.rbegin(), lower_secret.rend());
        for (const auto& form : {lower_secret, reversed, ckg::hex_encode(s)})
            for (std::size_t k = 0; k + 8 <= form.size(); ++k)
                check(back.find(form.substr(k, 8)) == std::string::npos);
    }
    // "[user <16 hex digits>]": an id that begins and ends outside these
    // characters cannot be made of a replacement and the text around it.
    constexpr std::string_view spelled = "[user ]0123456789abcdef";
    if (!user.empty() && spelled.find(user.front()) == std::string_view::npos &&
        spelled.find(user.back()) == std::string_view::npos)
        check(replaced.find(user) == std::string::npos);
}

std::string folded(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    return out;
}

void check_log_line(std::string_view bytes) {
    // Neither has a prefix that is also its suffix, so no two copies overlap.
    using namespace ckg::observability;
    const std::string text(bytes);
    json::object members{{"member", text}, {"list", json::array{text, 1}}};
    log_line line(log_level::warn, text);
    line.add("value", text).add_all(members);
    const auto out = line.finish();
    check(ckg::is_valid_utf8(out));
    boost::system::error_code ec;
    const auto doc = json::parse(out, ec);
    check(!ec && doc.is_object());
    const auto& o = doc.get_object();
    const std::string_view values[] = {o.at("msg").as_string(), o.at("value").as_string(),
                                       o.at("member").as_string(),
                                       o.at("list").as_array().at(0).as_string()};
    // A line holds its strings JSON-escaped: the first 8 bytes of a secret
    // as written there start a copy (or a cut one) that is taken out.
    const auto escaped = [](std::string_view t) {
        std::string out;
        ckg::append_json_string(out, t);
        return folded(std::string_view(out).substr(1, out.size() - 2));
    };
    bool holds_a_start = false;
    for (const auto& s : kept_out())
        holds_a_start |= escaped(text).find(escaped(s).substr(0, 8)) != std::string::npos;
    for (const auto v : values) {
        for (const auto& s : kept_out()) check(folded(v).find(folded(s)) == std::string::npos);
        if (!holds_a_start && ckg::is_valid_utf8(text)) check(v == text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    register_secrets_once();
    check_reader(text);
    check_repeated_names(text);
    check_writer(text);
    check_log_text(text);
    check_log_line(text);
    return 0;
}
