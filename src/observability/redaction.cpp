#include "chatkit_gateway/observability/redaction.hpp"

#include "chatkit_gateway/core/utf8.hpp"

#include <openssl/sha.h>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace ckg::observability {

std::string user_hash(std::string_view upstream_user_id) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(upstream_user_id.data()), upstream_user_id.size(),
           digest);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 8; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

namespace {

bool token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Length of the secret starting at `i` ("sk-...", "ek_...", "Bearer ..."), or 0.
std::size_t secret_at(std::string_view t, std::size_t i) {
    auto run_from = [&](std::size_t j) {
        std::size_t k = j;
        while (k < t.size() && token_char(t[k])) ++k;
        return k - j;
    };
    for (std::string_view prefix : {"sk-", "ek_"}) {
        if (t.substr(i, prefix.size()) == prefix) {
            const auto n = run_from(i + prefix.size());
            if (n >= 4) return prefix.size() + n;
        }
    }
    for (std::string_view prefix : {"Bearer ", "bearer "}) {
        if (t.substr(i, prefix.size()) == prefix) {
            const auto n = run_from(i + prefix.size());
            if (n > 0) return prefix.size() + n;
        }
    }
    return 0;
}

// Every occurrence of `needle` in `text` replaced by `with`.
void replace_all(std::string& text, std::string_view needle, std::string_view with) {
    if (needle.empty()) return;
    for (auto at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + with.size()))
        text.replace(at, needle.size(), with);
}

}  // namespace

std::string without_user(std::string_view text, std::string_view upstream_user_id) {
    std::string out(text);
    if (upstream_user_id.empty()) return out;
    std::string with = "[user ";
    with += user_hash(upstream_user_id);
    with += ']';
    // The JSON-escaped form first: it differs only when the id holds
    // characters JSON escapes, and then contains the raw id's pieces.
    const auto quoted = boost::json::serialize(boost::json::string(upstream_user_id));
    replace_all(out, std::string_view(quoted).substr(1, quoted.size() - 2), with);
    replace_all(out, upstream_user_id, with);
    return out;
}

std::string redact_for_log(std::string_view text, std::size_t max_chars) {
    text = utf8_truncate(text, max_chars);  // a cut never splits a character
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        // Only at a word start, so "task-1234" is not taken for a key.
        const bool word_start = i == 0 || !token_char(text[i - 1]);
        const auto n = word_start ? secret_at(text, i) : 0;
        if (n > 0) {
            out += "[redacted]";
            i += n;
        } else {
            out.push_back(text[i++]);
        }
    }
    return out;
}

}  // namespace ckg::observability
