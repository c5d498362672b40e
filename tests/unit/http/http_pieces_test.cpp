// Request ids, the errc -> HTTP mapping and the framing rules.
#include "chatkit_gateway/http/error_response.hpp"
#include "chatkit_gateway/http/framing.hpp"
#include "chatkit_gateway/http/http_date.hpp"
#include "chatkit_gateway/http/request_id.hpp"
#include "chatkit_gateway/net/wire_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <set>
#include <sstream>

using namespace ckg;
using namespace ckg::http_server;

BOOST_AUTO_TEST_SUITE(http_pieces)

BOOST_AUTO_TEST_CASE(dates_are_imf_fixdates_in_gmt) {
    BOOST_TEST(imf_fixdate(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
    BOOST_TEST(imf_fixdate(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    BOOST_TEST(imf_fixdate(1798761599) == "Thu, 31 Dec 2026 23:59:59 GMT");
    BOOST_TEST(imf_fixdate(1709164800) == "Thu, 29 Feb 2024 00:00:00 GMT");
    const auto before = std::time(nullptr);
    const auto now = http_date_now();
    BOOST_TEST((now == imf_fixdate(before) || now == imf_fixdate(before + 1)));
}

BOOST_AUTO_TEST_CASE(request_ids_are_echoed_only_when_sane) {
    BOOST_TEST(request_id_for("abc-123_x.y") == "abc-123_x.y");
    BOOST_TEST(request_id_for(std::string(128, 'a')) == std::string(128, 'a'));
    std::set<std::string> seen;
    for (std::string bad : {std::string(), std::string(129, 'a'), std::string("a b"),
                            std::string("a\r\nb"), std::string("<script>"), std::string("é")}) {
        const auto id = request_id_for(bad);
        BOOST_TEST(id != bad);
        BOOST_TEST(id.size() >= 16u);
        BOOST_TEST(id.size() <= 32u);
        for (char c : id) BOOST_TEST(std::isalnum(static_cast<unsigned char>(c)) != 0);
        seen.insert(id);
    }
    BOOST_TEST(seen.size() == 6u);
}

BOOST_AUTO_TEST_CASE(every_errc_maps_to_the_spec_table) {
    struct row {
        errc code;
        unsigned status;
        const char* name;
    };
    const row table[] = {
        {errc::invalid_request, 400, "invalid_request"},
        {errc::missing_token, 401, "missing_token"},
        {errc::invalid_token, 401, "invalid_token"},
        {errc::origin_not_allowed, 403, "origin_not_allowed"},
        {errc::not_found, 404, "not_found"},
        {errc::method_not_allowed, 405, "method_not_allowed"},
        {errc::body_too_large, 413, "body_too_large"},
        {errc::unsupported_media_type, 415, "unsupported_media_type"},
        {errc::rate_limited, 429, "rate_limited"},
        {errc::headers_too_large, 431, "headers_too_large"},
        {errc::upstream_error, 502, "upstream_error"},
        {errc::overloaded, 503, "overloaded"},
        {errc::upstream_unavailable, 503, "upstream_unavailable"},
        {errc::upstream_timeout, 504, "upstream_timeout"},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT(r.name) {
            const auto res =
                make_error_response({r.code, "secret detail sk-123", std::nullopt, "GET"}, 11);
            BOOST_TEST(res.result_int() == r.status);
            const auto body = boost::json::parse(res.body());
            BOOST_TEST(body.at("error").at("code").as_string() == r.name);
            BOOST_TEST(!body.at("error").at("message").as_string().empty());
            BOOST_TEST(res.body().find("secret detail") == std::string::npos);
            BOOST_TEST(res[http::field::content_type] == "application/json; charset=utf-8");
        }
    }
}

BOOST_AUTO_TEST_CASE(error_headers) {
    BOOST_TEST(make_error_response({errc::missing_token, {}, {}, {}},
                                   11)[http::field::www_authenticate] == "Bearer");
    BOOST_TEST(
        make_error_response({errc::invalid_token, {}, {}, {}}, 11)[http::field::www_authenticate] ==
        "Bearer error=\"invalid_token\"");
    BOOST_TEST(make_error_response({errc::method_not_allowed, {}, {}, "GET, DELETE"},
                                   11)[http::field::allow] == "GET, DELETE");
    BOOST_TEST(make_error_response({errc::overloaded, {}, {}, {}}, 11)[http::field::retry_after] ==
               "1");
    BOOST_TEST(make_error_response({errc::rate_limited, {}, std::chrono::seconds(7), {}},
                                   11)[http::field::retry_after] == "7");
    BOOST_TEST(make_error_response({errc::upstream_unavailable, {}, std::chrono::seconds(0), {}},
                                   11)[http::field::retry_after] == "1");
}

BOOST_AUTO_TEST_CASE(ambiguous_framing_is_detected) {
    auto header = [](unsigned version, std::vector<std::pair<http::field, std::string>> fields) {
        http::request_header<> h;
        h.version(version);
        for (auto& [f, v] : fields) h.insert(f, v);
        return h;
    };
    using f = http::field;
    BOOST_TEST(!has_ambiguous_framing(header(11, {})));
    BOOST_TEST(!has_ambiguous_framing(header(11, {{f::content_length, "5"}})));
    BOOST_TEST(!has_ambiguous_framing(header(11, {{f::transfer_encoding, "chunked"}})));
    BOOST_TEST(!has_ambiguous_framing(header(11, {{f::transfer_encoding, "Chunked"}})));
    BOOST_TEST(has_ambiguous_framing(
        header(11, {{f::transfer_encoding, "chunked"}, {f::content_length, "5"}})));
    BOOST_TEST(has_ambiguous_framing(header(11, {{f::transfer_encoding, "gzip, chunked"}})));
    BOOST_TEST(has_ambiguous_framing(
        header(11, {{f::transfer_encoding, "chunked"}, {f::transfer_encoding, "chunked"}})));
    BOOST_TEST(has_ambiguous_framing(header(11, {{f::transfer_encoding, "identity"}})));
    BOOST_TEST(has_ambiguous_framing(header(10, {{f::transfer_encoding, "chunked"}})));
}

BOOST_AUTO_TEST_CASE(wire_form_matches_beasts_serializer) {
    using namespace ckg;
    // Beast's own serializer (operator<<) is the reference.
    auto res = http_server::make_json_response(http::status::too_many_requests, {{"a", 1}}, 11);
    res.set("X-Request-Id", "abc");
    res.set(http::field::retry_after, "3");
    res.keep_alive(false);
    res.prepare_payload();
    http::request<http::string_body> req{http::verb::post, "/v1/chatkit/sessions?x=1", 11};
    req.set(http::field::host, "api.example.com");
    req.set("OpenAI-Beta", "chatkit_beta=v1");
    req.body() = R"({"user":"u"})";
    req.keep_alive(true);
    req.prepare_payload();
    http::response<http::string_body> old{http::status::not_found, 10};
    old.prepare_payload();
    std::string wire;
    for (const auto* m : {&res, &old}) {
        std::ostringstream expected;
        expected << *m;
        transport::to_wire(*m, wire);
        BOOST_TEST(wire == expected.str());
    }
    std::ostringstream expected;
    expected << req;
    transport::to_wire(req, wire);
    BOOST_TEST(wire == expected.str());
}

BOOST_AUTO_TEST_SUITE_END()

#include "chatkit_gateway/observability/redaction.hpp"

BOOST_AUTO_TEST_SUITE(redaction)

BOOST_AUTO_TEST_CASE(key_like_text_is_redacted_for_logs) {
    using ckg::observability::redact_for_log;
    BOOST_TEST(redact_for_log(R"({"error": "Incorrect API key provided: sk-proj-abcd1234"})") ==
               R"({"error": "Incorrect API key provided: [redacted]"})");
    BOOST_TEST(redact_for_log("Authorization: Bearer eyJ.abc.def done") ==
               "Authorization: [redacted] done");
    BOOST_TEST(redact_for_log("secret ek_0123456789 leaked") == "secret [redacted] leaked");
    BOOST_TEST(redact_for_log("task-1234 and sk- alone") == "task-1234 and sk- alone");
    // A key or client secret whose '-' or '_' a peer %-encoded or \u-escaped,
    // or with %-encoded bytes inside, is found as well.
    BOOST_TEST(redact_for_log("secret ek%5F0123456789 leaked") == "secret [redacted] leaked");
    BOOST_TEST(redact_for_log("secret ek%5f0123%2B456789 leaked") == "secret [redacted] leaked");
    BOOST_TEST(redact_for_log("key sk%2Dproj-abcd1234 leaked") == "key [redacted] leaked");
    BOOST_TEST(redact_for_log(R"(secret ek\u005f0123456789 leaked)") == "secret [redacted] leaked");
    BOOST_TEST(redact_for_log(R"(key sk\u002Dproj-abcd1234 leaked)") == "key [redacted] leaked");
    // After a %-encoded or \u-escaped character, as in a form-encoded text.
    BOOST_TEST(redact_for_log("message=Incorrect%20key%3A%20sk-proj-abcd1234") ==
               "message=Incorrect%20key%3A%20[redacted]");
    BOOST_TEST(redact_for_log(R"(key:\u0020ek_0123456789)") == R"(key:\u0020[redacted])");
    BOOST_TEST(redact_for_log("task-1234 and a%20task-1234") == "task-1234 and a%20task-1234");
    // After any byte that is no letter or digit (a query, a path, a field);
    // any byte of it escaped.
    BOOST_TEST(redact_for_log("a=1&client_secret=ek_0123456789&b=2") ==
               "a=1&client_secret=[redacted]&b=2");
    BOOST_TEST(redact_for_log("https://x/s/ek_0123456789") == "https://x/s/[redacted]");
    BOOST_TEST(redact_for_log(R"(\u0065k_0123456789 %65%6B%5F0123456789 ek_6\u00388f0abc)") ==
               "[redacted] [redacted] [redacted]");
    BOOST_TEST(redact_for_log("week_12345 and task-12345") == "week_12345 and task-12345");
    BOOST_TEST(redact_for_log(std::string(600, 'x')).size() == 512u);
    BOOST_TEST(ckg::observability::user_hash("alice").size() == 16u);
    BOOST_TEST(ckg::observability::user_hash("alice") != ckg::observability::user_hash("bob"));
}

// A key the upstream quotes that begins as the configured one does
// ("sk-proj-") is found by its shape before the configured key's pieces
// are taken out (that took its prefix and left the rest).
BOOST_AUTO_TEST_CASE(a_key_sharing_the_configured_keys_prefix_is_redacted_whole) {
    ckg::observability::register_secret("sk-proj-FAKE-configured-test-value");
    BOOST_TEST(ckg::observability::redact_for_log(
                   R"({"message":"sk-proj-FAKE-quoted-by-the-upstream-test-value"})") ==
               R"({"message":"[redacted]"})");
}

// Upstream error text may quote the user id: raw, or escaped inside a JSON string.
BOOST_AUTO_TEST_CASE(the_user_id_in_upstream_text_becomes_its_hash) {
    using ckg::observability::user_hash;
    using ckg::observability::without_user;
    const std::string h = "[user " + user_hash("ann@example.com") + "]";
    BOOST_TEST(without_user(R"({"message": "user ann@example.com (ann@example.com) unknown"})",
                            "ann@example.com") ==
               R"({"message": "user )" + h + " (" + h + R"() unknown"})");
    const std::string odd = "a\"b\\c";  // a"b\c, as JSON writes it: a\"b\\c
    BOOST_TEST(without_user(R"({"message": "no user a\"b\\c"})", odd) ==
               R"({"message": "no user [user )" + user_hash(odd) + R"(]"})");
    BOOST_TEST(without_user("nothing to hide", "") == "nothing to hide");
    BOOST_TEST(without_user("aaaa", "aa") ==
               "[user " + user_hash("aa") + "][user " + user_hash("aa") + "]");
}

BOOST_AUTO_TEST_SUITE_END()
