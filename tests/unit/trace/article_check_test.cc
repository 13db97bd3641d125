// SPDX-License-Identifier: MIT
// check_article() on conversations built frame by frame and read back by ConversationTracer:
// the article's own conversation passes (either close order when told Any, merged segments with
// a note), and each way of departing from it fails with a reason that names the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "apps/tapstack/article_check.hh"
#include "tests/support/article_conversation.hh"

namespace tapstack {
namespace {

using test::ArticleHosts;
using test::ScriptedSegment;

ArticleCheck check(const std::vector<ScriptedSegment>& script, CloseOrder order, const ArticleHosts& hosts = {}) {
    return check_article(test::trace_segments(test::render_frames(script, hosts)), order);
}

bool report_has(const ArticleCheck& r, const std::string& text) {
    return std::any_of(r.report.begin(), r.report.end(),
                       [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

std::string report(const ArticleCheck& r) {
    std::string out;
    for (const auto& line : r.report) out += line + "\n";
    return out;
}

ScriptedSegment segment(int no, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, std::string payload = {}) {
    return ScriptedSegment{no, from_client, flags, seq, ack, std::move(payload)};
}

// --- passing ------------------------------------------------------------------------------

TEST(ArticleCheck, ArticleConversationPassesWhenTheServerMustCloseFirst) {
    ArticleCheck r = check(test::article_script(), CloseOrder::ServerFirst);
    EXPECT_TRUE(r.passed) << report(r);
    EXPECT_EQ(r.report.back(), "article check: PASS");
    EXPECT_TRUE(report_has(r, "request 322 bytes -> ack 323")) << report(r);
    EXPECT_TRUE(report_has(r, "server closed first")) << report(r);
}

TEST(ArticleCheck, ArticleConversationPassesWithAnyCloseOrder) {
    ArticleCheck r = check(test::article_script(), CloseOrder::Any);
    EXPECT_TRUE(r.passed) << report(r);
}

TEST(ArticleCheck, ArticleConversationPassesWithIsnsAcrossTheWrap) {
    ArticleHosts h;
    h.client_isn = 0xffffffffu;
    h.server_isn = 0xfffffef0u;
    ArticleCheck r = check(test::article_script(), CloseOrder::ServerFirst, h);
    EXPECT_TRUE(r.passed) << report(r);
}

TEST(ArticleCheck, FinOnTheResponsePassesWithANote) {
    auto script = test::article_script();
    test::segment_no(script, 11).flags |= tcp_flag::fin;  // No11 + No12 in one segment
    test::drop_segment(script, 12);
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_TRUE(r.passed) << report(r);
    EXPECT_TRUE(report_has(r, "note: the server's FIN rode on the last segment of the response")) << report(r);
}

TEST(ArticleCheck, ClientAckAndFinInOneSegmentPassesWithANote) {
    auto script = test::article_script();
    test::drop_segment(script, 13);  // No14 (FIN, ack 281) acknowledges the server's FIN itself
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_TRUE(r.passed) << report(r);
    EXPECT_TRUE(report_has(r, "note: the client acknowledged the server's FIN in its own FIN segment")) << report(r);
}

TEST(ArticleCheck, ClientAckOfTheResponseOnItsOwnPassesWithANote) {
    auto script = test::article_script();
    auto at = std::find_if(script.begin(), script.end(), [](const ScriptedSegment& s) { return s.article_no == 12; });
    script.insert(at, segment(0, true, tcp_flag::ack, 323, 280));  // the browser ACKs the response first
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_TRUE(r.passed) << report(r);
    EXPECT_TRUE(report_has(r, "acknowledges data (ack=280) on its own")) << report(r);
}

TEST(ArticleCheck, ClientFirstConversationPassesWhenAnyOrderIsAllowed) {
    ArticleCheck r = check(test::client_first_script(), CloseOrder::Any);
    EXPECT_TRUE(r.passed) << report(r);
    EXPECT_TRUE(report_has(r, "client closed first")) << report(r);
}

TEST(ArticleCheck, ClientFirstConversationPassesWhenClientFirstIsExpected) {
    ArticleCheck r = check(test::client_first_script(), CloseOrder::ClientFirst);
    EXPECT_TRUE(r.passed) << report(r);
}

// --- failing ------------------------------------------------------------------------------

TEST(ArticleCheck, ReversedCloseOrderFailsWhenTheServerMustCloseFirst) {
    ArticleCheck r = check(test::client_first_script(), CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "the client closed first; the article's server closed first")) << report(r);
}

TEST(ArticleCheck, ServerFirstConversationFailsWhenTheClientMustCloseFirst) {
    ArticleCheck r = check(test::article_script(), CloseOrder::ClientFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "the server closed first")) << report(r);
}

TEST(ArticleCheck, WrongAckNumberFails) {
    auto script = test::article_script();
    test::segment_no(script, 10).ack = 322;  // one short of the request's end
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "ack=322 is not the end of any segment the peer sent")) << report(r);
}

TEST(ArticleCheck, MissingServerFinFails) {
    // The server never closes; the client does, and the server ACKs its FIN.
    auto script = test::article_script();
    script.resize(6);
    script.push_back(segment(14, true, tcp_flag::fin | tcp_flag::ack, 323, 280));
    script.push_back(segment(16, false, tcp_flag::ack, 280, 324));
    ArticleCheck r = check(script, CloseOrder::Any);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "No12: missing")) << report(r);
}

