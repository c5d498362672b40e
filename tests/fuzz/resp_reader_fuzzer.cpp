// libFuzzer target: any byte string as what a Redis server (or something
// posing as one) sends, fed in chunks of a size the first byte picks, read
// as store/redis_connection reads it (store/resp_reader: hiredis's reader
// under our caps). Invariants: never more than the buffer cap waits for a
// reply, and no reply handed out holds more array elements or string bytes
// than its budget; after an error the reader takes nothing more. Each
// reply handed out is then read as every command of the gateway reads its
// reply (store/redis_replies): whatever it holds, a number read is within
// 0 ... 2^53 - 1, a mint verdict is 0, 1 or 2, a malformed scan page adds
// nothing, a revocation time unread revokes, and of an error only a known
// code is kept for the log.
#include "chatkit_gateway/store/redis_replies.hpp"
#include "chatkit_gateway/store/resp_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace {

using ckg::store::resp_reader;
using ckg::store::resp_value;

// Small caps, so that inputs of a few KiB reach them.
constexpr std::size_t max_buffered = 4096;
constexpr std::size_t max_elements = 64;

void check(bool ok) {
    if (!ok) std::abort();
}

// The array elements and string bytes one reply holds, all levels together.
void measure(const resp_value& v, std::size_t& elements, std::size_t& bytes) {
    bytes += v.text.size();
    elements += v.elements.size();
    for (const auto& e : v.elements) measure(e, elements, bytes);
    check(v.type == resp_value::kind::array || v.elements.empty());
}

bool in_range(std::int64_t n) {
    return n >= 0 && n <= ckg::store::max_stored_number;
}

void check_ends(const ckg::store::block_ends& ends) {
    for (const auto& [user, end] : ends) check(in_range(end));
}

// The reply as each of the gateway's commands would read it.
void read_as_every_command(const resp_value& v) {
    using namespace ckg::store;
    for (const auto& n : {integer_of(v), integer_or_zero(v), block_end_of(v)})
        if (n) check(in_range(*n));
    if (const auto poll = block_poll_of(v)) {
        check(in_range(poll->version));
        check(!poll->whole || poll->ends.empty());
        check(poll->changed || poll->ends.empty());
        check(in_range(poll->floor) && (poll->whole || poll->floor == 0));
        check_ends(poll->ends);
    }
    block_ends page{{"known", 1}};
    if (const auto cursor = block_scan_page_of(v, page)) {
        check(!page.empty() && page.front().first == "known");
        check_ends(page);
    } else {
        check(page.size() == 1);  // a malformed page adds nothing
    }
    if (const auto time = redis_time_ms_of(v)) check(in_range(*time));
    if (const auto mint = mint_reply_of(v)) {
        check(mint->first >= 0 && mint->first <= 2);
        check(in_range(mint->second));
    }
    // The registry write's EXEC: only an array of as many replies as
    // commands, the marker last (nil: not blocked).
    for (const std::size_t commands : {std::size_t{3}, std::size_t{4}, v.elements.size()}) {
        if (const auto blocked = blocked_in_registry_write_of(v, commands, 1'700'000'000)) {
            check(v.type == resp_value::kind::array && v.elements.size() == commands);
            check(v.elements.back().type == resp_value::kind::string || !*blocked);
        }
    }
    // A write-back's read of the user's revocation time: only nil revokes
    // nothing; a time revokes what was minted at or before it; anything
    // else revokes (the safe side).
    constexpr std::int64_t minted_at = 1'700'000'000'000;
    const bool revoked = revoked_since(v, minted_at);
    if (v.type == resp_value::kind::nil)
        check(!revoked);
    else if (const auto at = integer_of(v))
        check(revoked == (*at >= minted_at));
    else
        check(revoked);
    // What may be logged of an error reply: a known code the text begins
    // with (a whole word), or the fixed phrase; nothing else of the text,
    // nor the text's own bytes (the code is one of the reader's own).
    const auto code = redis_error_code_of(v.text);
    const auto at = reinterpret_cast<std::uintptr_t>(code.data());
    const auto text_at = reinterpret_cast<std::uintptr_t>(v.text.data());
    check(at < text_at || at >= text_at + v.text.size());
    if (code != "an error with another code") {
        check(!code.empty() && code.size() <= 11 && v.text.starts_with(code));
        check(v.text.size() == code.size() || v.text[code.size()] == ' ');
        check(std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] * 8;
    const char* bytes = reinterpret_cast<const char*>(data + 1);
    const std::size_t total = size - 1;
    resp_reader reader(max_buffered, max_elements);
    bool broken = false;
    for (std::size_t off = 0; off < total && !broken;) {
        const auto n = std::min(step, total - off);
        if (!reader.feed(bytes + off, n)) {
            check(!reader.error().empty());
            break;
        }
        off += n;
        check(reader.buffered() <= max_buffered);
        for (;;) {
            resp_value v;
            const auto status = reader.next(v);
            if (status == resp_reader::status::need_more) break;
            if (status == resp_reader::status::error) {
                check(!reader.error().empty());
                broken = true;
                break;
            }
            std::size_t elements = 0, text = 0;
            measure(v, elements, text);
            check(elements <= max_elements);
            check(text <= max_buffered);
            read_as_every_command(v);
        }
    }
    if (broken) {
        // A broken reader refuses everything after the error.
        check(!reader.feed("+OK\r\n", 5));
        resp_value v;
        check(reader.next(v) == resp_reader::status::error);
    }
    return 0;
}
