// SPDX-License-Identifier: MIT
// Document-root serving through HttpSession, on a temporary directory: files with their length and
// type, index.html and the directory redirect, traversal attempts (dot-segments in every encoding,
// symbolic links out of the root), and big files streamed from disk in produce()-sized pieces.
// Also the pure helpers: decode_target, content_type_for, http_date.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

#include "apps/http/http_session.hh"
#include "apps/http/http_site.hh"

namespace tapstack {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR: `dir/root` is the document root, `dir/outside` is not.
class HttpDocumentRoot : public testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "tapstack-http-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        root_ = dir_ / "root";
        fs::create_directories(root_ / "docs");
        fs::create_directories(root_ / "empty");
        fs::create_directories(dir_ / "outside");
        write(root_ / "hello.txt", "hello, file\n");
        write(root_ / "index.html", "<h1>home</h1>\n");
        write(root_ / "docs" / "index.html", "<h1>docs</h1>\n");
        write(root_ / "style.CSS", "body{}\n");
        write(root_ / "data", "\x01\x02");
        write(dir_ / "outside" / "secret.txt", "secret\n");
        write(dir_ / "outside" / "index.html", "<h1>secret</h1>\n");
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    static void write(const fs::path& p, std::string_view content) {
        std::ofstream f(p, std::ios::binary);
        f.write(content.data(), static_cast<std::streamsize>(content.size()));
    }

    HttpConfig config(uint32_t keep_alive_seconds = 0) const {
        HttpConfig c;
        c.root = root_.string();
        c.keep_alive_seconds = keep_alive_seconds;
        return c;
    }

    // One request on a new session; the whole response.
    std::string get(std::string_view request_line, std::string_view method = "GET") {
        HttpSite site{config()};
        HttpSession session{site};
        std::string request = std::string{method} + " " + std::string{request_line} + " HTTP/1.1\r\nHost: x\r\n\r\n";
        EXPECT_EQ(session.on_data(as_bytes(request)), request.size());
        std::string out, buf(8192, '\0');
        while (size_t n = session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()})) {
            out.append(buf, 0, n);
        }
        EXPECT_TRUE(session.should_close());
        return out;
    }

    fs::path dir_, root_;
};

std::string status_line(std::string_view r) { return std::string{r.substr(0, r.find("\r\n"))}; }
std::string body_of(std::string_view r) { return std::string{r.substr(r.find("\r\n\r\n") + 4)}; }
bool has_header(std::string_view r, std::string_view line) {
    return r.substr(0, r.find("\r\n\r\n") + 2).find("\r\n" + std::string{line} + "\r\n") != std::string_view::npos;
}

TEST_F(HttpDocumentRoot, FileIsServedWithItsLengthAndType) {
    std::string r = get("/hello.txt");
    EXPECT_EQ(r,
              "HTTP/1.1 200 OK\r\nServer: tapstack\r\nContent-Length: 12\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nhello, file\n");
}

TEST_F(HttpDocumentRoot, TypeComesFromTheExtensionInAnyCase) {
    EXPECT_TRUE(has_header(get("/style.CSS"), "Content-Type: text/css; charset=utf-8"));
    EXPECT_TRUE(has_header(get("/data"), "Content-Type: application/octet-stream"));
}

TEST_F(HttpDocumentRoot, HeadSendsTheFileLengthButNoBody) {
    std::string r = get("/hello.txt", "HEAD");
    EXPECT_TRUE(has_header(r, "Content-Length: 12"));
    EXPECT_EQ(body_of(r), "");
}

TEST_F(HttpDocumentRoot, SlashServesTheRootIndex) {
    std::string r = get("/");
    EXPECT_TRUE(has_header(r, "Content-Type: text/html; charset=utf-8"));
    EXPECT_EQ(body_of(r), "<h1>home</h1>\n");
}

TEST_F(HttpDocumentRoot, DirectoryWithSlashServesItsIndex) {
    EXPECT_EQ(body_of(get("/docs/")), "<h1>docs</h1>\n");
    EXPECT_EQ(body_of(get("/docs/?x=1")), "<h1>docs</h1>\n");
}

TEST_F(HttpDocumentRoot, DirectoryWithoutSlashIsRedirected) {
    std::string r = get("/docs?page=2");
    EXPECT_EQ(status_line(r), "HTTP/1.1 301 Moved Permanently");
    EXPECT_TRUE(has_header(r, "Location: /docs/?page=2"));
}

