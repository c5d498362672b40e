#include "chatkit_gateway/observability/log_line.hpp"
#include "chatkit_gateway/core/request_name.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>

using namespace ckg::observability;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(log_line_format)

BOOST_AUTO_TEST_CASE(a_line_is_one_json_object_with_time_level_msg_first) {
    log_line line(log_level::warn, "upstream \"slow\"\n");
    line.add("route", "/v1/chatkit/sessions")
        .add("status", std::int64_t{503})
        .add("negative", std::int64_t{-7});
    const auto text = line.finish();
    BOOST_TEST(text.back() == '\n');
    BOOST_TEST(text.find('\n') == text.size() - 1);  // escaped inside, one line
    BOOST_TEST(std::regex_search(
        text,
        std::regex(R"(^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"warn","msg":)")));
    const auto v = json::parse(text);
    BOOST_TEST(v.at("msg").as_string() == "upstream \"slow\"\n");
    BOOST_TEST(v.at("route").as_string() == "/v1/chatkit/sessions");
    BOOST_TEST(v.at("status").as_int64() == 503);
    BOOST_TEST(v.at("negative").as_int64() == -7);
}

BOOST_AUTO_TEST_CASE(keys_and_values_are_escaped_and_objects_merged_without_reserved_names) {
    json::object extra{{"time", "forged"},
                       {"level", "error"},
                       {"msg", "forged"},
                       {"k\"ey", "v\\al\x01"},
                       {"nested", {{"a", json::array{1, true, nullptr}}}},
                       {"ratio", 0.5}};
    log_line line(log_level::info, "request");
    line.add_all(extra).add("after", "x");
    const auto v = json::parse(line.finish()).as_object();
    BOOST_TEST(v.at("level").as_string() == "info");
    BOOST_TEST(v.at("msg").as_string() == "request");
    BOOST_TEST(v.at("time").as_string() != "forged");
    BOOST_TEST(v.at("k\"ey").as_string() == "v\\al\x01");
    BOOST_TEST(json::serialize(v.at("nested")) == R"({"a":[1,true,null]})");
    BOOST_TEST(v.at("ratio").as_double() == 0.5);
    BOOST_TEST(v.at("after").as_string() == "x");
    BOOST_TEST(v.size() == 7u);  // time, level, msg, k"ey, nested, ratio, after
}

// A handler's access-log members: in the order first set, a name set again
// replaced in place (text or number), reserved names dropped, text escaped.
BOOST_AUTO_TEST_CASE(a_handlers_fields_keep_their_order_and_the_last_value_of_a_name) {
    log_fields fields;
    fields.set("user", "u1");
    fields.set("upstream_status", std::int64_t{200});
    fields.set("msg", "forged");
    fields.set("reason", "a \"quoted\"\n reason");
    fields.set("user", "u2");                       // replaced, keeps its place
    fields.set("upstream_status", "not a number");  // a number becomes text
    BOOST_TEST(*fields.text("user") == "u2");
    BOOST_TEST(fields.text("absent") == nullptr);
    BOOST_REQUIRE(fields.members().size() == 4u);
    BOOST_TEST(fields.members()[0].name.view() == "user");
    log_line line(log_level::info, "request");
    line.add_all(fields);
    const auto text = line.finish();
    BOOST_TEST(text.find(R"("user":"u2","upstream_status":"not a number","reason":)") !=
               std::string::npos);
    const auto v = json::parse(text).as_object();
    BOOST_TEST(v.at("msg").as_string() == "request");
    BOOST_TEST(v.at("reason").as_string() == "a \"quoted\"\n reason");
    BOOST_TEST(v.size() == 6u);  // time, level, msg, user, upstream_status, reason
    log_fields numbers;
    numbers.set("upstream_us", std::int64_t{-7});
    BOOST_TEST(numbers.text("upstream_us") == nullptr);
    log_line second(log_level::info, "request");
    BOOST_TEST(json::parse(second.add_all(numbers).finish()).at("upstream_us").as_int64() == -7);
}

// Whatever a request held, the line is valid UTF-8 and valid JSON, checked
// by a parser that refuses ill-formed UTF-8 (Boost.JSON's default).
BOOST_AUTO_TEST_CASE(a_line_is_valid_utf8_json_whatever_the_bytes) {
    const std::string bad[] = {"\xc0\xaf",         "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
                               "\xf4\x90\x80\x80", "\xc3",         "\xe2\x82",     "\xf0\x9f\x98",
                               "\xff\xfe",         "\x80"};
    for (const auto& b : bad) {
        log_line line(log_level::info, "msg " + b);
        // A name from a runtime object (the logger's fields) is escaped like a value.
        line.add("route", "/v1/" + b + "/x")
            .add_all(json::object{{"k" + b, "v"}, {"nested", json::object{{"x", "y" + b}}}});
        const auto text = line.finish();
        json::error_code ec;
        const auto v = json::parse(text, ec);
        BOOST_TEST(!ec, "ill-formed bytes left in the line");
        BOOST_REQUIRE(v.is_object());
        BOOST_TEST(std::string(v.at("route").as_string()).find("\xef\xbf\xbd") !=
                   std::string::npos);
        BOOST_TEST(std::string(v.at("nested").at("x").as_string()).find("\xef\xbf\xbd") !=
                   std::string::npos);
    }
}

