#include "chatkit_gateway/auth/user_id.hpp"

#include "chatkit_gateway/core/hex.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ckg::auth {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string upstream_user_id(const config::users_config& users, std::string_view issuer,
                             std::string_view user) {
    if (users.id_mode == config::user_id_mode::plain) return users.prefix + std::string(user);
    std::string message;
    message.reserve(issuer.size() + 1 + user.size());
    message.append(issuer).append("\n").append(user);
    return users.prefix + hmac_sha256_hex(users.hmac_key.reveal(), message);
}

}  // namespace ckg::auth
