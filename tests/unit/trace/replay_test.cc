// SPDX-License-Identifier: MIT
// --replay: the recorded client fed to our stack, our answers compared with the recorded server's.
// The captures are written from the article's script (tests/support/article_conversation.hh),
// then changed where a test needs a server that answered differently from ours.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "apps/tapstack/replay.hh"
#include "tests/support/article_conversation.hh"

namespace tapstack::test {
namespace {

struct Replayed {
    int status = -1;
    std::string report;
};

Replayed replay_script(const std::vector<ScriptedSegment>& script, const std::string& name, ArticleHosts hosts = {}) {
    std::string path = (std::filesystem::temp_directory_path() / ("tapstack-replay-" + name + ".pcap")).string();
    write_pcap(path, render_frames(script, hosts));
    char* text = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    Replayed r;
    r.status = replay(ReplaySetup{path, std::nullopt, 1}, out);
    std::fclose(out);
    r.report.assign(text, size);
    std::free(text);
    std::filesystem::remove(path);
    return r;
}

TEST(Replay, TheArticlesServerAnswersAsWeDo) {
    Replayed r = replay_script(article_script(), "article");
    EXPECT_EQ(r.status, 0) << r.report;
    EXPECT_NE(r.report.find("[ACK] seq=1 ack=323 len=0"), std::string::npos) << r.report;  // No10, ours too
    EXPECT_NE(r.report.find("replay: PASS: our 5 segments"), std::string::npos) << r.report;
}

TEST(Replay, ClientFirstCloseToo) {
    Replayed r = replay_script(client_first_script(), "client-first");
    EXPECT_EQ(r.status, 0) << r.report;
}

TEST(Replay, OtherIsnsAndPortsChangeNothing) {
    ArticleHosts hosts;
    hosts.client_isn = 0xfffffff0u;  // the client's numbers wrap during the conversation
    hosts.server_isn = 7;
    hosts.server_port = 8080;
    Replayed r = replay_script(article_script(), "wrap", hosts);
    EXPECT_EQ(r.status, 0) << r.report;
}

TEST(Replay, ARecordedServerThatAckedWrongDiffers) {
    auto script = article_script();
    segment_no(script, 10).ack = 300;  // the recorded server's ACK of the request: not 323
    Replayed r = replay_script(script, "wrong-ack");
    EXPECT_EQ(r.status, 1) << r.report;
    EXPECT_NE(r.report.find("DIFFERS"), std::string::npos);
}

TEST(Replay, ARecordedRetransmissionWeDoNotNeedDiffers) {
    auto script = article_script();
    // The recorded server sent the response twice, though the client had it: ours sends it once.
    auto response = std::find_if(script.begin(), script.end(), [](auto& s) { return s.article_no == 11; });
    ASSERT_NE(response, script.end());
    ScriptedSegment again = *response;
    again.article_no = 0;
    script.insert(response + 1, again);
    Replayed r = replay_script(script, "spurious");
    EXPECT_EQ(r.status, 1) << r.report;
    EXPECT_NE(r.report.find("(nothing)"), std::string::npos) << r.report;
}

TEST(Replay, AFileWithoutAConversationSaysSo) {
    auto script = article_script();
    drop_segment(script, 6);  // no SYN
    Replayed r = replay_script(script, "no-syn");
    EXPECT_EQ(r.status, 2) << r.report;
    EXPECT_NE(r.report.find("no SYN"), std::string::npos) << r.report;
}

}  // namespace
}  // namespace tapstack::test