// A peer may echo a configured secret back in text the gateway logs: in
// another letter case, glued to other text, JSON-escaped, cut short by a
// truncation. No line carries any of it, and every line stays valid JSON.
BOOST_AUTO_TEST_CASE(registered_secrets_never_reach_a_line_in_any_form) {
    const std::string key = "proj_LogLineKey_0123456789abcdef";
    const std::string quoted = "pass\"word\\with\"quotes";
    register_secret(key);
    register_secret(quoted);
    register_secret("short");  // under 8 bytes: never registered
    std::string upper = key, lower = key;
    std::transform(key.begin(), key.end(), upper.begin(), ::toupper);
    std::transform(key.begin(), key.end(), lower.begin(), ::tolower);
    json::object echoed{{"reason", "upstream said: " + key + " " + upper + " xx" + lower},
                        {"quoted", "AUTH " + quoted},
                        {"nested", {{"a", json::array{key, 1}}}},
                        {"cut", "message ends with " + key.substr(0, 12)},
                        {"name " + upper, "as a member's name"}};
    log_line line(log_level::warn, "msg holds " + key);
    line.add_all(echoed).add("field", "glued" + key + "glued").add("short", "a short word");
    const auto text = line.finish();
    auto folded = text;
    std::transform(folded.begin(), folded.end(), folded.begin(), ::tolower);
    BOOST_TEST(folded.find(lower.substr(0, 8)) == std::string::npos);
    BOOST_TEST(text.find("word\\\\with") == std::string::npos);  // the escaped form
    const auto v = json::parse(text).as_object();
    BOOST_TEST(v.at("msg").as_string() == "msg holds [redacted]");
    BOOST_TEST(v.at("reason").as_string() == "upstream said: [redacted] [redacted] xx[redacted]");
    BOOST_TEST(v.at("quoted").as_string() == "AUTH [redacted]");
    BOOST_TEST(json::serialize(v.at("nested")) == R"({"a":["[redacted]",1]})");
    BOOST_TEST(v.at("cut").as_string() == "message ends with [redacted]");
    BOOST_TEST(v.at("field").as_string() == "glued[redacted]glued");
    BOOST_TEST(v.at("short").as_string() == "a short word");
    BOOST_TEST(v.at("name [redacted]").as_string() == "as a member's name");
    // A string merely ending in the secret's first 7 bytes is left alone.
    log_line seven(log_level::info, "request");
    seven.add("tail", "ends with " + key.substr(0, 7));
    BOOST_TEST(json::parse(seven.finish()).at("tail").as_string() ==
               "ends with " + key.substr(0, 7));
}

// A name cut to 64 bytes (core/request_name) and quoted in a message loses
// its cut copy of a secret's first 8 or more bytes too; a secret that is
// not UTF-8 (a raw HS256 key) loses each run of whole characters, which a
// client may complete into a copy with bytes of its own around it (pass
// 29b: both were logged as they were).
BOOST_AUTO_TEST_CASE(cut_names_and_secrets_that_are_not_utf8_stay_out_of_a_line) {
    const std::string token =
        "/AdminTokenLongerThan64bytes+xyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop==";
    const std::string raw = "\xa9Zsecret-binary-0123456789abcdefg\xe2\x82";
    register_secret(token);
    register_secret(raw);
    const auto field = [](const std::string& name) {
        return "unknown field " + ckg::quoted_request_name(name);
    };
    log_line line(log_level::info, "request");
    line.add("whole", field(token))
        .add("filled", field(std::string(50, 'f') + token))
        .add("seven", field(std::string(57, 'f') + token))
        .add("raw", field("\xc3" + raw + "\xac"));
    const auto v = json::parse(line.finish()).as_object();
    BOOST_TEST(v.at("whole").as_string() == "unknown field \"[redacted]\"");
    BOOST_TEST(v.at("filled").as_string() ==
               "unknown field \"" + std::string(50, 'f') + "[redacted]\"");
    BOOST_TEST(v.at("seven").as_string() ==
               "unknown field \"" + std::string(57, 'f') + token.substr(0, 7) + "\"");
    BOOST_TEST(v.at("raw").as_string() == "unknown field \"\xc3\xa9[redacted]\xe2\x82\xac\"");
}