TEST(ArticleCheck, MissingClientFinFails) {
    auto script = test::article_script();
    test::drop_segment(script, 14);
    test::drop_segment(script, 16);
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "No14: missing")) << report(r);
}

TEST(ArticleCheck, ResetFails) {
    auto script = test::article_script();
    script.push_back(segment(0, true, tcp_flag::rst, 324, 0));
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "frame 11 is a RST")) << report(r);
}

TEST(ArticleCheck, ResetInsteadOfTheClientFinFails) {
    auto script = test::article_script();
    test::segment_no(script, 14).flags = tcp_flag::rst | tcp_flag::ack;
    test::drop_segment(script, 16);
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "is a RST")) << report(r);
}

TEST(ArticleCheck, ExtraUnexpectedSegmentFails) {
    auto script = test::article_script();
    auto at = std::find_if(script.begin(), script.end(), [](const ScriptedSegment& s) { return s.article_no == 11; });
    script.insert(at, segment(0, false, tcp_flag::ack, 1, 323));  // a second ACK 323 from the server
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "frame 6 [ACK] seq=1 is not part of the article's conversation")) << report(r);
}

TEST(ArticleCheck, AckOfDataNeverSentFails) {
    auto script = test::article_script();
    test::segment_no(script, 10).ack = 400;
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "frame 5 acknowledges 400 but the peer only sent up to 323")) << report(r);
}

TEST(ArticleCheck, RetransmittedRequestFails) {
    auto script = test::article_script();
    auto at = std::find_if(script.begin(), script.end(), [](const ScriptedSegment& s) { return s.article_no == 10; });
    script.insert(at, test::segment_no(script, 9));
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "frame 5 repeats data (retransmission)")) << report(r);
}

TEST(ArticleCheck, FramesOutOfTheArticlesOrderFail) {
    // The response before the ACK of the request: legal TCP, not the article's shape.
    auto script = test::article_script();
    std::swap(test::segment_no(script, 10), test::segment_no(script, 11));
    ArticleCheck r = check(script, CloseOrder::ServerFirst);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "out of the article's order")) << report(r);
}

TEST(ArticleCheck, EmptyConversationFailsWithEveryFrameMissing) {
    ArticleCheck r = check_article({}, CloseOrder::Any);
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(report_has(r, "article check: FAIL: No6 : missing")) << report(r);
}

}  // namespace
}  // namespace tapstack
