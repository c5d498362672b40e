// libFuzzer target: the thread proxy's rules (api/thread_scoping), the one
// place that keeps a user's threads from another (docs/api.md, "Threads").
// Any bytes as the upstream's reply to a thread list, a thread, an item
// list or a delete, or as the caller's list query, for any user id and
// thread id. What the caller would get is checked against Boost.JSON's own
// reading of the reply, written here without the code under test:
// - a list holds exactly the reply's threads whose `user` is the caller's,
//   in order, and only the five members of a list;
// - a thread is given only when it is the one asked for and the caller's;
//   another user's is not_found, with the one sentence an absent one gets;
// - an item list only with every item naming the thread asked for;
// - a delete confirmation only about that thread, with its three members;
// - the upstream list query names the caller once, first, and nothing
//   but the allowed parameters with valid values, in plain URL characters.
// Everything given back is JSON that reads back to the same value.
#include "chatkit_gateway/api/thread_scoping.hpp"
#include "json_read_back.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/decode_view.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

using namespace ckg;
namespace json = boost::json;

namespace {

void check(bool ok, int line = __builtin_LINE()) {
    if (ok) return;
    std::fprintf(stderr, "thread_scoping_fuzzer: check on line %d failed\n", line);
    std::abort();
}

// The reply as Boost.JSON reads it; the code under test refuses more (a
// repeated name, a number JSON cannot write), never less.
json::value read(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    check(!ec);
    return v;
}

bool names(const json::value& v, std::string_view key, std::string_view value) {
    const auto* o = v.if_object();
    const auto* m = o ? o->if_contains(key) : nullptr;
    return m != nullptr && m->is_string() && m->get_string() == value;
}

// What the caller is sent reads back as the same value.
void check_written(const json::object& out) {
    const auto text = json::serialize(out);
    check(fuzz::same_read_back(read(text), json::value(out)));
}

void check_list_shape(const json::object& out, const json::array& expected) {
    check(out.size() == 5);
    check(names(out, "object", "list"));
    check(out.at("has_more").is_bool());
    const auto& data = out.at("data").as_array();
    check(data == expected);
    check(out.at("first_id") == (data.empty() ? json::value(nullptr) : data.front().at("id")));
    check(out.at("last_id") == (data.empty() ? json::value(nullptr) : data.back().at("id")));
    for (const auto& t : data) check(t.at("id").is_string());
}

void list(std::string_view body, std::string_view user) {
    const auto r = api::scope_thread_list(body, user);
    if (!r.ok()) return;
    const auto in = read(body);
    json::array mine;
    for (const auto& t : in.at("data").as_array())
        if (names(t, "user", user)) mine.push_back(t);
    check_list_shape(*r, mine);
    for (const auto& t : r->at("data").as_array()) check(names(t, "user", user));
    const auto* more = in.as_object().if_contains("has_more");
    check(r->at("has_more").get_bool() == (more != nullptr && more->is_bool() && more->get_bool()));
    check_written(*r);
}

void thread(std::string_view body, std::string_view user, std::string_view id) {
    const auto r = api::owned_thread(body, user, id);
    if (r.ok()) {
        check(names(*r, "id", id) && names(*r, "user", user));
        check(json::value(*r) == read(body));
        check_written(*r);
    } else if (r.error().code == errc::not_found) {
        const auto in = read(body);
        check(names(in, "id", id) && !names(in, "user", user));
        check(r.error().message == api::thread_not_found_message);
    }
}

void items(std::string_view body, std::string_view id) {
    const auto r = api::thread_item_list(body, id);
    if (!r.ok()) return;
    const auto in = read(body);
    check(names(in, "object", "list"));
    const auto& data = in.at("data").as_array();
    for (const auto& item : data) check(names(item, "thread_id", id));
    check_list_shape(*r, data);
    check_written(*r);
}

void deletion(std::string_view body, std::string_view id) {
    const auto r = api::deletion_of(body, id);
    if (!r.ok()) return;
    const auto in = read(body).as_object();
    check(names(*r, "id", id));
    for (const auto& m : *r) {
        check(m.key() == "id" || m.key() == "deleted" || m.key() == "object");
        check(m.value() == in.at(m.key()));
    }
    check_written(*r);
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool is_thread_id(std::string_view v) {
    if (v.empty() || v.size() > 128) return false;
    for (char c : v)
        if (!is_unreserved(c) || c == '.' || c == '~') return false;
    return true;
}

void query(std::string_view raw, std::string_view user, bool scoped) {
    const std::string u(user);
    const auto r = api::upstream_list_query(raw, scoped ? &u : nullptr);
    if (!r.ok()) return;
    const std::string_view out = *r;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char c = out[i];
        if (c == '%') {
            check(i + 2 < out.size() && is_hex(out[i + 1]) && is_hex(out[i + 2]));
        } else {
            check(is_unreserved(c) || c == '=' || c == '&');
        }
    }
    if (out.empty()) {
        check(!scoped);
        return;
    }
    std::set<std::string_view> seen;
    std::size_t pos = 0;
    for (bool first = true; pos <= out.size(); first = false) {
        auto end = out.find('&', pos);
        if (end == std::string_view::npos) end = out.size();
        const auto pair = out.substr(pos, end - pos);
        pos = end + 1;
        const auto eq = pair.find('=');
        check(eq != std::string_view::npos && pair.find('=', eq + 1) == std::string_view::npos);
        const auto key = pair.substr(0, eq), value = pair.substr(eq + 1);
        check(seen.insert(key).second);
        if (key == "user") {
            check(scoped && first);
            const boost::urls::decode_view decoded(value);
            check(std::string(decoded.begin(), decoded.end()) == user);
        } else if (key == "limit") {
            check(!value.empty() && value.size() <= 3 &&
                  value.find_first_not_of("0123456789") == std::string_view::npos);
            const int n = std::stoi(std::string(value));
            check(n >= 1 && n <= 100);
        } else if (key == "after" || key == "before") {
            check(is_thread_id(value));
        } else {
            check(key == "order" && (value == "asc" || value == "desc"));
        }
    }
    check(!scoped || seen.count("user") == 1);
}

}  // namespace

// Byte 0 picks the rule, bytes 1 and 2 the lengths of the user id and the
// thread id that follow; the rest is the reply or the query.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::size_t user_len = data[1] % 48, id_len = data[2] % 140;
    if (size < 3 + user_len + id_len) return 0;
    const char* p = reinterpret_cast<const char*>(data) + 3;
    const std::string_view user(p, user_len), id(p + user_len, id_len);
    const std::string_view rest(p + user_len + id_len, size - 3 - user_len - id_len);
    check(api::is_valid_id(id) == is_thread_id(id));
    switch (data[0] % 6) {
        case 0:
            list(rest, user);
            break;
        case 1:
            thread(rest, user, id);
            break;
        case 2:
            items(rest, id);
            break;
        case 3:
            deletion(rest, id);
            break;
        default:
            query(rest, user, data[0] % 6 == 4);
    }
    return 0;
}
