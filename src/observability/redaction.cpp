#include "chatkit_gateway/observability/redaction.hpp"

#include <openssl/sha.h>

#include <regex>

namespace ckg::observability {

std::string user_hash(std::string_view upstream_user_id) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(upstream_user_id.data()), upstream_user_id.size(), digest);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 8; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

std::string redact_for_log(std::string_view text, std::size_t max_chars) {
    static const std::regex secrets(R"((sk-[A-Za-z0-9_\-]{4,}|ek_[A-Za-z0-9_\-]{4,}|[Bb]earer\s+[A-Za-z0-9._~+/=\-]+))");
    const std::string clipped(text.substr(0, max_chars));
    return std::regex_replace(clipped, secrets, "[redacted]");
}

}  // namespace ckg::observability
