// SPDX-License-Identifier: MIT
// `tapstack annotate` end to end: the article's conversation written to a pcap (through PcapTee),
// read back and checked; a broken capture, bad arguments and a missing file give the documented
// exit statuses. Also keeps tests/data/article.pcap, the hand-made article capture, equal to what
// the generator makes (TAPSTACK_WRITE_TEST_DATA=1 rewrites it) and checks that it passes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "apps/tapstack/annotate.hh"
#include "tests/support/article_conversation.hh"
#include "tests/support/json_check.hh"

namespace tapstack {
namespace {

namespace fs = std::filesystem;

// A directory of its own under the temporary directory, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = fs::temp_directory_path() / (std::string{"annotate_test-"} + info->test_suite_name() + "-" +
                                             info->name() + "-" + std::to_string(::getpid()));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

struct AnnotateRun {
    int status = -1;
    std::string out;
    std::string err;
};

// Runs `tapstack annotate ARGS...` in process, capturing what it prints.
AnnotateRun annotate(std::vector<std::string> args) {
    args.insert(args.begin(), "annotate");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    AnnotateRun r;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    r.status = run_annotate(static_cast<int>(args.size()), argv.data());
    r.err = ::testing::internal::GetCapturedStderr();
    r.out = ::testing::internal::GetCapturedStdout();
    return r;
}

std::string write_conversation(const TempDir& dir, const std::vector<test::ScriptedSegment>& script) {
    std::string path = dir.file("conversation.pcap");
    test::write_pcap(path, test::render_frames(script));
    return path;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// --- exit statuses ------------------------------------------------------------------------

TEST(Annotate, ArticleCaptureWithServerFirstExpectedExitsZero) {
    TempDir dir;
    std::string path = write_conversation(dir, test::article_script());
    AnnotateRun r = annotate({path, "--check-article", "--expect", "server-first"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "article check: PASS")) << r.out;
    EXPECT_TRUE(contains(r.out, "conversation 10.0.0.1:54321 → 10.0.0.2:80 (10 segments)")) << r.out;
    EXPECT_TRUE(contains(r.out, "  \"GET / HTTP/1.1\"")) << r.out;
}

TEST(Annotate, CaptureWithAWrongAckExitsOne) {
    TempDir dir;
    auto script = test::article_script();
    test::segment_no(script, 16).ack = 325;
    std::string path = write_conversation(dir, script);
    AnnotateRun r = annotate({path, "--check-article", "--expect", "server-first"});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "article check: FAIL")) << r.out;
}

TEST(Annotate, ClientFirstCaptureExitsOneWhenServerFirstIsExpected) {
    TempDir dir;
    std::string path = write_conversation(dir, test::client_first_script());
    EXPECT_EQ(annotate({path, "--check-article", "--expect", "server-first"}).status, 1);
    EXPECT_EQ(annotate({path, "--check-article", "--expect", "any"}).status, 0);
}

TEST(Annotate, WithoutCheckArticleABrokenCaptureStillExitsZero) {
    TempDir dir;
    auto script = test::article_script();
    test::drop_segment(script, 12);
    std::string path = write_conversation(dir, script);
    AnnotateRun r = annotate({path});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(contains(r.out, "article check")) << r.out;
}

TEST(Annotate, MissingFileExitsOne) {
    TempDir dir;
    AnnotateRun r = annotate({dir.file("no-such.pcap"), "--check-article"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "no-such.pcap")) << r.err;
}

TEST(Annotate, FileThatIsNotACaptureExitsOne) {
    TempDir dir;
    std::string path = dir.file("text.pcap");
    std::ofstream(path) << "this is not a capture file\n";
    EXPECT_EQ(annotate({path, "--check-article"}).status, 1);
}

TEST(Annotate, CaptureCutShortExitsOne) {
    TempDir dir;
    std::string path = write_conversation(dir, test::article_script());
    fs::resize_file(path, fs::file_size(path) - 30);  // the last record loses its end
    AnnotateRun r = annotate({path, "--check-article"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "cut short")) << r.err;
}