TEST_F(HttpDocumentRoot, DirectoryWithoutIndexIs404NotAListing) {
    EXPECT_EQ(status_line(get("/empty/")), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(status_line(get("/empty")), "HTTP/1.1 404 Not Found");
}

TEST_F(HttpDocumentRoot, IndexThatIsADirectoryIs404) {
    fs::create_directories(root_ / "odd" / "index.html");
    EXPECT_EQ(status_line(get("/odd/")), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(status_line(get("/odd")), "HTTP/1.1 404 Not Found");
}

TEST_F(HttpDocumentRoot, FileAskedForAsADirectoryIs404) {
    EXPECT_EQ(status_line(get("/hello.txt/")), "HTTP/1.1 404 Not Found");
}

TEST_F(HttpDocumentRoot, IndexThatIsAnAbsoluteLinkInsideTheRootIsServed) {
    // The kernel's RESOLVE_BENEATH refuses absolute links; the user-space route then serves it.
    fs::create_directories(root_ / "linked");
    fs::create_symlink(root_ / "docs" / "index.html", root_ / "linked" / "index.html");
    EXPECT_EQ(body_of(get("/linked/")), "<h1>docs</h1>\n");
    EXPECT_EQ(status_line(get("/linked")), "HTTP/1.1 301 Moved Permanently");
}

TEST_F(HttpDocumentRoot, MissingFilesAre404) {
    EXPECT_EQ(status_line(get("/nope.html")), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(status_line(get("/hello.txt/")), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(status_line(get("/hello.txt/x")), "HTTP/1.1 404 Not Found");
}

TEST_F(HttpDocumentRoot, PercentEncodedNamesAreDecoded) {
    write(root_ / "a b.txt", "space\n");
    EXPECT_EQ(body_of(get("/a%20b.txt")), "space\n");
    EXPECT_EQ(body_of(get("/%68ello.txt")), "hello, file\n");
}

TEST_F(HttpDocumentRoot, TraversalAttemptsAreRefused) {
    for (const char* target :
         {"/../etc/passwd", "/%2e%2e/", "/%2E%2E/outside/secret.txt", "/a/%2e%2e/%2e%2e/x", "/docs/..",
          "/..%2foutside/secret.txt", "/%2e%2e%2foutside%2fsecret.txt", "/..\\outside\\secret.txt", "/%5c..%5coutside",
          "/hello.txt%00.html", "http://x/../outside/secret.txt"}) {
        std::string r = get(target);
        EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request") << target;
        EXPECT_EQ(r.find("secret"), std::string::npos) << target;
    }
}

TEST_F(HttpDocumentRoot, SymlinkOutOfTheRootIs404) {
    fs::create_symlink(dir_ / "outside" / "secret.txt", root_ / "leak.txt");
    fs::create_symlink(dir_ / "outside", root_ / "leakdir");
    fs::create_symlink("/etc/passwd", root_ / "passwd");
    for (const char* target : {"/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/leakdir", "/passwd"}) {
        std::string r = get(target);
        EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found") << target;
        EXPECT_EQ(r.find("secret"), std::string::npos) << target;
    }
}

TEST_F(HttpDocumentRoot, SymlinkInsideTheRootIsFollowed) {
    fs::create_symlink("hello.txt", root_ / "alias.txt");
    fs::create_symlink(root_ / "docs", root_ / "manual");
    EXPECT_EQ(body_of(get("/alias.txt")), "hello, file\n");
    EXPECT_EQ(body_of(get("/manual/")), "<h1>docs</h1>\n");
}

TEST_F(HttpDocumentRoot, RootItselfBeingASymlinkIsFine) {
    fs::create_directory_symlink(root_, dir_ / "link-to-root");
    HttpConfig c = config();
    c.root = (dir_ / "link-to-root").string();
    HttpSite site{c};
    EXPECT_EQ(site.root(), fs::canonical(root_).string());
    EXPECT_EQ(site.open("/hello.txt").status, 200);
}

TEST_F(HttpDocumentRoot, SiblingDirectoryWithTheRootAsPrefixIsOutside) {
    // "/tmp/x/root-other" starts with "/tmp/x/root" but is not inside it.
    fs::create_directories(dir_ / "root-other");
    write(dir_ / "root-other" / "f.txt", "secret\n");
    fs::create_symlink(dir_ / "root-other" / "f.txt", root_ / "f.txt");
    EXPECT_EQ(status_line(get("/f.txt")), "HTTP/1.1 404 Not Found");
}

TEST_F(HttpDocumentRoot, SpecialFilesAreNotServed) {
    ASSERT_EQ(mkfifo((root_ / "fifo").c_str(), 0600), 0);
    EXPECT_EQ(status_line(get("/fifo")), "HTTP/1.1 404 Not Found");  // and it does not hang
}

TEST_F(HttpDocumentRoot, UnreadableFileIs403) {
    if (geteuid() == 0) GTEST_SKIP() << "root reads everything";
    write(root_ / "private.txt", "x");
    fs::permissions(root_ / "private.txt", fs::perms::none);
    EXPECT_EQ(status_line(get("/private.txt")), "HTTP/1.1 403 Forbidden");
}

TEST_F(HttpDocumentRoot, MissingRootIsASetupError) {
    HttpConfig c;
    c.root = (dir_ / "no-such-dir").string();
    EXPECT_THROW(HttpSite{c}, std::system_error);
    c.root = (root_ / "hello.txt").string();
    EXPECT_THROW(HttpSite{c}, std::system_error);
}

// Pseudo-random bytes, so a misplaced or repeated chunk cannot go unnoticed.
std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
}

TEST_F(HttpDocumentRoot, LargeFileIsStreamedExactly) {
    std::string content = random_bytes(5 * 1024 * 1024 + 17, 1);
    write(root_ / "big.bin", content);
    HttpSite site{config()};
    HttpSession session{site};
    std::string request = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
    session.on_data(as_bytes(request));
    std::string out, buf(65536, '\0');
    size_t calls = 0;
    while (size_t n = session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()})) {
        out.append(buf, 0, n);
        ++calls;
    }
    EXPECT_TRUE(has_header(out, "Content-Length: 5242897"));
    EXPECT_TRUE(has_header(out, "Content-Type: application/octet-stream"));
    ASSERT_EQ(body_of(out).size(), content.size());
    EXPECT_TRUE(body_of(out) == content) << "body differs from the file";
    EXPECT_GE(calls, content.size() / buf.size());
    EXPECT_TRUE(session.should_close());
}

TEST_F(HttpDocumentRoot, FileIsReadFromDiskAsItIsProducedNotBuffered) {
    // Rewrite the second half of the file after the first chunk went out: a session that had
    // loaded the file would still send the old bytes.
    std::string before(1024 * 1024, 'a');
    write(root_ / "changing.bin", before);
    HttpSite site{config()};
    HttpSession session{site};
    session.on_data(as_bytes("GET /changing.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string out, buf(4096, '\0');
    out.append(buf, 0, session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()}));
    {
        int fd = ::open((root_ / "changing.bin").c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        std::string after(before.size() / 2, 'b');
        ASSERT_EQ(::pwrite(fd, after.data(), after.size(), static_cast<off_t>(before.size() / 2)),
                  static_cast<ssize_t>(after.size()));
        ::close(fd);
    }
    while (size_t n = session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()})) {
        out.append(buf, 0, n);
    }
    std::string body = body_of(out);
    ASSERT_EQ(body.size(), before.size());
    EXPECT_EQ(body.back(), 'b');
    EXPECT_EQ(body.front(), 'a');
}

