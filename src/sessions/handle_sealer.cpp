#include "chatkit_gateway/sessions/handle_sealer.hpp"

#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/core/random.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

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

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::optional<std::string> aes_gcm(bool encrypt, std::string_view key, std::string_view nonce, std::string_view in,
                                   std::string& tag) {
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(in.size(), '\0');
    int len = 0, final_len = 0;
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key), u8(nonce), encrypt ? 1 : 0) != 1 ||
        EVP_CipherUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_CipherUpdate(ctx.get(), o, &len, u8(in), static_cast<int>(in.size())) != 1)
        return std::nullopt;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) != 1) return std::nullopt;
    if (EVP_CipherFinal_ex(ctx.get(), o + len, &final_len) != 1) return std::nullopt;  // a bad tag fails here
    if (encrypt) {
        tag.assign(tag_size, '\0');
        if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, tag.data()) != 1) return std::nullopt;
    }
    return out;
}

std::optional<handle_contents> decode_contents(std::string_view plain) {
    boost::system::error_code ec;
    auto v = boost::json::parse(plain, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    const auto* s = o.if_contains("s");
    const auto* u = o.if_contains("u");
    const auto* e = o.if_contains("e");
    if (!s || !s->is_string() || !u || !u->is_string() || !e || !e->is_int64()) return std::nullopt;
    return handle_contents{std::string(s->get_string()), std::string(u->get_string()), e->get_int64()};
}

}  // namespace

std::string_view open_error_name(open_error e) noexcept {
    switch (e) {
        case open_error::malformed: return "malformed";
        case open_error::unknown_key: return "unknown_key";
        case open_error::tampered: return "tampered";
        case open_error::other_user: return "other_user";
        case open_error::expired: return "expired";
    }
    return "malformed";
}

handle_sealer::handle_sealer(secret current, std::optional<secret> previous) {
    keys_.push_back({current, key_id(current.reveal())});
    if (previous) keys_.push_back({*previous, key_id(previous->reveal())});
}

std::string handle_sealer::seal(const handle_contents& c) const {
    const auto& k = keys_.front();
    const std::string plain = boost::json::serialize(
        boost::json::object{{"s", c.session_id}, {"u", c.user_id}, {"e", c.expires_at}});
    const std::string nonce = random_bytes(nonce_size);
    std::string tag;
    auto sealed = aes_gcm(true, k.key.reveal(), nonce, plain, tag);
    if (!sealed) throw std::runtime_error("AES-256-GCM sealing failed");
    return base64url_encode(k.id + nonce + *sealed + tag);
}

handle_sealer::opened handle_sealer::open(std::string_view handle, std::string_view user_id, std::int64_t now) const {
    if (handle.size() > 1024) return {std::nullopt, open_error::malformed};
    auto raw = base64url_decode(handle);
    if (!raw || raw->size() < id_size + nonce_size + tag_size + 2) return {std::nullopt, open_error::malformed};
    const std::string_view bytes(*raw);
    const auto id = bytes.substr(0, id_size);
    const key_entry* key = nullptr;
    for (const auto& k : keys_)
        if (k.id == id) key = &k;
    if (key == nullptr) return {std::nullopt, open_error::unknown_key};
    const auto nonce = bytes.substr(id_size, nonce_size);
    const auto sealed = bytes.substr(id_size + nonce_size, bytes.size() - id_size - nonce_size - tag_size);
    std::string tag(bytes.substr(bytes.size() - tag_size));
    auto plain = aes_gcm(false, key->key.reveal(), nonce, sealed, tag);
    if (!plain) return {std::nullopt, open_error::tampered};
    auto contents = decode_contents(*plain);
    if (!contents) return {std::nullopt, open_error::malformed};
    if (contents->user_id != user_id) return {std::nullopt, open_error::other_user};
    if (now >= contents->expires_at) return {std::nullopt, open_error::expired};
    return {std::move(contents), open_error::malformed};
}

}  // namespace ckg::sessions
