// libFuzzer target: the admin API's requests (api/admin_request): any bytes
// as a revoke or an unblock body, or as the status query. The first byte
// picks which. It must never crash, hang or leave undefined behaviour (a
// number cast to an integer it does not fit); what it takes names the
// configured issuer and a non-empty, valid UTF-8 user, and a block from 0
// to 31,536,000 seconds (docs/api.md, admin API).
#include "chatkit_gateway/api/admin_request.hpp"
#include "chatkit_gateway/core/utf8.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace ckg;

namespace {

const config::auth_config& issuers() {
    static const config::auth_config a = [] {
        config::auth_config c;
        config::issuer_config i;
        i.issuer = "https://id.example.com/";
        c.issuers.push_back(i);
        return c;
    }();
    return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto kind = data[0] % 3;
    const auto r = kind == 2 ? api::parse_admin_query(rest, issuers())
                             : api::parse_admin_body(rest,
                                                     kind == 0 ? api::admin_body_kind::revoke
                                                               : api::admin_body_kind::unblock,
                                                     issuers());
    if (!r.ok()) return 0;
    if (r->issuer != "https://id.example.com/" || r->user.empty() || !is_valid_utf8(r->user))
        std::abort();
    if (r->block_seconds < 0 || r->block_seconds > api::max_block_seconds) std::abort();
    if (kind != 0 && r->block_seconds != 0) std::abort();
    return 0;
}