TEST_F(HttpDocumentRoot, FileThatShrinksWhileSentAbortsTheSession) {
    write(root_ / "shrinking.bin", std::string(100'000, 'x'));
    HttpSite site{config()};
    HttpSession session{site};
    session.on_data(as_bytes("GET /shrinking.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string buf(4096, '\0');
    EXPECT_GT(session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()}), 0u);
    fs::resize_file(root_ / "shrinking.bin", 10'000);
    size_t total = 0;
    while (size_t n = session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()})) total += n;
    EXPECT_LT(total, 100'000u);
    EXPECT_TRUE(session.aborted());
    EXPECT_TRUE(session.should_close());
}

TEST_F(HttpDocumentRoot, HundredsOfMegabytesStreamInBoundedChunks) {
    // A sparse 300 MiB file: cheap to create, and it reads back as zeros.
    constexpr uint64_t size = 300ull * 1024 * 1024;
    write(root_ / "huge.bin", "");
    fs::resize_file(root_ / "huge.bin", size);
    HttpSite site{config()};
    HttpSession session{site};
    session.on_data(as_bytes("GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::vector<uint8_t> buf(256 * 1024);
    uint64_t total = 0;
    bool all_zero = true;
    std::string head;
    while (size_t n = session.produce(MutBytes{buf}.first(buf.size()))) {
        size_t start = 0;
        if (head.empty()) {  // the first chunk starts with the response head
            std::string_view text{reinterpret_cast<const char*>(buf.data()), n};
            start = text.find("\r\n\r\n") + 4;
            head = text.substr(0, start);
        }
        for (size_t i = start; i < n; ++i) all_zero &= buf[i] == 0;
        total += n - start;
    }
    EXPECT_TRUE(has_header(head, "Content-Length: 314572800"));
    EXPECT_EQ(total, size);
    EXPECT_TRUE(all_zero);
    EXPECT_TRUE(session.should_close());
}

TEST_F(HttpDocumentRoot, HeadOfAFileOver4GiBReportsItsLength) {
    write(root_ / "over4g.bin", "");
    fs::resize_file(root_ / "over4g.bin", 5ull * 1024 * 1024 * 1024);
    std::string r = get("/over4g.bin", "HEAD");
    EXPECT_TRUE(has_header(r, "Content-Length: 5368709120")) << r;
}

TEST_F(HttpDocumentRoot, KeepAliveServesSeveralFilesInOrder) {
    HttpSite site{config(5)};
    HttpSession session{site};
    std::string requests =
        "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    session.on_data(as_bytes(requests));
    std::string out, buf(5, '\0');  // tiny chunks: file bodies end mid-chunk
    while (size_t n = session.produce(MutBytes{reinterpret_cast<uint8_t*>(buf.data()), buf.size()})) {
        out.append(buf, 0, n);
    }
    size_t a = out.find("hello, file\n"), b = out.find("<h1>docs</h1>"), c = out.find("404 Not Found\n"),
           d = out.find("<h1>home</h1>");
    ASSERT_NE(d, std::string::npos);
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_LT(c, d);
    EXPECT_EQ(session.responses_started(), 4u);
    EXPECT_EQ(session.status(), HttpSession::Status::Idle);
}

// ------------------------------------------------------------------------------------ pure helpers

TEST(HttpDecodeTarget, SplitsPathAndQueryAndDecodes) {
    DecodedTarget d = decode_target("/a%20b/c.txt?x=%41#frag");
    EXPECT_EQ(d.status, 0);
    EXPECT_EQ(d.path, "/a b/c.txt");
    EXPECT_EQ(d.raw_path, "/a%20b/c.txt");
    EXPECT_EQ(d.query, "x=%41");
}

TEST(HttpDecodeTarget, AbsoluteFormKeepsOnlyThePath) {
    EXPECT_EQ(decode_target("http://example.com/x/y?q").path, "/x/y");
    EXPECT_EQ(decode_target("HTTP://example.com").path, "/");
}

TEST(HttpDecodeTarget, SingleDotsAndDotsInNamesAreFine) {
    EXPECT_EQ(decode_target("/./a/b..c/...").status, 0);
    EXPECT_EQ(decode_target("/.well-known/x").status, 0);
}

TEST(HttpDecodeTarget, RefusesWhatCouldClimbOutOrHide) {
    for (const char* t : {"/..", "/a/../b", "/%2e%2e", "/%2E./x", "/.%2e/", "/a%2f..%2fb", "/a\\b", "/%5c", "/%00",
                          "/%0d%0aX:", "/%", "/%g0", "relative", ""}) {
        EXPECT_EQ(decode_target(t).status, 400) << t;
    }
}

TEST(HttpContentType, ByExtension) {
    EXPECT_EQ(content_type_for("/a/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("x.HTM"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(content_type_for("d.json"), "application/json");
    EXPECT_EQ(content_type_for("p.png"), "image/png");
    EXPECT_EQ(content_type_for("p.JPEG"), "image/jpeg");
    EXPECT_EQ(content_type_for("p.jpg"), "image/jpeg");
    EXPECT_EQ(content_type_for("g.gif"), "image/gif");
    EXPECT_EQ(content_type_for("i.svg"), "image/svg+xml");
    EXPECT_EQ(content_type_for("favicon.ico"), "image/x-icon");
    EXPECT_EQ(content_type_for("doc.pdf"), "application/pdf");
    EXPECT_EQ(content_type_for("m.wasm"), "application/wasm");
    EXPECT_EQ(content_type_for("blob.bin"), "application/octet-stream");
    EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
    EXPECT_EQ(content_type_for(".bashrc"), "application/octet-stream");
    EXPECT_EQ(content_type_for("dir.html/file"), "application/octet-stream");
}

TEST(HttpDate, FormatsImfFixdate) {
    EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace tapstack
