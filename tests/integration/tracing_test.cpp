// Trace context and log safety end to end (docs/operations.md, logs): the
// headers the upstream simulator received for each attempt, the access
// lines' trace_id and upstream_request_id, and lines that stay valid UTF-8
// JSON whatever bytes a request held, checked by two parsers that are not
// ours (Boost.JSON with its strict UTF-8 default, and Python's).
#include "chatkit_gateway/core/ascii.hpp"
#include "gateway_fixture.hpp"
#include "process.hpp"
#include "test_files.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>

using namespace ckg;
using namespace ckg::test;
namespace json = boost::json;

namespace {

const std::string sessions_path = "/v1/chatkit/sessions";
const std::string parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string parent = "00-" + parent_trace + "-00f067aa0ba902b7-01";

struct traceparent_parts {
    std::string trace_id, span_id, flags;
};

traceparent_parts split_traceparent(const std::string& value) {
    static const std::regex form("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(value, m, form), "traceparent sent upstream: " + value);
    return {m[1], m[2], m[3]};
}

// The headers of every request the simulator received for `endpoint`, oldest first.
std::vector<json::object> upstream_headers(const json::object& log, const std::string& endpoint) {
    std::vector<json::object> out;
    for (const auto& e : log.at("recent").as_array())
        if (e.at("endpoint") == endpoint.c_str()) out.push_back(e.at("headers").as_object());
    return out;
}

std::string header(const json::object& headers, const std::string& name) {
    for (const auto& [k, v] : headers)
        if (iequals_ascii(k, name)) return std::string(v.as_string());
    return {};
}

struct tracing_fixture : gateway_fixture {
    void clear_upstream_log() {
        test_client c(sim_server.endpoint(), test_pki("ca.pem"));
        c.request(http::verb::delete_, "/__sim/requests");
    }
    // The access line of the request with this X-Request-Id (waits for it).
    json::object access_line(const std::string& request_id) {
        json::object found;
        BOOST_TEST(eventually([&] {
            for (const auto& text : logs()) {
                const auto v = json::parse(text).as_object();
                if (v.at("msg") == "request" && v.at("request_id") == request_id.c_str()) {
                    found = v;
                    return true;
                }
            }
            return false;
        }));
        return found;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(trace_propagation, tracing_fixture)

BOOST_AUTO_TEST_CASE(a_valid_traceparent_is_continued_with_a_new_span_and_tracestate_unchanged) {
    clear_upstream_log();
    const auto r = call(http::verb::post, sessions_path, "alice", "{}",
                        {{"traceparent", parent},
                         {"tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"},
                         {"X-Request-Id", "tracedmint0123456789"}});
    BOOST_REQUIRE(r.result_int() == 200);
    const auto sent = upstream_headers(sim_requests(), "create_session");
    BOOST_REQUIRE(sent.size() == 1u);
    const auto tp = split_traceparent(header(sent[0], "traceparent"));
    BOOST_TEST(tp.trace_id == parent_trace);
    BOOST_TEST(tp.span_id != "00f067aa0ba902b7");  // the caller's span is our parent, not our span
    BOOST_TEST(tp.span_id != "0000000000000000");
    BOOST_TEST(tp.flags == "01");
    BOOST_TEST(header(sent[0], "tracestate") == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");

    const auto line = access_line("tracedmint0123456789");
    BOOST_TEST(line.at("trace_id") == parent_trace.c_str());
    // The simulator answers with an X-Request-Id of its own, as the real API does.
    const std::string upstream_id(line.at("upstream_request_id").as_string());
    BOOST_TEST(std::regex_match(upstream_id, std::regex("[A-Za-z0-9]{16,32}")));
    BOOST_TEST(upstream_id != "tracedmint0123456789");
}

// A tracestate split over several field lines is one list (RFC 9110
// section 5.3, W3C Trace Context 3.3.1): forwarded joined, in order.
BOOST_AUTO_TEST_CASE(tracestate_lines_are_forwarded_as_one_list) {
    clear_upstream_log();
    http::request<http::string_body> req{http::verb::post, sessions_path, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::authorization, "Bearer " + token("alice"));
    req.set(http::field::content_type, "application/json");
    req.set("traceparent", parent);
    req.insert("tracestate", "rojo=00f067aa0ba902b7");
    req.insert("tracestate", "congo=t61rcWkgMzE");
    req.body() = "{}";
    req.prepare_payload();
    auto c = client();
    BOOST_REQUIRE(c.send(req).result_int() == 200);
    const auto sent = upstream_headers(sim_requests(), "create_session");
    BOOST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(split_traceparent(header(sent[0], "traceparent")).trace_id == parent_trace);
    BOOST_TEST(header(sent[0], "tracestate") == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

BOOST_AUTO_TEST_CASE(every_attempt_of_a_retried_call_is_a_new_span_of_the_same_trace) {
    clear_upstream_log();
    fault("list_threads", R"({"mode": "status", "status": 503, "count": 1})");
    const auto r =
        call(http::verb::get, "/v1/chatkit/threads", "alice", {}, {{"traceparent", parent}});
    BOOST_REQUIRE(r.result_int() == 200);
    const auto sent = upstream_headers(sim_requests(), "list_threads");
    BOOST_REQUIRE(sent.size() == 2u);  // the 503, then the retry (max_retries 1)
    const auto first = split_traceparent(header(sent[0], "traceparent"));
    const auto second = split_traceparent(header(sent[1], "traceparent"));
    BOOST_TEST(first.trace_id == parent_trace);
    BOOST_TEST(second.trace_id == parent_trace);
    BOOST_TEST(first.span_id != second.span_id);
    BOOST_TEST(header(sent[1], "tracestate").empty());  // none came, none is made up
}

BOOST_AUTO_TEST_CASE(a_missing_or_invalid_traceparent_starts_a_new_trace_without_tracestate) {
    const std::optional<std::string> parents[] = {
        std::nullopt, "00-" + parent_trace + "-0000000000000000-01",
        "01-" + parent_trace + "-00f067aa0ba902b7-01",
        "00-" + std::string("4BF92F3577B34DA6A3CE929D0E0E4736") + "-00f067aa0ba902b7-01",
        "garbage\xff\xfe"};
    std::set<std::string> traces;
    int n = 0;
    for (const auto& p : parents) {
        BOOST_TEST_CONTEXT("traceparent " << p.value_or("(none)")) {
            clear_upstream_log();
            const auto request_id = "newtrace" + std::to_string(n++) + "abcdefghijklmnop";
            std::map<std::string, std::string> headers = {{"tracestate", "rojo=1"},
                                                          {"X-Request-Id", request_id}};
            if (p) headers["traceparent"] = *p;
            BOOST_REQUIRE(
                call(http::verb::post, sessions_path, "alice", "{}", headers).result_int() == 200);
            const auto sent = upstream_headers(sim_requests(), "create_session");
            BOOST_REQUIRE(sent.size() == 1u);
            const auto tp = split_traceparent(header(sent[0], "traceparent"));
            BOOST_TEST(tp.trace_id != parent_trace);
            BOOST_TEST(tp.trace_id != "00000000000000000000000000000000");
            BOOST_TEST(tp.flags == "00");
            BOOST_TEST(header(sent[0], "tracestate").empty());
            BOOST_TEST(access_line(request_id).at("trace_id") == tp.trace_id.c_str());
            traces.insert(tp.trace_id);
        }
    }
    BOOST_TEST(traces.size() == 5u);  // a new random trace each time
}

BOOST_AUTO_TEST_CASE(a_repeated_traceparent_is_not_continued) {
    clear_upstream_log();
    auto c = client();
    c.write_raw(
        "POST " + sessions_path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        token("alice") + "\r\ntraceparent: " + parent + "\r\ntraceparent: 00-" +
        std::string(32, 'a') +
        "-00f067aa0ba902b7-01\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    const auto r = c.read_response();
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(r->result_int() == 200);
    const auto sent = upstream_headers(sim_requests(), "create_session");
    BOOST_REQUIRE(sent.size() == 1u);
    const auto tp = split_traceparent(header(sent[0], "traceparent"));
    BOOST_TEST(tp.trace_id != parent_trace);
    BOOST_TEST(tp.trace_id != std::string(32, 'a'));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(log_lines_stay_valid, tracing_fixture)

BOOST_AUTO_TEST_CASE(hostile_bytes_in_a_request_never_break_a_log_line) {
    // An X-Request-Id that is not UTF-8: not echoed, a generated one instead.
    const auto r1 = call(http::verb::post, sessions_path, "alice", "{}",
                         {{"X-Request-Id", "bad\xc0\xaf\xed\xa0\x80id"}});
    BOOST_TEST(r1.result_int() == 200);
    const std::string generated(r1["X-Request-Id"]);
    BOOST_TEST(std::regex_match(generated, std::regex("[A-Za-z0-9]{16,32}")));
    // A path with bytes that are not UTF-8, on an API route and off any route.
    auto raw = client();
    raw.write_raw(
        "GET /v1/chatkit/threads/\xff\xfe\xc3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        token("alice") + "\r\nUser-Agent: agent\xf0\x9f\r\n\r\n");
    const auto r2 = raw.read_response();
    BOOST_REQUIRE(r2);
    BOOST_TEST((r2->result_int() == 400 || r2->result_int() == 404));
    const auto r3 = call(http::verb::get, "/nowhere/\xe0\x80\xaf", "alice");
    BOOST_TEST(r3.result_int() == 404);
    // A body whose unknown field name is cut for the log: at a character boundary.
    std::string key(63, 'k');
    key += "\xc3\xa9\xc3\xa9";  // "é" straddles byte 64
    const auto r4 =
        call(http::verb::post, sessions_path, "alice", "{\"" + key + "\": 1}",
             {{"Content-Type", "application/json"}, {"X-Request-Id", "cutfield0123456789ab"}});
    BOOST_TEST(r4.result_int() == 400);
    const auto cut = access_line("cutfield0123456789ab");
    BOOST_TEST(std::string(cut.at("reason").as_string()) ==
               "unknown field \"" + std::string(63, 'k') + "\"");
    access_line(generated);

    // Every line so far, through a strict parser of ours and Python's.
    const auto lines = logs();
    std::string all;
    for (const auto& text : lines) {
        json::error_code ec;
        json::parse(text, ec);
        BOOST_TEST(!ec, "not strict UTF-8 JSON: " << text);
        all += text;
    }
    const auto file = std::string("/tmp/ckg-log-lines-") + std::to_string(::getpid()) + ".jsonl";
    std::ofstream(file, std::ios::binary) << all;
    const auto checked =
        run_process({"/usr/bin/python3", "-c",
                     "import json,sys\n"
                     "data=open(sys.argv[1],'rb').read()\n"
                     "text=data.decode('utf-8')\n"  // strict: raises on any ill-formed byte
                     "n=0\n"
                     "for line in text.splitlines():\n"
                     "    assert isinstance(json.loads(line), dict)\n"
                     "    n+=1\n"
                     "print(n)\n",
                     file},
                    {});
    std::remove(file.c_str());
    BOOST_TEST(checked.exit_code == 0, checked.err);
    BOOST_TEST(std::stoul("0" + checked.out) == lines.size());
}

BOOST_AUTO_TEST_SUITE_END()
