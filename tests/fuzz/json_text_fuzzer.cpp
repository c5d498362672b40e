// libFuzzer target: any byte string as a JSON body a peer sends (an upstream
// reply read by core/top_level_scalars) and as a string the gateway writes
// into JSON (core/json_text: log lines, the mint reply, a handle). Invariants:
// the SAX reader accepts exactly what Boost.JSON's parser accepts as an
// object and reads the same top-level strings and integers; written text is
// always valid JSON and UTF-8, and gives the bytes back when they were UTF-8.
// Upstream error text for the log (observability/redaction: the user id
// replaced, keys redacted, cut): bounded, UTF-8 when it was, and free of the
// user id wherever that id cannot be spelled by the replacement's own
// characters.
#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/core/top_level_scalars.hpp"
#include "chatkit_gateway/core/utf8.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

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

// The first byte gives the user id's length (0-15), the bytes after it the
// id, the rest the upstream's text.
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
    // "[user <16 hex digits>]": an id that begins and ends outside these
    // characters cannot be made of a replacement and the text around it.
    constexpr std::string_view spelled = "[user ]0123456789abcdef";
    if (!user.empty() && spelled.find(user.front()) == std::string_view::npos &&
        spelled.find(user.back()) == std::string_view::npos)
        check(replaced.find(user) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_reader(text);
    check_writer(text);
    check_log_text(text);
    return 0;
}
