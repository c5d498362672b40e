#include "chatkit_gateway/sessions/handle_sealer.hpp"

#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/core/random.hpp"
#include "chatkit_gateway/core/top_level_scalars.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>

namespace ckg::sessions {
namespace {

constexpr std::size_t id_size = 4, nonce_size = 12, tag_size = 16;
constexpr std::string_view aad = "chatkit-gateway session handle v1";

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string key_id(std::string_view key) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    return std::string(reinterpret_cast<char*>(digest), id_size);
}

const unsigned char* u8(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// Each sealer gets a number never reused in this process, so a context
// cached for one can never be taken for another's (an address could be).
std::atomic<std::uint64_t> next_serial{1};

// AES-256-GCM contexts with the key schedule already done, per thread (an
// EVP context is not shareable), per sealer, key and direction: a seal or an
// open then costs setting the nonce, not a fetch and a key expansion. The
// cache is tiny; the least recently added context is freed (and wiped by
// OpenSSL) when a fifth is needed.
EVP_CIPHER_CTX* keyed_context(std::uint64_t serial, std::size_t key_index, bool encrypt,
                              std::string_view key) {
    struct entry {
        std::uint64_t serial;
        std::size_t key_index;
        bool encrypt;
        cipher_ctx ctx;
    };
    thread_local std::vector<entry> cache;
    for (auto& e : cache)
        if (e.serial == serial && e.key_index == key_index && e.encrypt == encrypt)
            return e.ctx.get();
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key), nullptr,
                                  encrypt ? 1 : 0) != 1)
        return nullptr;
    if (cache.size() >= 4) cache.erase(cache.begin());
    cache.push_back({serial, key_index, encrypt, std::move(ctx)});
    return cache.back().ctx.get();
}

// Encrypts or decrypts `in` into `out` (same size) under a keyed context;
// `tag` is written when encrypting and checked when decrypting.
bool aes_gcm(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view nonce, std::string_view in,
             unsigned char* out, unsigned char* tag) {
    int len = 0, final_len = 0;
    if (ctx == nullptr ||
        EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, u8(nonce), encrypt ? 1 : 0) != 1 ||
        EVP_CipherUpdate(ctx, nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_CipherUpdate(ctx, out, &len, u8(in), static_cast<int>(in.size())) != 1)
        return false;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag_size, tag) != 1)
        return false;
    if (EVP_CipherFinal_ex(ctx, out + len, &final_len) != 1) return false;  // a bad tag fails here
    return !encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag_size, tag) == 1;
}

std::optional<handle_contents> decode_contents(std::string_view plain) {
    top_level_scalars fields{"s", "u", "e"};
    if (!fields.parse(plain)) return std::nullopt;
    const auto* s = fields.string_member("s");
    const auto* u = fields.string_member("u");
    const auto e = fields.int64_member("e");
    if (!s || !u || !e) return std::nullopt;
    return handle_contents{*s, *u, *e};
}

// {"s":"<session id>","u":"<user id>","e":<expiry>}, strings JSON-escaped.
std::string encode_contents(const handle_contents& c) {
    std::string plain;
    plain.reserve(c.session_id.size() + c.user_id.size() + 40);
    plain += "{\"s\":";
    append_json_string(plain, c.session_id);
    plain += ",\"u\":";
    append_json_string(plain, c.user_id);
    plain += ",\"e\":";
    plain += std::to_string(c.expires_at);
    plain += '}';
    return plain;
}

}  // namespace

std::string_view open_error_name(open_error e) noexcept {
    switch (e) {
        case open_error::malformed:
            return "malformed";
        case open_error::unknown_key:
            return "unknown_key";
        case open_error::tampered:
            return "tampered";
        case open_error::other_user:
            return "other_user";
        case open_error::expired:
            return "expired";
    }
    return "malformed";
}

handle_sealer::handle_sealer(secret current, std::optional<secret> previous)
    : serial_(next_serial++) {
    keys_.push_back({current, key_id(current.reveal())});
    if (previous) keys_.push_back({*previous, key_id(previous->reveal())});
}

std::string handle_sealer::seal(const handle_contents& c) const {
    const auto& k = keys_.front();
    const std::string plain = encode_contents(c);
    // key id | nonce | ciphertext | tag, assembled in place
    std::string raw(id_size + nonce_size + plain.size() + tag_size, '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
    std::copy(k.id.begin(), k.id.end(), raw.begin());
    random_fill(bytes + id_size, nonce_size);
    const std::string_view nonce(raw.data() + id_size, nonce_size);
    auto* ctx = keyed_context(serial_, 0, true, k.key.reveal());
    if (!aes_gcm(ctx, true, nonce, plain, bytes + id_size + nonce_size,
                 bytes + raw.size() - tag_size))
        throw std::runtime_error("AES-256-GCM sealing failed");
    return base64url_encode(raw);
}

handle_sealer::opened handle_sealer::open(std::string_view handle, std::string_view user_id,
                                          std::int64_t now) const {
    if (handle.size() > max_handle_chars) return {std::nullopt, open_error::malformed};
    auto raw = base64url_decode(handle);
    if (!raw || raw->size() < id_size + nonce_size + tag_size + 2)
        return {std::nullopt, open_error::malformed};
    const std::string_view bytes(*raw);
    const auto id = bytes.substr(0, id_size);
    std::size_t key_index = keys_.size();
    for (std::size_t i = 0; i < keys_.size(); ++i)
        if (keys_[i].id == id) key_index = i;
    if (key_index == keys_.size()) return {std::nullopt, open_error::unknown_key};
    const auto nonce = bytes.substr(id_size, nonce_size);
    const auto sealed =
        bytes.substr(id_size + nonce_size, bytes.size() - id_size - nonce_size - tag_size);
    unsigned char tag[tag_size];
    std::copy_n(bytes.end() - tag_size, tag_size, tag);
    std::string plain(sealed.size(), '\0');
    auto* ctx = keyed_context(serial_, key_index, false, keys_[key_index].key.reveal());
    if (!aes_gcm(ctx, false, nonce, sealed, reinterpret_cast<unsigned char*>(plain.data()), tag))
        return {std::nullopt, open_error::tampered};
    auto contents = decode_contents(plain);
    if (!contents) return {std::nullopt, open_error::malformed};
    if (contents->user_id != user_id) return {std::nullopt, open_error::other_user};
    if (now >= contents->expires_at) return {std::nullopt, open_error::expired};
    return {std::move(contents), open_error::malformed};
}

}  // namespace ckg::sessions
