#include "chatkit_gateway/observability/redaction.hpp"

#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/core/utf8.hpp"

#include <openssl/sha.h>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

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

constexpr std::string_view redacted = "[redacted]";
constexpr std::size_t min_secret = 8;  // also the shortest cut copy that counts

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

// Whether `text` starts with `needle` (lowercase), in any ASCII letter case.
bool starts_with_folded(std::string_view text, std::string_view needle) noexcept {
    if (text.size() < needle.size()) return false;
    for (std::size_t i = 0; i < needle.size(); ++i)
        if (lower(text[i]) != needle[i]) return false;
    return true;
}

// Length of the copy of a needle at the start of `rest`, or 0; with
// `cut_from` > 0, `rest` ending in the first cut_from or more bytes of one
// counts as such a copy.
std::size_t copy_at(std::string_view rest, const std::vector<std::string>& needles,
                    std::size_t cut_from) noexcept {
    for (const auto& needle : needles) {
        if (lower(rest[0]) != needle[0]) continue;
        if (starts_with_folded(rest, needle)) return needle.size();
        if (cut_from > 0 && rest.size() >= cut_from && rest.size() < needle.size() &&
            starts_with_folded(needle, lowered(rest)))
            return rest.size();
    }
    return 0;
}

// What the bytes scrubbed are: plain text, the inside of a JSON string
// (a copy starts only where a character or an escape does, so that no
// escape is cut in two), or JSON text (only inside its strings: a secret of
// digits must not take a number out).
enum class text_kind { plain, json_string_inside, json_text };

// text[from, to) with the copies of `needles` (lowercase) replaced; `to` moves.
void replace_copies(std::string& text, std::size_t from, std::size_t& to,
                    const std::vector<std::string>& needles, std::size_t cut_from, text_kind kind) {
    if (needles.empty()) return;
    std::string out;
    std::size_t copied = from;  // text before this is in `out` (once anything was found)
    bool found = false;
    bool in_string = kind != text_kind::json_text;
    for (std::size_t i = from; i < to;) {
        const char c = text[i];
        if (kind == text_kind::json_text && (c == '"' || !in_string)) {
            in_string = in_string != (c == '"');
            ++i;
            continue;
        }
        const auto n = copy_at(std::string_view(text).substr(i, to - i), needles, cut_from);
        if (n == 0) {
            i += kind == text_kind::plain || c != '\\' ? 1
                                                       : (i + 1 < to && text[i + 1] == 'u' ? 6 : 2);
            continue;
        }
        if (!found) out.assign(text, 0, from);
        found = true;
        out.append(text, copied, i - copied).append(redacted);
        i += n;
        copied = i;
    }
    if (!found) return;
    out.append(text, copied, std::string::npos);
    to = to + out.size() - text.size();
    text = std::move(out);
}

// The registered secrets, lowercase and JSON-escaped (as a log line holds
// them). Replaced whole on each registration, so a reader takes one
// reference and never a lock.
std::atomic<std::shared_ptr<const std::vector<std::string>>> registered{
    std::make_shared<const std::vector<std::string>>()};
std::mutex registering;

}  // namespace

void register_secret(std::string_view secret) {
    if (secret.size() < min_secret) return;
    std::string escaped;
    append_json_string(escaped, secret);
    auto needle = lowered(std::string_view(escaped).substr(1, escaped.size() - 2));
    std::lock_guard lock(registering);
    auto next = std::make_shared<std::vector<std::string>>(*registered.load());
    if (std::find(next->begin(), next->end(), needle) != next->end()) return;
    next->push_back(std::move(needle));
    registered.store(std::move(next));
}

void scrub_secrets(std::string& text, std::size_t from, std::size_t& to, bool string_end) {
    const auto needles = registered.load();
    if (string_end)
        replace_copies(text, from, to, *needles, min_secret, text_kind::json_string_inside);
    else
        replace_copies(text, from, to, *needles, 0, text_kind::json_text);
}

std::string without_secret(std::string_view text, std::string_view secret) {
    std::string out(text);
    if (secret.empty()) return out;
    std::size_t to = out.size();
    replace_copies(out, 0, to, {lowered(secret)}, 0, text_kind::plain);
    return out;
}

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
