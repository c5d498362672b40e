#include "chatkit_gateway/observability/log_line.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_SUITE_END()