// A copy starts only where a character does: never inside an escape (the
// control character 0x0C is written "\f"), never in a number.
BOOST_AUTO_TEST_CASE(scrubbing_never_cuts_an_escape_or_a_number) {
    register_secret("fmt-Secret-0123abc");
    register_secret("987654321098");
    log_line line(log_level::info, "request");
    line.add("escape", "\x0cmt-Secret-0123abc")
        .add_all(json::object{{"n", {{"big", 98765432109876}}}, {"s", "987654321098"}});
    const auto v = json::parse(line.finish()).as_object();
    BOOST_TEST(v.at("escape").as_string() == "\x0cmt-Secret-0123abc");
    BOOST_TEST(v.at("n").at("big").as_int64() == 98765432109876);
    BOOST_TEST(v.at("s").as_string() == "[redacted]");
}

// Peer text (an upstream error body, a Redis error) loses every piece of 8
// or more bytes of a registered secret, however the peer encoded it: JSON
// \u and \/ escapes, %XX, a byte slipped inside, a piece from the middle.
BOOST_AUTO_TEST_CASE(peer_text_loses_every_piece_of_a_secret_however_encoded) {
    const std::string key = "sk-proj-Peer/Text+Key0123456789";
    register_secret(key);
    std::string escaped;  // every byte as \u00XX
    for (const char c : key) {
        char unit[8];
        std::snprintf(unit, sizeof unit, "\\u%04x", static_cast<unsigned char>(c));
        escaped += unit;
    }
    std::string percent;
    for (const char c : key) {
        char unit[4];
        std::snprintf(unit, sizeof unit, "%%%02X", static_cast<unsigned char>(c));
        percent += unit;
    }
    std::string slashes = key;
    slashes.replace(slashes.find('/'), 1, "\\/");
    // Each as it comes back: the copy (or each piece) is one "[redacted]".
    const std::vector<std::pair<std::string, std::string>> echoes = {
        {escaped, "[redacted]"},
        {percent, "[redacted]"},
        {slashes, "[redacted]"},
        {key.substr(0, 12) + "\n" + key.substr(12), "[redacted]\n[redacted]"},
        {"middle " + key.substr(6, 14) + " piece", "middle [redacted] piece"}};
    for (const auto& [echo, logged] : echoes) {
        BOOST_TEST_CONTEXT(echo) {
            BOOST_TEST(redact_for_log("{\"message\": \"" + echo + "\"}") ==
                       "{\"message\": \"" + logged + "\"}");
        }
    }
    // Seven bytes of it, or other text, stay as they are.
    BOOST_TEST(redact_for_log("proj-Pe and Text+Ke") == "proj-Pe and Text+Ke");
}

// An end user's token is in no list of secrets: peer text loses any
// compact JWT by its shape (a JSON header, dot-joined parts), also right
// after '=' or ':'; words that only start alike stay.
BOOST_AUTO_TEST_CASE(peer_text_loses_every_jwt_by_its_shape) {
    const std::string jws = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    const std::string jwe = "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"unknown locale " + jws, "unknown locale [redacted]"},
        {"{\"locale\": \"" + jws + "\"}", "{\"locale\": \"[redacted]\"}"},
        {"token=" + jws + "&x=1", "token=[redacted]&x=1"},
        {"sub:" + jwe + " end", "sub:[redacted] end"},
        {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[redacted]"},  // alg none: empty signature
        // Dots written %2E or \u002e, as an upstream may have encoded them.
        {"t=eyJhbGciOiJSUzI1NiJ9%2EeyJzdWIiOiJhIn0%2ec2ln end", "t=[redacted] end"},
        {"\"eyJhbGciOiJSUzI1NiJ9\\u002eeyJzdWIiOiJhIn0\\u002Ec2ln\"", "\"[redacted]\""},
        // Headers and claims that are not compact JSON ("{\n  \"alg\"", "{ \"alg\"").
        {"x ewogICJhbGciOiAiUlMyNTYiCn0.ewogICJzdWIiOiAiYWxpY2UiCn0.c2ln", "x [redacted]"},
        {"x eyAiYWxnIjogIlJTMjU2IiB9.ewogICJzdWIiOiAiYWxpY2UiCn0.c2ln", "x [redacted]"},
        {"example.com and error.code and eyJab. stay",
         "example.com and error.code and eyJab. stay"},
        {"eyJust a word, eyJ.x, eyJab.", "eyJust a word, eyJ.x, eyJab."},
        {"keyJab.cd", "keyJab.cd"}};
    for (const auto& [text, logged] : cases) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(redact_for_log(text) == logged);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
