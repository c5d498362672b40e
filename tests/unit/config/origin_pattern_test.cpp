// cors.allowed_origins matching (docs/api.md, "CORS"): exact origins of any
// scheme, and "*" standing for exactly one DNS label, never the domain itself.
#include "chatkit_gateway/config/origin_pattern.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using ckg::config::origin_pattern;

namespace {

origin_pattern pattern(std::string_view text) {
    std::string problem;
    auto p = origin_pattern::parse(text, problem);
    BOOST_TEST_REQUIRE(p.has_value(), "refused " << text << ": " << problem);
    return *p;
}

struct match_case {
    const char* entry;
    const char* origin;
    bool allowed;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(origin_matching)

BOOST_AUTO_TEST_CASE(exact_origins_match_only_themselves) {
    const match_case cases[] = {
        {"https://app.example.com", "https://app.example.com", true},
        {"https://app.example.com", "http://app.example.com", false},
        {"https://app.example.com", "https://app.example.com:443", false},
        {"https://app.example.com", "https://app.example.com.evil.com", false},
        {"https://app.example.com", "https://evilapp.example.com", false},
        {"https://app.example.com", "https://app.example.co", false},
        {"https://app.example.com", "null", false},
        {"https://app.example.com", "", false},
        {"http://localhost:3000", "http://localhost:3000", true},
        {"http://localhost:3000", "http://localhost:3001", false},
        {"http://localhost:3000", "http://localhost", false},
        {"capacitor://localhost", "capacitor://localhost", true},
        {"capacitor://localhost", "ionic://localhost", false},
        {"http://[::1]:8080", "http://[::1]:8080", true},
        {"HTTPS://App.Example.com", "https://app.example.com", true},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.entry << " vs " << c.origin) {
            BOOST_TEST(pattern(c.entry).matches(c.origin) == c.allowed);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_star_is_exactly_one_label) {
    const match_case cases[] = {
        {"https://*.example.com", "https://app.example.com", true},
        {"https://*.example.com", "https://pr-1234.example.com", true},
        {"https://*.example.com", "https://A1.example.com", true},
        {"https://*.example.com", "https://example.com", false},           // the domain itself
        {"https://*.example.com", "https://.example.com", false},          // an empty label
        {"https://*.example.com", "https://a.b.example.com", false},       // two labels
        {"https://*.example.com", "http://app.example.com", false},        // another scheme
        {"https://*.example.com", "https://app.example.com:8443", false},  // another port
        {"https://*.example.com", "https://app.example.com.evil.com", false},
        {"https://*.example.com", "https://appexample.com", false},
        {"https://*.example.com", "https://evil.com/.example.com", false},  // not a label
        {"https://*.example.com", "https://a_b.example.com", false},
        {"https://*.example.com", "https://a%2eb.example.com", false},
        {"https://*.example.com", "https://a b.example.com", false},
        {"https://*.example.com:8443", "https://app.example.com:8443", true},
        {"https://*.example.com:8443", "https://app.example.com", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.entry << " vs " << c.origin) {
            BOOST_TEST(pattern(c.entry).matches(c.origin) == c.allowed);
        }
    }
    // A label is at most 63 characters (RFC 1035).
    const auto p = pattern("https://*.example.com");
    BOOST_TEST(p.matches("https://" + std::string(63, 'a') + ".example.com"));
    BOOST_TEST(!p.matches("https://" + std::string(64, 'a') + ".example.com"));
}

BOOST_AUTO_TEST_CASE(refused_entries_say_why) {
    for (const char* text : {"null", "*", "https://*", "https://a.*.example.com",
                             "https://*.*.example.com", "https://*.com", "https://a.example.com/",
                             "https://a.example.com:99999", "file:///tmp", "https://x@a.com"}) {
        BOOST_TEST_CONTEXT(text) {
            std::string problem;
            BOOST_TEST(!origin_pattern::parse(text, problem).has_value());
            BOOST_TEST(!problem.empty());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
