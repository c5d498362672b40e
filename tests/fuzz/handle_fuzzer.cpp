// libFuzzer target: session handles (sessions/handle_sealer, docs/api.md).
// The first byte picks what the rest is:
// - even: a handle from a caller, opened for user "u". It must never crash
//   or hang; only the one genuine handle the corpus holds may open, and then
//   to exactly what was sealed in it (a caller cannot forge or alter one).
// - odd: a session id, a user id (split at the first NUL) and an expiry
//   (the last 8 bytes), as an upstream and a token give them. Sealed, the
//   handle must open to the same three for that user before the expiry, as
//   other_user for anyone else, as expired from the expiry on, and not at
//   all once any one of its characters is changed.
#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/core/utf8.hpp"
#include "chatkit_gateway/sessions/handle_sealer.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

using namespace ckg;

namespace {

const sessions::handle_sealer& sealer() {
    static const sessions::handle_sealer s(secret(std::string(32, 'k')),
                                           secret(std::string(32, 'p')));
    return s;
}

// What the corpus's genuine handle (seed "genuine", sealed under the key
// above) holds.
constexpr std::string_view genuine_session = "cksess_fuzz";
constexpr std::string_view genuine_user = "u";
constexpr std::int64_t genuine_expiry = 4102444800;  // 2100-01-01
constexpr std::int64_t open_at = 1800000000;

void open_from_caller(std::string_view handle) {
    const auto opened = sealer().open(handle, genuine_user, open_at);
    if (!opened.contents) return;
    const auto& c = *opened.contents;
    if (c.session_id != genuine_session || c.user_id != genuine_user ||
        c.expires_at != genuine_expiry)
        std::abort();
}

void seal_and_open(std::string_view rest) {
    if (rest.size() < 8) return;
    std::int64_t expiry = 0;
    std::memcpy(&expiry, rest.data() + rest.size() - 8, 8);
    rest.remove_suffix(8);
    const auto nul = rest.find('\0');
    if (nul == std::string_view::npos) return;
    const auto session = rest.substr(0, nul), user = rest.substr(nul + 1);
    // Both come from JSON (the upstream's reply, the token's claims).
    if (!is_valid_utf8(session) || !is_valid_utf8(user) ||
        expiry == std::numeric_limits<std::int64_t>::min())
        return;
    const auto handle = sealer().seal({std::string(session), std::string(user), expiry});
    if (handle.size() > sessions::handle_sealer::max_handle_chars) return;
    const auto now = expiry - 1;
    const auto mine = sealer().open(handle, user, now);
    if (!mine.contents || mine.contents->session_id != session || mine.contents->user_id != user ||
        mine.contents->expires_at != expiry)
        std::abort();
    const std::string other = std::string(user) + "x";
    if (sealer().open(handle, other, now).error != sessions::open_error::other_user) std::abort();
    if (sealer().open(handle, user, expiry).error != sessions::open_error::expired) std::abort();
    // Any one character changed: not opened, unless it only changed bits
    // base64url's last character leaves unused (the same bytes).
    const auto bytes = base64url_decode(handle);
    for (std::size_t i = 0; i < handle.size(); i += 1 + handle.size() / 64) {
        std::string altered = handle;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        if (sealer().open(altered, user, now).contents && base64url_decode(altered) != bytes)
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0)
        open_from_caller(rest);
    else
        seal_and_open(rest);
    return 0;
}