TEST(Annotate, CaptureWithoutTcpFailsTheCheck) {
    TempDir dir;
    std::string path = dir.file("empty.pcap");
    test::write_pcap(path, {});
    AnnotateRun r = annotate({path, "--check-article"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "article check: FAIL: no TCP conversation")) << r.out;
}

TEST(Annotate, PortFilterWithoutMatchingConversationFailsTheCheck) {
    TempDir dir;
    std::string path = write_conversation(dir, test::article_script());
    AnnotateRun r = annotate({path, "--check-article", "--port", "8080"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "no TCP conversation on port 8080")) << r.out;
    EXPECT_EQ(annotate({path, "--check-article", "--port", "80"}).status, 0);
}

TEST(Annotate, BadArgumentsExitTwo) {
    TempDir dir;
    std::string path = write_conversation(dir, test::article_script());
    const std::vector<std::vector<std::string>> bad = {
        {},
        {"--check-article"},
        {path, "--expect", "sideways"},
        {path, "--expect"},
        {path, "--format", "xml"},
        {path, "--port", "0"},
        {path, "--port", "65536"},
        {path, "--port", "80x"},
        {path, "--bogus"},
        {path, path},
    };
    for (const auto& args : bad) {
        std::string shown;
        for (const auto& a : args) shown += " " + a;
        AnnotateRun r = annotate(args);
        EXPECT_EQ(r.status, 2) << "annotate" << shown;
        EXPECT_TRUE(contains(r.err, "tapstack annotate: ")) << "annotate" << shown << ": " << r.err;
    }
}

TEST(Annotate, HelpExitsZero) {
    AnnotateRun r = annotate({"--help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.out, "Usage: tapstack annotate")) << r.out;
}

TEST(Annotate, JsonFormatPrintsOneObjectPerFrame) {
    TempDir dir;
    std::string path = write_conversation(dir, test::article_script());
    AnnotateRun r = annotate({path, "--format", "json"});
    ASSERT_EQ(r.status, 0) << r.err;
    size_t lines = 0;
    for (size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1, ++lines)
        EXPECT_TRUE(test::parse_json_object(std::string_view{r.out}.substr(start, end - start)))
            << r.out.substr(start, end - start);
    EXPECT_EQ(lines, 10u);
}

// --- tests/data/article.pcap --------------------------------------------------------------

// tests/data/ relative to this file; the tests run from the top of the tree (make unit).
std::string data_file(const std::string& name) {
    return (fs::path(__FILE__).parent_path().parent_path().parent_path() / "data" / name).string();
}

// The article capture: the article's ten frames with the default hosts and ISNs, starting at
// 2024-01-01 00:00:00 UTC, 100 microseconds apart.
std::vector<test::TimedFrame> article_capture_frames() { return test::render_frames(test::article_script()); }

TEST(ArticlePcap, CommittedCaptureIsWhatTheGeneratorMakes) {
    TempDir dir;
    std::string fresh = dir.file("article.pcap");
    test::write_pcap(fresh, article_capture_frames());
    const std::string committed = data_file("article.pcap");
    if (const char* w = std::getenv("TAPSTACK_WRITE_TEST_DATA"); w && std::string{w} == "1") {
        fs::create_directories(fs::path(committed).parent_path());
        fs::copy_file(fresh, committed, fs::copy_options::overwrite_existing);
    }
    ASSERT_TRUE(fs::exists(committed)) << committed
                                       << " is missing; make it with: TAPSTACK_WRITE_TEST_DATA=1 make unit "
                                          "GTEST_FILTER='ArticlePcap.*'";
    EXPECT_EQ(read_bytes(committed), read_bytes(fresh))
        << committed << " differs from the generator; if the change is intended, rewrite it with: "
        << "TAPSTACK_WRITE_TEST_DATA=1 make unit GTEST_FILTER='ArticlePcap.*'";
}

TEST(ArticlePcap, CommittedCapturePassesTheArticleCheck) {
    const std::string committed = data_file("article.pcap");
    ASSERT_TRUE(fs::exists(committed)) << committed;
    AnnotateRun r = annotate({committed, "--check-article", "--expect", "server-first"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "article check: PASS")) << r.out;
}

}  // namespace
}  // namespace tapstack
