// CORS and the CSRF rule (docs/api.md, "CORS") on the session routes:
// allowed origins get the headers (a page can read Retry-After and
// X-Request-Id), others get none and cannot change state, preflights answer
// per route, cookie auth adds Allow-Credentials; mobile WebView origins and
// one-label patterns are matched as configured.
#include "gateway_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::test;
namespace json = boost::json;

namespace {

const std::string app_origin = "https://app.example.com";
const std::string evil_origin = "https://evil.example.com";

struct cors_fixture : gateway_fixture {
    cors_fixture() : gateway_fixture("", R"(["https://app.example.com"])", R"("session_token")") {}

    // One hand-made request on a new connection, and its answer.
    response send(const std::string& request) {
        auto c = client();
        c.write_raw(request);
        auto r = c.read_response();
        BOOST_REQUIRE(r.has_value());
        return *r;
    }
};

std::string code_of(const response& r) {
    return std::string(json::parse(r.body()).at("error").at("code").as_string());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cors, cors_fixture)

BOOST_AUTO_TEST_CASE(allowed_origin_gets_cors_headers_on_every_answer) {
    auto ok =
        call(http::verb::post, "/v1/chatkit/sessions", "alice", "{}", {{"Origin", app_origin}});
    BOOST_TEST(ok.result_int() == 200);
    BOOST_TEST(ok[http::field::access_control_allow_origin] == app_origin);
    BOOST_TEST(ok[http::field::access_control_allow_credentials] == "true");
    BOOST_TEST(ok[http::field::vary] == "Origin");
    BOOST_TEST(ok[http::field::access_control_expose_headers] == "Retry-After, X-Request-Id");
    auto unauthorized =
        call(http::verb::post, "/v1/chatkit/sessions", "", "{}", {{"Origin", app_origin}});
    BOOST_TEST(unauthorized.result_int() == 401);
    BOOST_TEST(unauthorized[http::field::access_control_allow_origin] == app_origin);
    BOOST_TEST(unauthorized[http::field::access_control_expose_headers] ==
               "Retry-After, X-Request-Id");
}

// Answers given before any route runs (unknown route, wrong method,
// framing, a declared size) carry the headers too, once the header is read
// whole: without them a page sees an opaque network error instead of the 413
// that says its body is too large.
BOOST_AUTO_TEST_CASE(allowed_origin_gets_cors_headers_on_refusals_too) {
    const auto origin_field = [](const std::string& origin) {
        return "Origin: " + origin + "\r\n";
    };
    const std::vector<std::pair<int, std::string>> refusals = {
        {404, "GET /v1/unknown HTTP/1.1\r\nHost: x\r\n{origin}\r\n"},
        {405, "PUT /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n{origin}Content-Length: 0\r\n\r\n"},
        {413,
         "POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n{origin}"
         "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"},
        {400,
         "POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n{origin}"
         "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
    };
    for (const auto& [status, request] : refusals) {
        const auto with = [&](const std::string& origin) {
            auto text = request;
            text.replace(text.find("{origin}"), 8, origin_field(origin));
            return send(text);
        };
        BOOST_TEST_CONTEXT(status) {
            const auto allowed = with(app_origin);
            BOOST_TEST(allowed.result_int() == status);
            BOOST_TEST(allowed[http::field::access_control_allow_origin] == app_origin);
            BOOST_TEST(allowed[http::field::access_control_expose_headers] ==
                       "Retry-After, X-Request-Id");
            BOOST_TEST(allowed[http::field::access_control_allow_credentials] == "true");
            BOOST_TEST(allowed[http::field::vary] == "Origin");
            const auto other = with(evil_origin);
            BOOST_TEST(other.result_int() == status);
            BOOST_TEST(other.count(http::field::access_control_allow_origin) == 0u);
            BOOST_TEST(other.count(http::field::access_control_expose_headers) == 0u);
        }
    }
}

// Fields after the last chunk are trailer fields, not header fields (RFC
// 9110 section 6.5.1): a credential, an Origin or a request id there is not
// the request's. They used to be merged into the header: a token only in the
// trailer minted a session, an Origin there got the CORS headers.
BOOST_AUTO_TEST_CASE(trailer_fields_are_not_header_fields) {
    const auto minted = upstream_count("create_session");
    const auto chunked = [&](const std::string& trailer) {
        return send(
            "POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            "2\r\n{}\r\n0\r\n" +
            trailer + "\r\n");
    };
    for (const auto& credential :
         {"Authorization: Bearer " + token("alice"), "Cookie: session_token=" + token("alice")}) {
        BOOST_TEST_CONTEXT(credential.substr(0, 20)) {
            const auto r = chunked(credential + "\r\n");
            BOOST_TEST(r.result_int() == 401);
            BOOST_TEST(code_of(r) == "missing_token");
        }
    }
    // Beast files a trailer field next to a header field of the same name:
    // neither may it get in that way, nor push a header field out.
    const auto with_header = [&](const std::string& fields, const std::string& trailer) {
        return send("POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n" + fields +
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2\r\n{}\r\n0\r\n" +
                    trailer + "\r\n");
    };
    const auto beside = with_header("Cookie: theme=dark\r\nX-Pad: 1\r\n",
                                    "Cookie: session_token=" + token("alice") + "\r\n");
    BOOST_TEST(beside.result_int() == 401);
    BOOST_TEST(code_of(beside) == "missing_token");
    const auto second_token = with_header("Authorization: Bearer not-a-token\r\n",
                                          "Authorization: Bearer " + token("alice") + "\r\n");
    BOOST_TEST(second_token.result_int() == 401);
    BOOST_TEST(code_of(second_token) == "invalid_token");
    BOOST_TEST(upstream_count("create_session") == minted);
    const auto pushed_out = send(
        "POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token("alice") +
        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nOrigin: " +
        evil_origin + "\r\n\r\n2\r\n{}\r\n0\r\nHost: y\r\n\r\n");
    BOOST_TEST(pushed_out.result_int() == 403);
    BOOST_TEST(code_of(pushed_out) == "origin_not_allowed");
    BOOST_TEST(upstream_count("create_session") == minted);
    const auto with_origin =
        chunked("Origin: " + app_origin + "\r\nX-Request-Id: from-trailer\r\n");
    BOOST_TEST(with_origin.count(http::field::access_control_allow_origin) == 0u);
    BOOST_TEST(with_origin["X-Request-Id"] != "from-trailer");
}

// A header refused part-way may hold one Origin of two: only a header read
// whole shows there is one, so a refusal before its end carries no CORS
// headers (docs/api.md, "CORS").
BOOST_AUTO_TEST_CASE(a_header_refused_part_way_gets_no_cors_headers) {
    const std::vector<std::pair<int, std::string>> refusals = {
        {400, "GET /v1/chatkit/threads HTTP/1.1\r\nHost: x\r\nOrigin: " + app_origin +
                  "\r\nBad Field: y\r\nOrigin: " + evil_origin + "\r\n\r\n"},
        {431, "GET /v1/chatkit/threads HTTP/1.1\r\nHost: x\r\nOrigin: " + app_origin +
                  "\r\nX-Big: " + std::string(20000, 'a') + "\r\nOrigin: " + evil_origin +
                  "\r\n\r\n"},
    };
    for (const auto& [status, request] : refusals) {
        BOOST_TEST_CONTEXT(status) {
            const auto r = send(request);
            BOOST_TEST(r.result_int() == status);
            BOOST_TEST(r.count(http::field::access_control_allow_origin) == 0u);
            BOOST_TEST(r.count(http::field::access_control_allow_credentials) == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(disallowed_origin_cannot_change_state) {
    auto r =
        call(http::verb::post, "/v1/chatkit/sessions", "alice", "{}", {{"Origin", evil_origin}});
    BOOST_TEST(r.result_int() == 403);
    BOOST_TEST(code_of(r) == "origin_not_allowed");
    BOOST_TEST(r.count(http::field::access_control_allow_origin) == 0u);
    BOOST_TEST(r.count(http::field::access_control_expose_headers) == 0u);
    // Checked before the token: a cookie-carrying cross-site request never gets further.
    auto cookie = call(http::verb::post, "/v1/chatkit/sessions", "", "{}",
                       {{"Origin", evil_origin}, {"Cookie", "session_token=" + token("alice")}});
    BOOST_TEST(cookie.result_int() == 403);
    auto del = call(http::verb::delete_, "/v1/chatkit/sessions/abc", "alice", "",
                    {{"Origin", "https://app.example.com.evil"}});
    BOOST_TEST(del.result_int() == 403);
    BOOST_TEST(upstream_count("create_session") == 0);
}

// A browser sends one Origin. Two (even both allowed) are no origin this
// gateway allows: a state change is refused before the token, a preflight
// too, and no answer carries CORS headers.
BOOST_AUTO_TEST_CASE(two_origin_fields_are_not_an_allowed_origin) {
    const auto minted = upstream_count("create_session");
    for (const auto& second : {evil_origin, app_origin}) {
        BOOST_TEST_CONTEXT(second) {
            const auto fields = "Origin: " + app_origin + "\r\nOrigin: " + second + "\r\n";
            const auto post =
                send("POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n" + fields +
                     "Cookie: session_token=" + token("alice") +
                     "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
            BOOST_TEST(post.result_int() == 403);
            BOOST_TEST(code_of(post) == "origin_not_allowed");
            BOOST_TEST(post.count(http::field::access_control_allow_origin) == 0u);
            const auto pre = send("OPTIONS /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\n" + fields +
                                  "Access-Control-Request-Method: POST\r\n\r\n");
            BOOST_TEST(pre.result_int() == 403);
            BOOST_TEST(pre.count(http::field::access_control_allow_origin) == 0u);
        }
    }
    BOOST_TEST(upstream_count("create_session") == minted);
}

BOOST_AUTO_TEST_CASE(cookie_auth_from_an_allowed_origin_works) {
    auto r =
        call(http::verb::post, "/v1/chatkit/sessions", "", "{}",
             {{"Origin", app_origin}, {"Cookie", "theme=dark; session_token=" + token("bob")}});
    BOOST_TEST(r.result_int() == 200);
    BOOST_TEST(r[http::field::access_control_allow_credentials] == "true");
}

// Two credentials where one is expected: a cookie named twice (a sibling
// site can set one for the parent domain that comes first), in one Cookie
// field or across two, or two Authorization headers. Neither user is taken.
BOOST_AUTO_TEST_CASE(a_credential_given_twice_is_refused_whichever_comes_first) {
    const std::string bob = token("bob"), alice = token("alice");
    const auto mint = [&](const std::string& credential_fields) {
        auto c = client();
        c.write_raw("POST /v1/chatkit/sessions HTTP/1.1\r\nHost: x\r\nOrigin: " + app_origin +
                    "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" +
                    credential_fields + "\r\n{}");
        auto r = c.read_response();
        BOOST_REQUIRE(r.has_value());
        return *r;
    };
    const auto minted = upstream_count("create_session");
    const std::vector<std::string> twice = {
        "Cookie: session_token=" + bob + "; session_token=" + alice + "\r\n",
        "Cookie: session_token=" + bob + "\r\nCookie: theme=dark; session_token=" + alice + "\r\n",
        "Authorization: Bearer " + bob + "\r\nAuthorization: Bearer " + alice + "\r\n",
    };
    for (const auto& fields : twice) {
        BOOST_TEST_CONTEXT(fields.substr(0, 40)) {
            const auto r = mint(fields);
            BOOST_TEST(r.result_int() == 401);
            BOOST_TEST(code_of(r) == "invalid_token");
        }
    }
    BOOST_TEST(upstream_count("create_session") == minted);
    // One auth cookie in the second of two Cookie fields is found.
    BOOST_TEST(mint("Cookie: theme=dark\r\nCookie: session_token=" + bob + "\r\n").result_int() ==
               200);
}

BOOST_AUTO_TEST_CASE(preflights_answer_per_route) {
    auto c = client();
    http::request<http::string_body> pre{http::verb::options, "/v1/chatkit/sessions", 11};
    pre.set(http::field::host, "x");
    pre.set(http::field::origin, app_origin);
    pre.set(http::field::access_control_request_method, "POST");
    auto ok = c.send(pre);
    BOOST_TEST(ok.result_int() == 204);
    BOOST_TEST(ok[http::field::access_control_allow_methods] == "POST");
    BOOST_TEST(ok[http::field::access_control_allow_headers] ==
               "Authorization, Content-Type, X-Request-Id");
    BOOST_TEST(ok[http::field::access_control_max_age] == "600");
    BOOST_TEST(ok[http::field::access_control_allow_origin] == app_origin);
    BOOST_TEST(ok[http::field::access_control_allow_credentials] == "true");
    BOOST_TEST(ok[http::field::vary] == "Origin");
    // RFC 9110 section 8.6: a 204 carries no Content-Length (the same
    // connection is used on, so its framing held without one).
    BOOST_TEST(ok.count(http::field::content_length) == 0u);

    pre.target("/v1/chatkit/sessions/some-handle");
    BOOST_TEST(c.send(pre)[http::field::access_control_allow_methods] == "DELETE");

    pre.set(http::field::origin, evil_origin);
    auto refused = c.send(pre);
    BOOST_TEST(refused.result_int() == 403);
    BOOST_TEST(refused.count(http::field::access_control_allow_origin) == 0u);

    http::request<http::string_body> plain{http::verb::options, "/v1/chatkit/sessions", 11};
    plain.set(http::field::host, "x");
    auto bare = c.send(plain);
    BOOST_TEST(bare.result_int() == 204);
    // The path's methods, as its 405 lists them: OPTIONS is one of them.
    BOOST_TEST(bare[http::field::allow] == "POST, OPTIONS");
    BOOST_TEST(bare.count(http::field::content_length) == 0u);
    http::request<http::string_body> put{http::verb::put, "/v1/chatkit/sessions", 11};
    put.set(http::field::host, "x");
    auto wrong = c.send(put);
    BOOST_TEST(wrong.result_int() == 405);
    BOOST_TEST(wrong[http::field::allow] == bare[http::field::allow]);
    plain.target("/v1/chatkit/threads/cthr_1");
    BOOST_TEST(c.send(plain)[http::field::allow] == "GET, DELETE, OPTIONS");

    plain.target("/v1/unknown");
    BOOST_TEST(c.send(plain).result_int() == 404);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Mobile WebViews and preview deployments: any scheme, and "*" for one label.
struct pattern_fixture : gateway_fixture {
    pattern_fixture()
        : gateway_fixture("",
                          R"(["capacitor://localhost", "http://localhost:3000",
                              "https://*.preview.example.com"])") {}
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cors_patterns, pattern_fixture)

BOOST_AUTO_TEST_CASE(webview_and_one_label_origins_are_allowed) {
    for (const std::string origin :
         {"capacitor://localhost", "http://localhost:3000", "https://pr-7.preview.example.com"}) {
        BOOST_TEST_CONTEXT(origin) {
            auto r =
                call(http::verb::post, "/v1/chatkit/sessions", "alice", "{}", {{"Origin", origin}});
            BOOST_TEST(r.result_int() == 200);
            BOOST_TEST(r[http::field::access_control_allow_origin] == origin);
            BOOST_TEST(r[http::field::access_control_expose_headers] ==
                       "Retry-After, X-Request-Id");
            BOOST_TEST(r.count(http::field::access_control_allow_credentials) == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_domain_itself_and_deeper_names_are_refused) {
    for (const std::string origin :
         {"https://preview.example.com", "https://a.b.preview.example.com",
          "http://pr-7.preview.example.com", "https://pr-7.preview.example.com:8443",
          "https://pr-7.preview.example.com.evil.net", "ionic://localhost", "http://localhost:3001",
          "null"}) {
        BOOST_TEST_CONTEXT(origin) {
            auto r =
                call(http::verb::post, "/v1/chatkit/sessions", "alice", "{}", {{"Origin", origin}});
            BOOST_TEST(r.result_int() == 403);
            BOOST_TEST(code_of(r) == "origin_not_allowed");
            BOOST_TEST(r.count(http::field::access_control_allow_origin) == 0u);
            // A read is served, but without CORS headers the page cannot see it.
            auto read =
                call(http::verb::get, "/v1/chatkit/threads", "alice", "", {{"Origin", origin}});
            BOOST_TEST(read.result_int() == 200);
            BOOST_TEST(read.count(http::field::access_control_allow_origin) == 0u);
        }
    }
    BOOST_TEST(upstream_count("create_session") == 0);
}

BOOST_AUTO_TEST_CASE(a_page_can_read_retry_after_on_a_429) {
    const std::string origin = "https://pr-7.preview.example.com";
    response last;
    for (int i = 0; i < 8; ++i) {
        last = call(http::verb::post, "/v1/chatkit/sessions", "bob", "{}", {{"Origin", origin}});
        if (last.result_int() == 429) break;
    }
    BOOST_TEST_REQUIRE(last.result_int() == 429);
    BOOST_TEST(last[http::field::access_control_allow_origin] == origin);
    BOOST_TEST(last[http::field::access_control_expose_headers] == "Retry-After, X-Request-Id");
    BOOST_TEST(!last[http::field::retry_after].empty());
    BOOST_TEST(!last["X-Request-Id"].empty());
}

BOOST_AUTO_TEST_SUITE_END()
