// SPDX-License-Identifier: MIT
// HttpSession driven with plain byte strings, no sockets: exact responses for the built-in page,
// every error status, keep-alive rules, pipelining, requests split byte by byte, and the bounds
// on what one client can make the session hold. Document-root tests are in http_site_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "apps/http/http_session.hh"
#include "apps/http/http_site.hh"

namespace tapstack {
namespace {

using namespace std::string_literals;

// One session over one site, with helpers that speak strings.
struct Harness {
    explicit Harness(HttpConfig config = {}) : site(std::move(config)), session(site) {}

    // Feeds all of `bytes` (asserting the session takes them) and returns what it produces.
    std::string send(std::string_view bytes) {
        EXPECT_EQ(session.on_data(as_bytes(bytes)), bytes.size());
        return drain();
    }
    // Everything produce() has to give now, `chunk` bytes per call.
    std::string drain(size_t chunk = 4096) {
        std::string out;
        std::string buf(chunk, '\0');
        for (;;) {
            size_t n = session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
            EXPECT_LE(n, chunk);
            if (n == 0) return out;
            out.append(buf, 0, n);
        }
    }

    HttpSite site;
    HttpSession session;
};

HttpConfig keep_alive(uint32_t seconds = 5) {
    HttpConfig c;
    c.keep_alive_seconds = seconds;
    return c;
}

constexpr std::string_view hello_response =
    "HTTP/1.1 200 OK\r\n"
    "Server: tapstack\r\n"
    "Content-Length: 13\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello World!\n";

std::string status_line(std::string_view response) { return std::string{response.substr(0, response.find("\r\n"))}; }

std::string body_of(std::string_view response) {
    size_t end = response.find("\r\n\r\n");
    return end == std::string_view::npos ? std::string{} : std::string{response.substr(end + 4)};
}

bool has_header(std::string_view response, std::string_view line) {
    std::string_view head = response.substr(0, response.find("\r\n\r\n") + 2);
    return head.find(std::string{"\r\n"} + std::string{line} + "\r\n") != std::string_view::npos;
}

// ------------------------------------------------------------------------------ the built-in page

TEST(HttpSession, GetSlashReturnsTheHelloPageAndFinishes) {
    Harness h;
    EXPECT_EQ(h.session.status(), HttpSession::Status::ReadingRequest);
    EXPECT_EQ(h.send("GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"),
              hello_response);
    EXPECT_EQ(h.session.status(), HttpSession::Status::Finished);
    EXPECT_TRUE(h.session.should_close());
    EXPECT_EQ(h.session.last_status(), 200);
}

TEST(HttpSession, IndexHtmlIsTheHelloPageToo) {
    Harness h;
    EXPECT_EQ(body_of(h.send("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")), "Hello World!\n");
}

TEST(HttpSession, HeadHasTheSameHeadersAndNoBody) {
    Harness h;
    std::string head{hello_response.substr(0, hello_response.find("\r\n\r\n") + 4)};
    EXPECT_EQ(h.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"), head);
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, OtherPathsAre404) {
    Harness h;
    std::string r = h.send("GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r,
              "HTTP/1.1 404 Not Found\r\nServer: tapstack\r\nContent-Length: 14\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n404 Not Found\n");
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, QueryStringIsIgnored) {
    Harness h;
    EXPECT_EQ(h.send("GET /?q=1&r=%zz HTTP/1.1\r\nHost: x\r\n\r\n"), hello_response);
}

TEST(HttpSession, AbsoluteFormTargetIsAccepted) {
    Harness h;
    EXPECT_EQ(h.send("GET http://10.0.0.2/ HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n"), hello_response);
}

TEST(HttpSession, Http10RequestGetsAnHttp11Response) {
    Harness h;
    EXPECT_EQ(h.send("GET / HTTP/1.0\r\n\r\n"), hello_response);  // no Host needed in 1.0
}

TEST(HttpSession, LaterMinorVersionIsAnsweredAs11) {
    Harness h;
    EXPECT_EQ(status_line(h.send("GET / HTTP/1.7\r\nHost: x\r\n\r\n")), "HTTP/1.1 200 OK");
}

TEST(HttpSession, BareLfLineEndsAndLeadingEmptyLinesAreAccepted) {
    Harness h;
    EXPECT_EQ(h.send("\r\n\nGET / HTTP/1.1\nHost: x\n\n"), hello_response);
}

TEST(HttpSession, DateHeaderComesFromTheTimeGivenToTheSite) {
    HttpConfig c;
    c.wall_clock_offset = std::chrono::seconds{784111777};  // RFC 9110's example date
    Harness h{c};
    h.site.update_date(Instant::from_ms(0));
    std::string r = h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.substr(0, r.find("Server:")), "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
}

// ---------------------------------------------------------------------------------- error statuses

struct ErrorCase {
    const char* name;
    std::string request;
    int status;
};

class HttpSessionError : public testing::TestWithParam<ErrorCase> {};

TEST_P(HttpSessionError, IsAnsweredWithTheStatusAndTheConnectionCloses) {
    Harness h{keep_alive()};  // even with keep-alive on, errors close
    std::string r = h.send(GetParam().request);
    std::string expected_status = std::to_string(GetParam().status);
    EXPECT_EQ(status_line(r).substr(0, 12), "HTTP/1.1 " + expected_status) << r;
    EXPECT_TRUE(has_header(r, "Connection: close")) << r;
    EXPECT_EQ(body_of(r).substr(0, 3), expected_status);
    EXPECT_TRUE(h.session.should_close());
    EXPECT_EQ(h.drain(), "");
    // Whatever the client sends afterwards is taken and ignored.
    EXPECT_EQ(h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, HttpSessionError,
    testing::Values(
        ErrorCase{"Post", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405},
        ErrorCase{"Delete", "DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n", 405},
        ErrorCase{"LowercaseGet", "get / HTTP/1.1\r\nHost: x\r\n\r\n", 405},
        ErrorCase{"NoVersion", "GET /\r\n\r\n", 400},
        ErrorCase{"DoubleSpace", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"TrailingSpace", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400},
        ErrorCase{"BadVersionShape", "GET / HTTP/1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"LowercaseVersion", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"BadMethodChar", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"NonAsciiTarget", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"TargetNotAPath", "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"Asterisk", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
        ErrorCase{"ObsFold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400},
        ErrorCase{"NoColon", "GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n", 400},
        ErrorCase{"BareCr", "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400},
        ErrorCase{"NulInValue", "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n"s, 400},
        ErrorCase{"NoHostIn11", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
        ErrorCase{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        ErrorCase{"BadContentLength", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400},
        ErrorCase{"NegativeContentLength", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
        ErrorCase{"ConflictingContentLengths",
                  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
        ErrorCase{"ContentLengthAndChunked",
                  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        ErrorCase{"BadPercentEncoding", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"TruncatedPercentEncoding", "GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"EncodedNul", "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"DotDot", "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"EncodedDotDot", "GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"Backslash", "GET /..\\etc HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        ErrorCase{"Chunked", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411},
        ErrorCase{"OtherTransferCoding", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        ErrorCase{"BodyTooLarge", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 413},
        ErrorCase{"HugeContentLength",
                  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413},
        ErrorCase{"Http2", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        ErrorCase{"Http09Major", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505},
        ErrorCase{"LongRequestLine", "GET /" + std::string(8200, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
        ErrorCase{"TooManyHeaders",
                  [] {
                      std::string r = "GET / HTTP/1.1\r\nHost: x\r\n";
                      for (int i = 0; i < 100; ++i) r += "X-" + std::to_string(i) + ": y\r\n";
                      return r + "\r\n";
                  }(),
                  431},
        ErrorCase{"HeaderSectionTooLarge",
                  "GET / HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(17000, 'c') + "\r\n\r\n", 431}),
    [](const testing::TestParamInfo<ErrorCase>& param_info) { return std::string{param_info.param.name}; });

TEST(HttpSession, MethodNotAllowedListsTheAllowedMethods) {
    Harness h;
    std::string r = h.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_TRUE(has_header(r, "Allow: GET, HEAD"));
}

TEST(HttpSession, HeadErrorHasNoBody) {
    Harness h{keep_alive()};
    std::string r = h.send("HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found");
    EXPECT_TRUE(has_header(r, "Content-Length: 14"));
    EXPECT_EQ(body_of(r), "");
}

TEST(HttpSession, OverlongRequestLineIsRefusedBeforeItsEnd) {
    // No LF ever comes: the session must not wait for one (or buffer the whole line).
    Harness h;
    std::string r = h.send("GET /" + std::string(9000, 'a'));
    EXPECT_EQ(status_line(r), "HTTP/1.1 414 URI Too Long");
}

TEST(HttpSession, OverlongHeaderIsRefusedBeforeItsEnd) {
    Harness h;
    std::string r = h.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(20000, 'c'));
    EXPECT_EQ(status_line(r), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST(HttpSession, LimitsComeFromTheConfig) {
    HttpConfig c;
    c.limits.max_request_line = 20;
    c.limits.max_headers = 1;
    Harness a{c};
    EXPECT_EQ(status_line(a.send("GET /0123456789abcdef HTTP/1.1\r\n")), "HTTP/1.1 414 URI Too Long");
    Harness b{c};
    EXPECT_EQ(status_line(b.send("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n\r\n")),
              "HTTP/1.1 431 Request Header Fields Too Large");
}

// ----------------------------------------------------------------------------------- request bodies

TEST(HttpSession, BodyWithinTheLimitIsReadAndDropped) {
    Harness h{keep_alive()};
    std::string body(1000, 'b');
    std::string r = h.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + body.substr(0, 400));
    EXPECT_EQ(r, "");  // no answer before the whole body is in
    EXPECT_EQ(h.session.status(), HttpSession::Status::ReadingRequest);
    r = h.send(body.substr(400) + "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.find("HTTP/1.1 200 OK"), 0u);
    EXPECT_NE(r.find("HTTP/1.1 200 OK", 10), std::string::npos) << "the request after the body is answered too";
}

TEST(HttpSession, ListOfEqualContentLengthsIsOneLength) {
    Harness h{keep_alive()};
    std::string r = h.send(
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nab"
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(h.session.responses_started(), 2u);
    EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
}

// ------------------------------------------------------------------------------------ keep-alive

struct KeepAliveCase {
    const char* name;
    uint32_t keep_alive_seconds;
    std::string request;
    bool kept;
};

class HttpSessionKeepAlive : public testing::TestWithParam<KeepAliveCase> {};

TEST_P(HttpSessionKeepAlive, FollowsTheRulesOfRfc9112Section9) {
    Harness h{keep_alive(GetParam().keep_alive_seconds)};
    std::string r = h.send(GetParam().request);
    EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
    if (GetParam().kept) {
        EXPECT_TRUE(has_header(r, "Connection: keep-alive")) << r;
        EXPECT_TRUE(has_header(r, "Keep-Alive: timeout=" + std::to_string(GetParam().keep_alive_seconds))) << r;
        EXPECT_EQ(h.session.status(), HttpSession::Status::Idle);
    } else {
        EXPECT_TRUE(has_header(r, "Connection: close")) << r;
        EXPECT_EQ(h.session.status(), HttpSession::Status::Finished);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, HttpSessionKeepAlive,
    testing::Values(KeepAliveCase{"Off11", 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false},
                    KeepAliveCase{"Off10Asking", 0, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false},
                    KeepAliveCase{"On11", 5, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
                    KeepAliveCase{"On11Close", 5, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false},
                    KeepAliveCase{"On11CloseInList", 7, "GET / HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\n\r\n",
                                  false},
                    KeepAliveCase{"On10", 5, "GET / HTTP/1.0\r\n\r\n", false},
                    KeepAliveCase{"On10Asking", 5, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true}),
    [](const testing::TestParamInfo<KeepAliveCase>& param_info) { return std::string{param_info.param.name}; });

TEST(HttpSession, NotFoundKeepsTheConnectionButBadRequestDoesNot) {
    Harness h{keep_alive()};
    std::string r = h.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found");
    EXPECT_TRUE(has_header(r, "Connection: keep-alive"));
    EXPECT_EQ(h.session.status(), HttpSession::Status::Idle);
    r = h.send("GET /%2e%2e/ HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, StatusIsIdleOnlyBetweenRequests) {
    Harness h{keep_alive()};
    EXPECT_EQ(h.session.status(), HttpSession::Status::ReadingRequest);  // the first is awaited
    h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(h.session.status(), HttpSession::Status::Idle);
    EXPECT_TRUE(h.session.wants_input());
    EXPECT_EQ(h.send("G"), "");
    EXPECT_EQ(h.session.status(), HttpSession::Status::ReadingRequest);
}

// ------------------------------------------------------------------------------------ pipelining

TEST(HttpSession, PipelinedRequestsAreAnsweredInOrder) {
    Harness h{keep_alive()};
    std::string r = h.send(
        "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
        "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    size_t first = r.find("HTTP/1.1 404");
    size_t second = r.find("HTTP/1.1 200", first);
    size_t third = r.find("HTTP/1.1 200", second + 1);
    ASSERT_EQ(first, 0u);
    ASSERT_NE(second, std::string::npos);
    ASSERT_NE(third, std::string::npos);
    EXPECT_EQ(r.substr(third), hello_response);
    EXPECT_EQ(r.substr(second, third - second).find("Hello"), std::string::npos) << "HEAD sent a body";
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, PipelinedRequestsAreAnsweredOneChunkAtATime) {
    Harness h{keep_alive()};
    std::string two = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string whole = Harness{keep_alive()}.send(two);
    EXPECT_EQ(h.session.on_data(as_bytes(two)), two.size());
    EXPECT_EQ(h.drain(7), whole);  // 7 bytes per produce(): responses cross chunk boundaries
}

TEST(HttpSession, WithoutKeepAliveOnlyTheFirstPipelinedRequestIsAnswered) {
    Harness h;
    std::string r = h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r, hello_response);
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, RequestSentByteByByteGetsTheSameResponse) {
    Harness h{keep_alive()};
    std::string requests =
        "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n"
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string out;
    for (char c : requests) {
        ASSERT_EQ(h.session.on_data(as_bytes(std::string_view{&c, 1})), 1u);
        out += h.drain();
    }
    std::string expected = Harness{keep_alive()}.send(requests);
    EXPECT_EQ(out, expected);
    EXPECT_EQ(h.session.responses_started(), 2u);
    EXPECT_TRUE(h.session.should_close());
}

// ----------------------------------------------------------------------------- end of stream, time

TEST(HttpSession, PeerCloseWhileIdleFinishes) {
    Harness h{keep_alive()};
    h.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    h.session.on_peer_closed();
    EXPECT_TRUE(h.session.should_close());
    EXPECT_EQ(h.drain(), "");
}

TEST(HttpSession, RequestFollowedByPeerCloseIsStillAnswered) {
    // `printf 'GET / ...' | nc -N`: the client half-closes right after its request.
    Harness h{keep_alive()};
    EXPECT_EQ(h.session.on_data(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 27u);
    h.session.on_peer_closed();
    std::string r = h.drain();
    EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
    EXPECT_EQ(body_of(r), "Hello World!\n");
    EXPECT_TRUE(h.session.should_close()) << "nothing more can come";
}

TEST(HttpSession, PipelinedRequestsBeforePeerCloseAreAllAnswered) {
    Harness h{keep_alive()};
    std::string two = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    h.session.on_data(as_bytes(two));
    h.session.on_peer_closed();
    std::string r = h.drain();
    EXPECT_EQ(h.session.responses_started(), 2u);
    EXPECT_TRUE(h.session.should_close());
    // The second response is made after the end of stream is known, so it announces the close.
    size_t second = r.find("HTTP/1.1", 1);
    EXPECT_TRUE(has_header(r.substr(0, second), "Connection: keep-alive"));
    EXPECT_TRUE(has_header(r.substr(second), "Connection: close"));
}

TEST(HttpSession, IncompleteBodyAtPeerCloseIsDroppedSilently) {
    Harness h{keep_alive()};
    EXPECT_EQ(h.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\na"), "");
    h.session.on_peer_closed();
    EXPECT_EQ(h.drain(), "");
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, PartialRequestAtPeerCloseIsDroppedSilently) {
    Harness h;
    EXPECT_EQ(h.send("GET / HTTP/1.1\r\nHo"), "");
    h.session.on_peer_closed();
    EXPECT_EQ(h.drain(), "");
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, RequestTimeoutAnswers408WhenARequestHadBegun) {
    Harness h;
    h.send("GET / HTTP/1.1\r\n");
    h.session.on_request_timeout();
    std::string r = h.drain();
    EXPECT_EQ(status_line(r), "HTTP/1.1 408 Request Timeout");
    EXPECT_TRUE(has_header(r, "Connection: close"));
    EXPECT_TRUE(h.session.should_close());
}

TEST(HttpSession, RequestTimeoutWithNothingReceivedJustFinishes) {
    Harness h;
    h.session.on_request_timeout();
    EXPECT_EQ(h.drain(), "");
    EXPECT_TRUE(h.session.should_close());
}

// ---------------------------------------------------------------------------------- bounded memory

TEST(HttpSession, InputStopsBeingTakenWhenRequestsQueueUpBehindAResponse) {
    Harness h{keep_alive()};
    std::string one = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string flood;
    while (flood.size() < 100'000) flood += one;
    size_t taken = h.session.on_data(as_bytes(flood));
    EXPECT_LT(taken, flood.size()) << "the session buffered everything";
    EXPECT_LE(taken, 30'000u);
    EXPECT_EQ(h.session.input_space(), 0u);
    // Producing the responses frees room again, and nothing is lost or reordered.
    size_t offset = taken;
    std::string out = h.drain();
    while (offset < flood.size()) {
        size_t n = h.session.on_data(as_bytes(std::string_view{flood}.substr(offset)));
        ASSERT_GT(n, 0u);
        offset += n;
        out += h.drain();
    }
    EXPECT_EQ(h.session.responses_started(), flood.size() / one.size());
    EXPECT_EQ(h.session.status(), HttpSession::Status::Idle);
}

TEST(HttpSession, EndlessHeaderLinesEndIn431) {
    Harness h;
    h.send("GET / HTTP/1.1\r\n");
    std::string r;
    for (int i = 0; i < 10'000 && r.empty(); ++i) r = h.send("X-Filler: 0123456789012345678901234567890123456789\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST(HttpSession, StatusNamesAreReadable) {
    EXPECT_EQ(to_string(HttpSession::Status::Idle), "idle");
    EXPECT_EQ(to_string(HttpSession::Status::Finished), "finished");
}

}  // namespace
}  // namespace tapstack
