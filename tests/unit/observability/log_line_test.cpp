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

BOOST_AUTO_TEST_SUITE_END()
