#include "chatkit_gateway/upstream/proxy_choice.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/config/proxy_url.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace ckg;
using config::parse_proxy_url;
using config::proxy_endpoint;
using upstream::no_proxy_list;
using upstream::proxy_source;

namespace {

config::environment env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// The route to `host` with upstream.proxy_url `configured` and the environment `env`.
upstream::proxy_choice choose_proxy(const std::optional<proxy_endpoint>& configured,
                                    const config::environment& env, std::string_view host) {
    config::upstream_config u;
    u.proxy_url = configured;
    config::read_proxy_environment(env, u);
    return upstream::choose_proxy(u, host);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_url_parsing)

BOOST_AUTO_TEST_CASE(http_host_port_is_the_one_accepted_form) {
    const std::pair<const char*, proxy_endpoint> good[] = {
        {"http://proxy.internal:3128", {"proxy.internal", "3128"}},
        {"http://proxy.internal:3128/", {"proxy.internal", "3128"}},
        {"HTTP://Proxy:8080", {"Proxy", "8080"}},
        {"http://10.0.0.7:3128", {"10.0.0.7", "3128"}},
        {"http://[fd00::7]:3128", {"fd00::7", "3128"}},
        {"http://p:1", {"p", "1"}},
        {"http://p:65535", {"p", "65535"}},
    };
    for (const auto& [url, expected] : good) {
        BOOST_TEST_CONTEXT(url) {
            const auto p = parse_proxy_url(url);
            BOOST_REQUIRE(p);
            BOOST_TEST(p->host == expected.host);
            BOOST_TEST(p->port == expected.port);
        }
    }
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
    for (const char* url : {"",
                            "proxy:3128",
                            "https://proxy:3128",
                            "socks5://proxy:1080",
                            "http://proxy",
                            "http://proxy:",
                            "http://:3128",
                            "http://proxy:0",
                            "http://proxy:65536",
                            "http://proxy:80a",
                            "http://user:pw@proxy:3128",
                            "http://proxy:3128/path",
                            "http://proxy:3128?x=1",
                            "http://proxy:3128#f",
                            "http://pro xy:3128",
                            "http://proxy..internal:3128",
                            "http://[fd00::7]3128",
                            "http://[fd00::zz]:3128",
                            "http://fd00::7:3128",
                            "http://[fe80::1%eth0]:3128",
                            "http://proxy:3128//",
                            "http://proxy:+3128"}) {
        BOOST_TEST_CONTEXT(url) {
            BOOST_TEST(!parse_proxy_url(url));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(no_proxy_matching)

struct match_case {
    const char* list;
    const char* host;
    bool bypass;
};

BOOST_AUTO_TEST_CASE(every_form_matches_what_it_should_and_nothing_more) {
    const match_case cases[] = {
        // host names: exact, case-insensitive, trailing dots ignored
        {"api.openai.com", "api.openai.com", true},
        {"API.OpenAI.com", "api.openai.com", true},
        {"api.openai.com.", "api.openai.com", true},
        {"api.openai.com", "api.openai.com.", true},
        {"api.openai.com", "openai.com", false},
        // domain suffixes: with or without the leading dot, the domain and its subdomains
        {".example.com", "example.com", true},
        {".example.com", "id.example.com", true},
        {".example.com", "a.b.example.com", true},
        {"example.com", "example.com", true},
        {"example.com", "id.example.com", true},
        {"example.com", "badexample.com", false},
        {".example.com", "badexample.com", false},
        {"example.com", "example.com.evil.net", false},
        // IP addresses, compared as addresses
        {"10.0.0.7", "10.0.0.7", true},
        {"10.0.0.7", "10.0.0.70", false},
        {"10.0.0.7", "10.0.0.8", false},
        {"::1", "[::1]", true},
        {"[::1]", "::1", true},
        {"fd00:0:0:0:0:0:0:7", "fd00::7", true},
        {"fd00::7", "fd00::8", false},
        {"10.0.0.7", "ten.example", false},
        // "*" and lists
        {"*", "anything.example", true},
        {"*", "192.0.2.1", true},
        {"localhost, .svc.cluster.local ,10.1.2.3", "keycloak.auth.svc.cluster.local", true},
        {"localhost, .svc.cluster.local ,10.1.2.3", "10.1.2.3", true},
        {"localhost, .svc.cluster.local ,10.1.2.3", "api.openai.com", false},
        {",,  ,", "api.openai.com", false},
        {"", "api.openai.com", false},
        // forms outside the list match nothing rather than too much
        {"10.0.0.0/8", "10.0.0.7", false},
        {"proxy.internal:3128", "proxy.internal", false},
        {"*.example.com", "id.example.com", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("NO_PROXY=\"" << c.list << "\", host " << c.host) {
            BOOST_TEST(no_proxy_list::parse(c.list).matches(c.host) == c.bypass);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(proxy_choosing)

BOOST_AUTO_TEST_CASE(the_configured_proxy_wins_and_ignores_no_proxy) {
    const proxy_endpoint configured{"proxy.internal", "3128"};
    const auto env = env_of({{"HTTPS_PROXY", "http://other:8080"}, {"NO_PROXY", "*"}});
    const auto c = choose_proxy(configured, env, "api.openai.com");
    BOOST_TEST((c.source == proxy_source::configuration));
    BOOST_REQUIRE(c.proxy);
    BOOST_TEST(c.proxy->host == "proxy.internal");
}

BOOST_AUTO_TEST_CASE(the_environment_is_used_except_where_no_proxy_matches) {
    const auto env = env_of(
        {{"HTTPS_PROXY", "http://egress:3128"}, {"NO_PROXY", ".svc.cluster.local,10.0.0.9"}});
    auto c = choose_proxy(std::nullopt, env, "api.openai.com");
    BOOST_TEST((c.source == proxy_source::environment));
    BOOST_REQUIRE(c.proxy);
    BOOST_TEST(c.proxy->host == "egress");
    BOOST_TEST(c.proxy->port == "3128");
    c = choose_proxy(std::nullopt, env, "keycloak.auth.svc.cluster.local");
    BOOST_TEST((c.source == proxy_source::bypassed_by_no_proxy));
    BOOST_TEST(!c.proxy);
    BOOST_TEST(!choose_proxy(std::nullopt, env, "10.0.0.9").proxy);
}

BOOST_AUTO_TEST_CASE(upper_case_variables_come_first_lower_case_ones_count_too) {
    auto c = choose_proxy(
        std::nullopt,
        env_of({{"HTTPS_PROXY", "http://upper:1"}, {"https_proxy", "http://lower:2"}}), "h");
    BOOST_TEST(c.proxy->host == "upper");
    c = choose_proxy(std::nullopt, env_of({{"https_proxy", "http://lower:2"}, {"no_proxy", "h"}}),
                     "h");
    BOOST_TEST((c.source == proxy_source::bypassed_by_no_proxy));
    c = choose_proxy(std::nullopt,
                     env_of({{"HTTPS_PROXY", "  "}, {"https_proxy", "http://lower:2"}}), "x");
    BOOST_TEST(c.proxy->host == "lower");
    c = choose_proxy(std::nullopt, env_of({{"HTTP_PROXY", "http://plain:3"}}),
                     "x");  // never for HTTPS
    BOOST_TEST((c.source == proxy_source::none));
    BOOST_TEST(!c.proxy);
}

BOOST_AUTO_TEST_CASE(a_malformed_environment_proxy_is_an_error_not_a_bypass) {
    for (const char* value : {"egress:3128", "https://egress:3128", "http://user:pw@egress:3128"}) {
        BOOST_TEST_CONTEXT(value) {
            try {
                choose_proxy(std::nullopt, env_of({{"https_proxy", value}}), "api.openai.com");
                BOOST_FAIL("no error for " << value);
            } catch (const config::config_error& e) {
                BOOST_TEST(e.path() == "https_proxy");
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
