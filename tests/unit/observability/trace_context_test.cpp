#include "chatkit_gateway/observability/trace_context.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <regex>
#include <set>
#include <string>

using namespace ckg::observability;

namespace {

const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The traceparent line an upstream request carries, parsed back.
// The captured fields as strings: a std::smatch would point into `wire`,
// which callers often pass as a temporary.
std::array<std::string, 4> traceparent_line(const std::string& wire) {
    static const std::regex line(
        "^traceparent: 00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\r\n");
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(wire, m, line));
    return {m[0].str(), m[1].str(), m[2].str(), m[3].str()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trace_context_parsing)

BOOST_AUTO_TEST_CASE(a_valid_traceparent_keeps_its_trace_id_and_flags) {
    const auto f = parse_traceparent(valid);
    BOOST_REQUIRE(f);
    BOOST_TEST(std::string(f->trace_id.data(), 32) == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(std::string(f->flags.data(), 2) == "01");
    BOOST_TEST(
        parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").has_value());
    BOOST_TEST(
        parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff").has_value());
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
    const char* invalid[] = {
        "",
        "00",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // version other than 00
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // forbidden version
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero parent id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper case
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",      // trace id too short
        "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",    // too long
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",      // parent id too short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",      // one flag digit
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-00",  // extra field on version 00
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",     // not hex
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",     // wrong separators
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // padding
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-\xc3\xa9",
    };
    for (const char* v : invalid) {
        BOOST_TEST_CONTEXT("traceparent " << v) {
            BOOST_TEST(!parse_traceparent(v));
        }
    }
}

BOOST_AUTO_TEST_CASE(tracestate_is_forwarded_only_when_bounded_and_printable) {
    BOOST_TEST(forwardable_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
    BOOST_TEST(forwardable_tracestate(std::string(512, 'a')));
    BOOST_TEST(!forwardable_tracestate(std::string(513, 'a')));
    BOOST_TEST(!forwardable_tracestate(""));
    BOOST_TEST(!forwardable_tracestate("a=\x01"));
    BOOST_TEST(!forwardable_tracestate("a=\xc3\xa9"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(trace_context_propagation)

BOOST_AUTO_TEST_CASE(a_valid_parent_is_continued_with_tracestate_unchanged) {
    const auto t = trace_context::from_request(valid, std::string_view("rojo=00f067aa0ba902b7"));
    BOOST_TEST(t.present());
    BOOST_TEST(t.continued());
    BOOST_TEST(t.trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736");
    std::string wire = "GET / HTTP/1.1\r\n";
    const auto offset = t.append_headers(wire);
    const auto m = traceparent_line(wire.substr(16));
    BOOST_TEST(m[1] == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(m[2] != "00f067aa0ba902b7");  // a span of ours, not the caller's
    BOOST_TEST(m[3] == "01");
    BOOST_TEST(wire.substr(offset, 16) == m[2]);
    BOOST_TEST(wire.ends_with("\r\ntracestate: rojo=00f067aa0ba902b7\r\n"));
}

BOOST_AUTO_TEST_CASE(a_missing_or_invalid_parent_starts_a_new_trace_without_tracestate) {
    const std::optional<std::string_view> parents[] = {
        std::nullopt, std::string_view("garbage"),
        std::string_view("00-00000000000000000000000000000000-00f067aa0ba902b7-01")};
    std::set<std::string> ids;
    for (const auto& parent : parents) {
        const auto t = trace_context::from_request(parent, std::string_view("rojo=1"));
        BOOST_TEST(t.present());
        BOOST_TEST(!t.continued());
        BOOST_TEST(std::regex_match(std::string(t.trace_id()), std::regex("[0-9a-f]{32}")));
        BOOST_TEST(t.trace_id() != "00000000000000000000000000000000");
        ids.insert(std::string(t.trace_id()));
        std::string wire;
        t.append_headers(wire);
        const auto m = traceparent_line(wire);
        BOOST_TEST(m[1] == t.trace_id());
        BOOST_TEST(m[3] == "00");
        BOOST_TEST(wire.find("tracestate") == std::string::npos);
    }
    BOOST_TEST(ids.size() == 3u);  // random, not a constant
}

BOOST_AUTO_TEST_CASE(every_attempt_gets_a_fresh_span_id_in_place) {
    const auto t = trace_context::from_request(valid, std::nullopt);
    std::string wire = "POST /v1/chatkit/sessions HTTP/1.1\r\n";
    const auto offset = t.append_headers(wire);
    wire += "Content-Length: 0\r\n\r\n";
    const auto size = wire.size();
    std::set<std::string> spans;
    for (int i = 0; i < 50; ++i) {
        trace_context::write_span_id(wire.data() + offset);
        BOOST_TEST(wire.size() == size);
        const auto m = traceparent_line(wire.substr(wire.find("traceparent")));
        BOOST_TEST(m[1] == "4bf92f3577b34da6a3ce929d0e0e4736");
        BOOST_TEST(m[2] != "0000000000000000");
        spans.insert(m[2]);
    }
    BOOST_TEST(spans.size() == 50u);
    BOOST_TEST(wire.ends_with("-01\r\nContent-Length: 0\r\n\r\n"));
}

BOOST_AUTO_TEST_CASE(no_trace_adds_nothing) {
    const trace_context none;
    std::string wire = "x";
    BOOST_TEST(!none.present());
    BOOST_TEST(none.trace_id().empty());
    BOOST_TEST(none.append_headers(wire) == std::string::npos);
    BOOST_TEST(wire == "x");
}

BOOST_AUTO_TEST_SUITE_END()
