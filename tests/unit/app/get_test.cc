// SPDX-License-Identifier: MIT
// `tapstack get`'s HTTP side without a network: the URL, the request, and reading a response in
// every framing, whole or cut into pieces anywhere.
#include <gtest/gtest.h>

#include "apps/tapstack/get.hh"

namespace tapstack {
namespace {

struct Read {
    std::string body;
    HttpResponseReader reader{[this](Bytes b) { body.append(as_chars(b)); }};
    // Feeds `text` in pieces of `step` bytes.
    bool feed(std::string_view text, size_t step = 1000000) {
        for (size_t i = 0; i < text.size(); i += step)
            if (!reader.feed(as_bytes(text.substr(i, step)))) return false;
        return true;
    }
};

TEST(HttpUrl, HostPortAndPath) {
    auto u = std::get<HttpUrl>(parse_http_url("http://10.0.0.1:8080/a/b?c=d"));
    EXPECT_EQ(u.host, Ipv4Address::from_octets(10, 0, 0, 1));
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.path, "/a/b?c=d");
    EXPECT_EQ(u.host_header, "10.0.0.1:8080");
    auto v = std::get<HttpUrl>(parse_http_url("http://10.0.0.1"));
    EXPECT_EQ(v.port, 80);
    EXPECT_EQ(v.path, "/");
}

TEST(HttpUrl, WhatItRefusesAndWhy) {
    for (const char* bad : {"https://10.0.0.1/", "10.0.0.1", "http://example.com/", "http://10.0.0.1:0/",
                            "http://10.0.0.1:70000/", "http://10.0.0.1:/", "http://10.0.0.1/a b"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(parse_http_url(bad))) << bad;
    }
}

TEST(HttpUrl, TheRequestAsksToClose) {
    auto u = std::get<HttpUrl>(parse_http_url("http://10.0.0.1:8000/x"));
    EXPECT_EQ(make_get_request(u),
              "GET /x HTTP/1.1\r\nHost: 10.0.0.1:8000\r\nUser-Agent: tapstack/0.1\r\nAccept: */*\r\nConnection: "
              "close\r\n\r\n");
}

TEST(HttpResponseReader, ContentLengthInAnyPieces) {
    std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y\r\n\r\nHello World!";
    for (size_t step : {1u, 2u, 7u, 100u}) {
        Read r;
        EXPECT_TRUE(r.feed(response, step));
        EXPECT_TRUE(r.reader.complete()) << step;
        EXPECT_EQ(r.body, "Hello World!");
        EXPECT_EQ(r.reader.status(), 200);
        EXPECT_EQ(r.reader.status_line(), "HTTP/1.1 200 OK");
    }
}

TEST(HttpResponseReader, ChunkedBodyWithoutItsFraming) {
    std::string response =
        "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
        "5;ext=1\r\nHello\r\n7\r\n World!\r\n0\r\nTrailer: x\r\n\r\n";
    for (size_t step : {1u, 3u, 100u}) {
        Read r;
        EXPECT_TRUE(r.feed(response, step));
        EXPECT_TRUE(r.reader.complete()) << step;
        EXPECT_EQ(r.body, "Hello World!");
    }
}

TEST(HttpResponseReader, BodyUpToTheClose) {
    Read r;
    EXPECT_TRUE(r.feed("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nabc"));
    EXPECT_FALSE(r.reader.complete());
    EXPECT_TRUE(r.feed("def"));
    r.reader.peer_closed();
    EXPECT_TRUE(r.reader.complete());
    EXPECT_EQ(r.body, "abcdef");
}

TEST(HttpResponseReader, NoBodyFor204And304AndAHeadOnlyClose) {
    Read a;
    EXPECT_TRUE(a.feed("HTTP/1.1 204 No Content\r\n\r\n"));
    EXPECT_TRUE(a.reader.complete());
    Read b;
    EXPECT_TRUE(b.feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"));
    EXPECT_TRUE(b.reader.complete());
}

TEST(HttpResponseReader, AShortBodyIsAnErrorWithTheCount) {
    Read r;
    EXPECT_TRUE(r.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"));
    r.reader.peer_closed();
    EXPECT_TRUE(r.reader.failed());
    EXPECT_EQ(r.reader.error(), "the server closed after 5 of 10 bytes");
}

TEST(HttpResponseReader, MalformedResponsesAreRefused) {
    for (const char* bad : {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "hello\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
        Read r;
        r.feed(bad);
        EXPECT_TRUE(r.reader.failed()) << bad;
        EXPECT_FALSE(r.reader.error().empty());
    }
}

TEST(HttpResponseReader, AHeadWithoutEndIsBounded) {
    Read r;
    std::string head = "HTTP/1.1 200 OK\r\n" + std::string(HttpResponseReader::max_head, 'x');
    EXPECT_FALSE(r.feed(head, 4096));
    EXPECT_TRUE(r.reader.failed());
}

TEST(HttpResponseReader, ServerClosingWithoutAnAnswer) {
    Read r;
    r.reader.peer_closed();
    EXPECT_EQ(r.reader.error(), "the server closed without answering");
}

}  // namespace
}  // namespace tapstack
