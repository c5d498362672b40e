#include "chatkit_gateway/store/redis_replies.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace ckg::store {

std::optional<std::int64_t> integer_of(const resp_value& v) {
    std::int64_t n = 0;
    if (v.type == resp_value::kind::integer) {
        n = v.integer;
    } else if (v.type == resp_value::kind::string) {
        double d = 0;  // scores come as decimal text, possibly with an exponent
        const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (ec != std::errc{} || end != v.text.data() + v.text.size() || !(d >= 0) ||
            d > static_cast<double>(max_stored_number))
            return std::nullopt;
        n = static_cast<std::int64_t>(d);
    } else {
        return std::nullopt;
    }
    if (n < 0 || n > max_stored_number) return std::nullopt;
    return n;
}

std::optional<std::int64_t> integer_or_zero(const resp_value& v) {
    if (v.type == resp_value::kind::nil) return 0;
    return integer_of(v);
}

std::optional<std::int64_t> block_end_of(const resp_value& v) {
    if (v.type == resp_value::kind::integer)
        return std::clamp<std::int64_t>(v.integer, 0, max_stored_number);
    if (v.type != resp_value::kind::string) return std::nullopt;
    std::string_view text = v.text;
    if (text.starts_with('+')) text.remove_prefix(1);  // "+inf"; from_chars takes no sign '+'
    double d = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (end != text.data() + text.size() || text.empty()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) {
        // Beyond a double: huge (for good), or below its precision (ended).
        const bool tiny =
            text.find("e-") != std::string_view::npos || text.find("E-") != std::string_view::npos;
        return text.starts_with('-') || tiny ? 0 : max_stored_number;
    }
    if (ec != std::errc{} || d != d) return std::nullopt;
    if (d <= 0) return 0;
    if (d >= static_cast<double>(max_stored_number)) return max_stored_number;
    return static_cast<std::int64_t>(d);
}

bool append_block_ends(const std::vector<resp_value>& e, std::size_t from, block_ends& out) {
    if ((e.size() - from) % 2 != 0) return false;
    for (std::size_t i = from; i + 1 < e.size(); i += 2) {
        const auto end = block_end_of(e[i + 1]);
        if (e[i].type != resp_value::kind::string || !end) return false;
        out.emplace_back(e[i].text, *end);
    }
    return true;
}

std::optional<block_poll> block_poll_of(const resp_value& v) {
    if (v.type != resp_value::kind::array || v.elements.empty()) return std::nullopt;
    const auto& e = v.elements;
    block_poll p;
    const auto version = integer_of(e[0]);
    if (!version) return std::nullopt;
    p.version = *version;
    if (e.size() == 1) return p;
    const auto mode = integer_of(e[1]);
    if (!mode || *mode > 1 || (*mode == 0 && e.size() > 3)) return std::nullopt;
    p.changed = true;
    p.whole = *mode == 0;
    if (p.whole) {
        if (e.size() == 3) {
            const auto floor = integer_of(e[2]);
            if (!floor) return std::nullopt;
            p.floor = *floor;
        }
        return p;
    }
    p.ends.reserve((e.size() - 2) / 2);
    if (!append_block_ends(e, 2, p.ends)) return std::nullopt;
    return p;
}

std::optional<std::int64_t> redis_time_ms_of(const resp_value& v) {
    if (v.type != resp_value::kind::array || v.elements.size() != 2) return std::nullopt;
    const auto& e = v.elements;
    if (e[0].type != resp_value::kind::string || e[1].type != resp_value::kind::string)
        return std::nullopt;
    const auto digits = [](const std::string& t) {
        return !t.empty() && t.size() <= 16 &&
               std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(e[0].text) || !digits(e[1].text)) return std::nullopt;
    const auto seconds = integer_of(e[0]);
    const auto micros = integer_of(e[1]);
    if (!seconds || !micros || *micros >= 1'000'000 || *seconds > max_stored_number / 1000)
        return std::nullopt;
    return *seconds * 1000 + *micros / 1000;
}

std::optional<std::pair<std::int64_t, std::int64_t>> mint_reply_of(const resp_value& v) {
    if (v.type != resp_value::kind::array || v.elements.size() != 2) return std::nullopt;
    const auto verdict =
        v.elements[0].type == resp_value::kind::integer ? integer_of(v.elements[0]) : std::nullopt;
    const auto n =
        v.elements[1].type == resp_value::kind::integer ? integer_of(v.elements[1]) : std::nullopt;
    if (!verdict || !n || *verdict > 2) return std::nullopt;
    return std::pair{*verdict, *n};
}

std::optional<bool> blocked_in_registry_write_of(const resp_value& exec, std::size_t commands,
                                                 std::int64_t now_s) {
    const auto& e = exec.elements;
    if (exec.type != resp_value::kind::array || commands == 0 || e.size() != commands)
        return std::nullopt;
    for (std::size_t i = 0; i + 1 < e.size(); ++i)
        if (e[i].type != resp_value::kind::integer) return std::nullopt;
    const auto& marker = e.back();
    if (marker.type == resp_value::kind::nil) return false;
    if (marker.type != resp_value::kind::string) return std::nullopt;
    const auto& t = marker.text;
    const auto end = std::find_if(t.begin(), t.end(), [](char c) { return c < '0' || c > '9'; });
    const auto first = std::find_if(t.begin(), end, [](char c) { return c != '0'; });
    // More digits than any time has: a block beyond every clock.
    if (end - first > 18) return true;
    std::int64_t until = 0;
    const char* from = t.data() + (first - t.begin());
    std::from_chars(from, from + (end - first), until);
    return until > now_s;
}

bool revoked_since(const resp_value& revoked_at, std::int64_t minted_at) {
    if (revoked_at.type == resp_value::kind::nil) return false;
    const auto at = integer_of(revoked_at);
    return !at || *at >= minted_at;
}

std::optional<std::string> block_scan_page_of(const resp_value& v, block_ends& out) {
    const auto& e = v.elements;
    if (v.type != resp_value::kind::array || e.size() != 2 ||
        e[0].type != resp_value::kind::string || e[1].type != resp_value::kind::array)
        return std::nullopt;
    const auto before = out.size();
    if (!append_block_ends(e[1].elements, 0, out)) {
        out.resize(before);
        return std::nullopt;
    }
    return e[0].text;
}

std::string_view redis_error_code_of(std::string_view text) {
    // The codes of Redis 7's error replies (and Valkey's, cluster proxies').
    static constexpr std::string_view known[] = {
        "ASK",       "BUSY",        "BUSYGROUP", "BUSYKEY",    "CLUSTERDOWN", "CROSSSLOT",
        "ERR",       "EXECABORT",   "LOADING",   "MASTERDOWN", "MISCONF",     "MOVED",
        "NOAUTH",    "NOGOODSLAVE", "NOPERM",    "NOPROTO",    "NOREPLICAS",  "NOSCRIPT",
        "NOTBUSY",   "OOM",         "READONLY",  "TRYAGAIN",   "UNBLOCKED",   "UNKILLABLE",
        "WRONGPASS", "WRONGTYPE"};
    const auto code = text.substr(0, text.find(' '));
    for (const auto k : known)
        if (code == k) return k;
    return "an error with another code";
}

}  // namespace ckg::store
