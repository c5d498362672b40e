#include "chatkit_gateway/observability/redaction.hpp"

#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/core/hex.hpp"
#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/core/utf8.hpp"

#include <openssl/sha.h>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ckg::observability {

std::string user_hash(std::string_view upstream_user_id) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(upstream_user_id.data()), upstream_user_id.size(),
           digest);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

namespace {

bool token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The value of the `digits` hex digits at `at`, or -1.
int hex_at(std::string_view t, std::size_t at, std::size_t digits) noexcept {
    int v = 0;
    for (std::size_t k = 0; k < digits; ++k) {
        const int h = at + k < t.size() ? hex_value(t[at + k]) : -1;
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

// The byte at `i` of peer text as the peer's own escaping meant it: JSON's
// \uXXXX (ASCII), \/ \" \\, and %XX undone; `len` gets the bytes it takes.
char unescaped_at(std::string_view t, std::size_t i, std::size_t& len) noexcept {
    const char c = t[i];
    const char next = i + 1 < t.size() ? t[i + 1] : '\0';
    len = 1;
    if (c == '\\' && next == 'u' && hex_at(t, i + 2, 4) >= 0 && hex_at(t, i + 2, 4) < 0x80) {
        len = 6;
        return static_cast<char>(hex_at(t, i + 2, 4));
    }
    if (c == '\\' && (next == '/' || next == '"' || next == '\\')) {
        len = 2;
        return next;
    }
    if (c == '%' && hex_at(t, i + 1, 2) >= 0) {
        len = 3;
        return static_cast<char>(hex_at(t, i + 1, 2));
    }
    return c;
}

// Whether an escape (%XX, \uXXXX, \/) ends right before `i`: what it stands
// for (a space, a colon) may end a word.
bool after_escape(std::string_view t, std::size_t i) {
    if (i >= 3 && t[i - 3] == '%' && hex_at(t, i - 2, 2) >= 0) return true;
    if (i >= 2 && t[i - 2] == '\\' && t[i - 1] == '/') return true;
    return i >= 6 && t[i - 6] == '\\' && t[i - 5] == 'u' && hex_at(t, i - 4, 4) >= 0;
}

// Bytes of `t` from `i` spelling `word`, each as written or escaped
// (unescaped_at); 0 if they do not.
std::size_t spelled_at(std::string_view t, std::size_t i, std::string_view word) {
    std::size_t k = i;
    for (char want : word) {
        std::size_t len = 0;
        if (k >= t.size() || unescaped_at(t, k, len) != want) return 0;
        k += len;
    }
    return k - i;
}

// Bytes of `t` from `j` holding key characters (token_char), as written
// or escaped, and how many characters they are.
std::pair<std::size_t, std::size_t> key_run(std::string_view t, std::size_t j) {
    std::size_t k = j, chars = 0;
    for (std::size_t len = 0; k < t.size() && token_char(unescaped_at(t, k, len)); k += len)
        ++chars;
    return {k - j, chars};
}

// Length of the secret starting at `i` ("sk-...", "ek_...", "Bearer ..."), or 0.
// A key or client secret may be written with any of its bytes escaped.
std::size_t secret_at(std::string_view t, std::size_t i) {
    for (std::string_view prefix : {"sk-", "ek_"}) {
        const auto p = spelled_at(t, i, prefix);
        if (p == 0) continue;
        const auto [bytes, chars] = key_run(t, i + p);
        if (chars >= 4) return p + bytes;
    }
    for (std::string_view prefix : {"Bearer ", "bearer "}) {
        if (t.substr(i, prefix.size()) == prefix) {
            const auto n = key_run(t, i + prefix.size()).first;
            if (n > 0) return prefix.size() + n;
        }
    }
    return 0;
}

bool base64url_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// Length of the dot at `k` as a peer may have written it ('.', "%2E",
// "\u002e"), or 0.
std::size_t dot_at(std::string_view t, std::size_t k) {
    if (k < t.size() && t[k] == '.') return 1;
    for (std::string_view dot : {"%2E", "%2e", "\\u002e", "\\u002E"})
        if (t.substr(k, dot.size()) == dot) return dot.size();
    return 0;
}

// Whether base64url `part` begins a JSON object's text: '{', blanks, '"'
// (or only blanks as far as its first 9 bytes go).
bool opens_json_object(std::string_view part) {
    auto n = std::min<std::size_t>(part.size(), 12);
    n -= n % 4;
    const auto head = base64url_decode(part.substr(0, n));
    if (!head || head->empty() || (*head)[0] != '{') return false;
    for (std::size_t j = 1; j < head->size(); ++j) {
        const char c = (*head)[j];
        if (c == '"') return true;
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    }
    return true;
}

// Length of the compact JWT (JWS or JWE) starting at `i`, or 0: a part
// that decodes to the start of a JSON object (the header: "eyJ" for `{"`,
// "ewo" for `{` and a line break), then dot-joined parts, a dot also when
// written %2E or \u002e, at least one of them not empty. An end user's
// token a peer echoed (an upstream quoting a field of the request, say) is
// known to no list of secrets, so it is found by shape, also right after
// '=' or ':' ("token=eyJ...").
std::size_t jwt_at(std::string_view t, std::size_t i) {
    if (t[i] != 'e' || (i > 0 && std::isalnum(static_cast<unsigned char>(t[i - 1])))) return 0;
    std::size_t k = i;
    while (k < t.size() && base64url_char(t[k])) ++k;
    if (k - i < 4 || !opens_json_object(t.substr(i, k - i))) return 0;
    bool more = false;  // a part after the header that is not empty
    for (auto dot = dot_at(t, k); dot > 0; dot = dot_at(t, k)) {
        k += dot;
        const auto part = k;
        while (k < t.size() && base64url_char(t[k])) ++k;
        more = more || k > part;
    }
    return more ? k - i : 0;
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

// Length of the copy of a needle at the start of `rest`, or 0. With
// `cut_from` > 0, the first cut_from or more bytes of one count as such a
// copy where they end `rest` (a string cut by a length limit) or come right
// before an escaped quote (a name cut to 64 bytes and quoted in a message,
// core/request_name).
std::size_t copy_at(std::string_view rest, const std::vector<std::string>& needles,
                    std::size_t cut_from) noexcept {
    for (const auto& needle : needles) {
        if (lower(rest[0]) != needle[0]) continue;
        if (starts_with_folded(rest, needle)) return needle.size();
        if (cut_from == 0) continue;
        std::size_t same = 1;  // the first bytes of `rest` that begin the needle
        while (same < rest.size() && same < needle.size() && lower(rest[same]) == needle[same])
            ++same;
        if (same >= cut_from && (same == rest.size() || rest.substr(same).starts_with("\\\"")))
            return same;
    }
    return 0;
}

// The registered secrets: lowercase and JSON-escaped, as a log line holds
// them (`needles`), the bytes they start with (`starts`: a log line's other
// bytes are passed over at once, as copy_at() would find nothing there),
// and every run of 8 of their bytes, lowercase (`grams`, for peer text).
// Replaced whole on each registration (numbered by `generation`); each
// thread keeps the set it last took and takes it again only after a
// registration, so a log line's strings (the access log's, on the io
// threads) touch no shared reference count and no lock.
struct secret_set {
    std::vector<std::string> needles;
    std::array<bool, 256> starts{};
    std::unordered_set<std::uint64_t> grams;
};

// What the bytes scrubbed are: plain text, the inside of a JSON string
// (a copy starts only where a character or an escape does, so that no
// escape is cut in two), or JSON text (only inside its strings: a secret of
// digits must not take a number out).
enum class text_kind { plain, json_string_inside, json_text };

// text[from, to) with the copies of the secrets' needles replaced; `to` moves.
void replace_copies(std::string& text, std::size_t from, std::size_t& to, const secret_set& secrets,
                    std::size_t cut_from, text_kind kind) {
    const auto& needles = secrets.needles;
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
        const auto n = secrets.starts[static_cast<unsigned char>(lower(c))]
                           ? copy_at(std::string_view(text).substr(i, to - i), needles, cut_from)
                           : 0;
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

std::atomic<std::shared_ptr<const secret_set>> registered{std::make_shared<const secret_set>()};
std::atomic<std::uint64_t> generation{0};
std::mutex registering;

const secret_set& current_secrets() {
    thread_local std::shared_ptr<const secret_set> taken;
    thread_local std::uint64_t taken_generation = 0;
    const auto now = generation.load(std::memory_order_acquire);
    if (!taken || now != taken_generation) {
        taken = registered.load();
        taken_generation = now;
    }
    return *taken;
}

std::uint64_t gram_of(std::string_view eight) noexcept {
    std::uint64_t g = 0;
    for (const char c : eight) g = (g << 8) | static_cast<unsigned char>(c);
    return g;
}

// Peer text with the encodings a peer's own escaping may put on a secret
// undone (JSON's \uXXXX for ASCII, \/ \" \\, and %XX), lowercase;
// starts[k] is where the k-th byte came from in the text (one more entry:
// its end).
struct decoded_text {
    std::string bytes;
    std::vector<std::size_t> starts;
};

decoded_text decoded(std::string_view raw) {
    decoded_text d;
    for (std::size_t i = 0; i < raw.size();) {
        std::size_t len = 1;
        const char c = unescaped_at(raw, i, len);
        d.bytes.push_back(lower(c));
        d.starts.push_back(i);
        i += len;
    }
    d.starts.push_back(raw.size());
    return d;
}

// `raw` with every piece of 8 or more bytes of a registered secret, however
// the peer encoded it (decoded()), replaced by "[redacted]".
std::string without_secret_pieces(std::string_view raw, const secret_set& secrets) {
    if (secrets.grams.empty() || raw.size() < min_secret) return std::string(raw);
    const auto d = decoded(raw);
    std::vector<std::pair<std::size_t, std::size_t>> cover;  // raw ranges, in order
    for (std::size_t k = 0; k + min_secret <= d.bytes.size(); ++k) {
        if (!secrets.grams.contains(gram_of(std::string_view(d.bytes).substr(k, min_secret))))
            continue;
        auto from = d.starts[k], to = d.starts[k + min_secret];
        // Whole UTF-8 characters only (a secret may hold some).
        const auto continuation = [&](std::size_t at) {
            return at < raw.size() && (static_cast<unsigned char>(raw[at]) & 0xC0) == 0x80;
        };
        while (from > 0 && continuation(from)) --from;
        while (continuation(to)) ++to;
        if (!cover.empty() && from <= cover.back().second)
            cover.back().second = std::max(cover.back().second, to);
        else
            cover.emplace_back(from, to);
    }
    std::string out;
    std::size_t copied = 0;
    for (const auto& [from, to] : cover) {
        out.append(raw.substr(copied, from - copied)).append(redacted);
        copied = to;
    }
    out.append(raw.substr(copied));
    return out;
}

// The forms of a secret whose pieces peer text loses, lowercase (as the
// text is compared): as it is, reversed, in hex, and in base64 and
// base64url at each of the three places it can start in a longer encoded
// text (a Basic credential "user:secret", say), without the characters at
// either end that it shares with its neighbours. Forms a hostile peer that
// holds the secret (an upstream echoing the Authorization line) may quote
// it in; no list holds them all (docs/operations.md).
std::vector<std::string> scrubbed_forms(std::string_view secret) {
    auto plain = lowered(secret);
    std::string reversed(plain.rbegin(), plain.rend());
    std::vector<std::string> forms{std::move(plain), std::move(reversed), hex_encode(secret)};
    for (std::size_t shift = 0; shift < 3; ++shift) {
        std::string shifted(shift, '\0');
        shifted.append(secret);
        const auto url = base64url_encode(shifted);
        if (url.size() <= 8) continue;
        auto middle = lowered(std::string_view(url).substr(4, url.size() - 8));
        forms.push_back(middle);
        std::replace(middle.begin(), middle.end(), '-', '+');
        std::replace(middle.begin(), middle.end(), '_', '/');
        forms.push_back(std::move(middle));
    }
    return forms;
}

// Adds `secret` to `set`: its needle (JSON-escaped: ill-formed bytes as
// U+FFFD), first byte and grams.
void add_secret(secret_set& set, std::string_view secret) {
    std::string escaped;
    append_json_string(escaped, secret);
    auto needle = lowered(std::string_view(escaped).substr(1, escaped.size() - 2));
    if (std::find(set.needles.begin(), set.needles.end(), needle) != set.needles.end()) return;
    set.starts[static_cast<unsigned char>(needle.front())] = true;
    set.needles.push_back(std::move(needle));
    for (const auto& form : scrubbed_forms(secret))
        for (std::size_t k = 0; k + min_secret <= form.size(); ++k)
            set.grams.insert(gram_of(std::string_view(form).substr(k, min_secret)));
}

}  // namespace

void register_secret(std::string_view secret) {
    if (secret.size() < min_secret) return;
    std::lock_guard lock(registering);
    auto next = std::make_shared<secret_set>(*registered.load());
    add_secret(*next, secret);
    // A secret that is not UTF-8 (a raw HS256 key) reaches a line only as
    // the characters a client made of its bytes: its ill-formed bytes may
    // be completed by the client's own around them. Each run of whole
    // characters in it is a secret of its own.
    if (!is_valid_utf8(secret))
        for (const auto run : valid_utf8_runs(secret))
            if (run.size() >= min_secret) add_secret(*next, run);
    registered.store(std::move(next));
    generation.fetch_add(1, std::memory_order_release);
}

void scrub_secrets(std::string& text, std::size_t from, std::size_t& to, bool string_end) {
    const auto& secrets = current_secrets();
    if (string_end)
        replace_copies(text, from, to, secrets, min_secret, text_kind::json_string_inside);
    else
        replace_copies(text, from, to, secrets, 0, text_kind::json_text);
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

namespace {

// `text` with every key, client secret, bearer token and JWT found by its
// shape replaced by "[redacted]".
std::string without_key_shapes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        // Only at a word start, so "task-1234" is not taken for a key: after
        // a byte that is no letter or digit ("secret=ek_..."), or an escape.
        const bool word_start = i == 0 || !is_alnum(text[i - 1]) || after_escape(text, i);
        auto n = word_start ? secret_at(text, i) : 0;
        if (n == 0) n = jwt_at(text, i);
        if (n > 0) {
            out += "[redacted]";
            i += n;
        } else {
            out.push_back(text[i++]);
        }
    }
    return out;
}

}  // namespace

std::string redact_for_log(std::string_view text, std::size_t max_chars) {
    // Shapes first, in the text as the peer wrote it: a configured secret's
    // piece taken out first (the "sk-proj-" a configured key begins with)
    // would leave the rest of another key without its shape. And again
    // after: a piece taken out may leave a shape at a word's start
    // ("...[redacted]ek_..."). All look a little past the cut, so that a
    // secret the cut would split is seen whole.
    const auto shaped = without_key_shapes(text.substr(0, max_chars + 64));
    const auto scrubbed = without_key_shapes(without_secret_pieces(shaped, current_secrets()));
    return std::string(utf8_truncate(scrubbed, max_chars));  // a cut never splits a character
}

}  // namespace ckg::observability
