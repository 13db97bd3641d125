// SPDX-License-Identifier: MIT
#include "apps/tapstack/article_check.hh"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>

namespace tapstack {
namespace {

bool has(uint8_t flags, uint8_t f) { return (flags & f) != 0; }

struct Row {
    std::string article;  // the article's frame and numbers
    std::string rule;     // how the numbers relate
    const TracedSegment* ours = nullptr;
    std::string problem;  // empty: fine
};

std::string show(const TracedSegment* s) {
    if (!s) return "(missing)";
    std::string out = fmt::format("#{} [{}] seq={}", s->frame_number, tcp_flags_string(s->flags), s->seq);
    if (s->ack) out += fmt::format(" ack={}", *s->ack);
    if (s->len) out += fmt::format(" len={}", s->len);
    return out;
}

// The first problem found with a row is the one it shows.
void expect_eq(Row& r, const char* what, uint32_t got, uint32_t want) {
    if (got != want && r.problem.empty()) r.problem = fmt::format("{} is {}, expected {}", what, got, want);
}

using F = const TracedSegment&;

// One check of one conversation: the rules every segment obeys, then the article's frames, found
// by role, one row each (rows_[0] is No6 ... rows_[9] is No16), then the verdict.
class ArticleChecker {
public:
    explicit ArticleChecker(const std::vector<TracedSegment>& conv) : conv_(conv) {}

    void check_segment_rules();
    // Each of these finds its frames by role, adds their rows and checks their numbers.
    void check_handshake();  // No6-No8
    void check_request();    // No9-No10
    void check_response();   // No11
    void check_close();      // No12-No16
    void check_order();
    void check_nothing_else();
    void check_close_order(CloseOrder expect);
    ArticleCheck verdict();

private:
    std::optional<size_t> find(size_t from, const std::function<bool(F)>& pred) const {
        for (size_t i = from; i < conv_.size(); ++i)
            if (pred(conv_[i])) return i;
        return std::nullopt;
    }
    const TracedSegment* at(std::optional<size_t> i) const { return i ? &conv_[*i] : nullptr; }
    void fail(std::string why) { failures_.push_back(std::move(why)); }

    const std::vector<TracedSegment>& conv_;
    uint32_t payload_[2] = {0, 0};  // [client, server]: data bytes each side sent
    uint32_t request_len_ = 0;      // L: the request's length
    bool server_first_ = false;     // the server sent its FIN first
    std::vector<Row> rows_;
    std::vector<std::string> failures_;
    ArticleCheck result_;
};

// The rules every segment must obey: no RST, acks land on the end of something the peer sent
// (never beyond it), and each side's data starts at relative seq 1.
void ArticleChecker::check_segment_rules() {
    uint32_t next_seq[2] = {0, 0};  // [client, server]: one past the highest seq sent
    std::vector<uint32_t> ends[2];  // seq+seg_len of every segment each side sent
    for (const auto& s : conv_) {
        int side = s.from_client ? 0 : 1;
        uint32_t seg_len = s.len + (has(s.flags, tcp_flag::syn) ? 1 : 0) + (has(s.flags, tcp_flag::fin) ? 1 : 0);
        if (has(s.flags, tcp_flag::rst)) fail(fmt::format("frame {} is a RST", s.frame_number));
        if (s.ack) {
            uint32_t peer_next = next_seq[1 - side];
            if (*s.ack > peer_next)
                fail(fmt::format("frame {} acknowledges {} but the peer only sent up to {} (ACKed unseen segment)",
                                 s.frame_number, *s.ack, peer_next));
            else if (*s.ack != 0 &&
                     std::find(ends[1 - side].begin(), ends[1 - side].end(), *s.ack) == ends[1 - side].end())
                fail(fmt::format("frame {}: ack={} is not the end of any segment the peer sent", s.frame_number,
                                 *s.ack));
        }
        if (s.len > 0 && s.seq < next_seq[side])
            fail(fmt::format("frame {} repeats data (retransmission)", s.frame_number));
        next_seq[side] = std::max(next_seq[side], s.seq + seg_len);
        ends[side].push_back(s.seq + seg_len);
        payload_[side] += s.len;
    }
}

// No6-No8, the three-way handshake: the client's ISN is relative 0, and a SYN counts one.
void ArticleChecker::check_handshake() {
    auto syn = find(0, [](F s) { return s.from_client && has(s.flags, tcp_flag::syn) && !s.ack; });
    auto synack = find(syn.value_or(0), [](F s) { return !s.from_client && has(s.flags, tcp_flag::syn) && s.ack; });
    auto ack3 = find(synack.value_or(0), [](F s) { return s.from_client && !has(s.flags, tcp_flag::syn) && s.ack; });
    Row& no6 = rows_.emplace_back(Row{"No6  SYN      seq=0", "client's ISN is relative 0", at(syn), ""});
    if (no6.ours) expect_eq(no6, "seq", no6.ours->seq, 0);
    Row& no7 =
        rows_.emplace_back(Row{"No7  SYN,ACK  seq=0 ack=1", "ack = client seq + 1 (SYN counts one)", at(synack), ""});
    if (no7.ours) expect_eq(no7, "ack", no7.ours->ack.value_or(0), 1);
    Row& no8 = rows_.emplace_back(Row{"No8  ACK      seq=1 ack=1", "handshake done", at(ack3), ""});
    if (no8.ours) expect_eq(no8, "ack", no8.ours->ack.value_or(0), 1), expect_eq(no8, "seq", no8.ours->seq, 1);
}

// No9-No10, the request and our ACK of it: data starts at seq 1, and ack = 1 + its length (L).
void ArticleChecker::check_request() {
    auto request = find(0, [](F s) { return s.from_client && s.len > 0; });
    request_len_ = request ? conv_[*request].len : 0;
    uint32_t L = request_len_;
    auto request_ack = find(request.value_or(0), [&](F s) {
        return !s.from_client && s.ack == 1 + L && s.len == 0 && !has(s.flags, tcp_flag::fin);
    });
    Row& no9 = rows_.emplace_back(Row{"No9  request  seq=1 len=322", "data starts at seq 1", at(request), ""});
    if (no9.ours) expect_eq(no9, "seq", no9.ours->seq, 1);
    rows_.push_back({"No10 ACK      seq=1 ack=323", "ack = 1 + request length", at(request_ack), ""});
}

// No11, the response: the server's data starts at seq 1 too.
void ArticleChecker::check_response() {
    auto response = find(0, [](F s) { return !s.from_client && s.len > 0; });
    Row& no11 = rows_.emplace_back(Row{"No11 response seq=1 len=279", "response starts at seq 1", at(response), ""});
    if (no11.ours) expect_eq(no11, "seq", no11.ours->seq, 1);
}

// No12-No16, the four-way close: each FIN sits after its side's data (R bytes from the server)
// and counts one, so each ack of a FIN is 2 + that side's data.
void ArticleChecker::check_close() {
    uint32_t R = payload_[1];
    auto server_fin = find(0, [](F s) { return !s.from_client && has(s.flags, tcp_flag::fin); });
    auto client_fin = find(0, [](F s) { return s.from_client && has(s.flags, tcp_flag::fin); });
    server_first_ = server_fin && (!client_fin || *server_fin < *client_fin);
    auto ack_of_server_fin = find(server_fin.value_or(0), [&](F s) { return s.from_client && s.ack == 2 + R; });
    auto ack_of_client_fin =
        find(client_fin.value_or(0), [&](F s) { return !s.from_client && s.ack == 2 + payload_[0]; });
    // A FIN's own sequence number is seq + len (it follows the segment's data, if any).
    Row& no12 = rows_.emplace_back(
        Row{"No12 FIN,ACK  seq=280 ack=323", "server FIN seq = 1 + response length", at(server_fin), ""});
    if (no12.ours) expect_eq(no12, "FIN seq", no12.ours->seq + no12.ours->len, 1 + R);
    rows_.push_back({"No13 ACK      seq=323 ack=281", "ack = server FIN seq + 1", at(ack_of_server_fin), ""});
    Row& no14 = rows_.emplace_back(
        Row{"No14 FIN,ACK  seq=323 ack=281", "client FIN seq = 1 + request length", at(client_fin), ""});
    if (no14.ours) expect_eq(no14, "FIN seq", no14.ours->seq + no14.ours->len, 1 + payload_[0]);
    if (no14.ours && server_first_)
        expect_eq(no14, "ack (the client's FIN must acknowledge ours)", no14.ours->ack.value_or(0), 2 + R);
    Row& no16 =
        rows_.emplace_back(Row{"No16 ACK      seq=281 ack=324", "ack = client FIN seq + 1", at(ack_of_client_fin), ""});
    if (no16.ours && server_first_) expect_eq(no16, "seq", no16.ours->seq, 2 + R);
}

// Every frame must be there, in the article's order (the close half in the order of who closed).
void ArticleChecker::check_order() {
    for (auto& r : rows_) {
        if (!r.ours && r.problem.empty()) r.problem = "missing";
    }
    std::vector<size_t> order = server_first_ ? std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
                                              : std::vector<size_t>{0, 1, 2, 3, 4, 5, 8, 9, 6, 7};
    uint64_t last_frame = 0;
    for (size_t k : order) {
        Row& r = rows_[k];
        if (!r.ours) continue;
        if (r.ours->frame_number < last_frame && r.problem.empty()) r.problem = "out of the article's order";
        last_frame = std::max(last_frame, r.ours->frame_number);
    }
}

// Every segment of the conversation must be one of the article's frames, except a pure ACK
// that acknowledges new data (a client may ACK the response before it closes).
void ArticleChecker::check_nothing_else() {
    uint32_t highest_ack[2] = {0, 0};
    for (const auto& s : conv_) {
        int side = s.from_client ? 0 : 1;
        bool matched = std::any_of(rows_.begin(), rows_.end(), [&](const Row& r) { return r.ours == &s; });
        bool acks_new_data = s.flags == tcp_flag::ack && s.len == 0 && s.ack && *s.ack > highest_ack[side];
        if (!matched && acks_new_data) {
            result_.report.push_back(
                fmt::format("  note: frame {} acknowledges data (ack={}) on its own", s.frame_number, *s.ack));
        } else if (!matched) {
            fail(fmt::format("frame {} [{}] seq={} is not part of the article's conversation", s.frame_number,
                             tcp_flags_string(s.flags), s.seq));
        }
        if (s.ack) highest_ack[side] = std::max(highest_ack[side], *s.ack);
    }
}

// The side that closed first must be the one expected (--expect).
void ArticleChecker::check_close_order(CloseOrder expect) {
    if (expect == CloseOrder::ServerFirst && !server_first_)
        fail("the client closed first; the article's server closed first");
    if (expect == CloseOrder::ClientFirst && server_first_)
        fail("the server closed first; expected the client to close first");
}

// The table side by side with the article, the notes, the numbers, and PASS or FAIL.
ArticleCheck ArticleChecker::verdict() {
    // The client may acknowledge our FIN in the same segment as its own FIN (No13 + No14 in one):
    // that is the client's choice, legal TCP, so it is reported but not failed.
    bool merged_11_12 = rows_[5].ours && rows_[6].ours && rows_[5].ours == rows_[6].ours;
    bool merged_13_14 = rows_[7].ours && rows_[8].ours && rows_[7].ours == rows_[8].ours;
    result_.report.push_back(fmt::format("  {:<32} {:<42} {}", "article (Apache)", "this capture", "rule"));
    for (const auto& r : rows_) {
        result_.report.push_back(fmt::format("  {:<32} {:<42} {}{}", r.article, show(r.ours), r.rule,
                                             r.problem.empty() ? "" : "   <-- " + r.problem));
        if (!r.problem.empty()) fail(fmt::format("{}: {}", r.article.substr(0, 4), r.problem));
    }
    if (merged_11_12)
        result_.report.push_back(
            "  note: the server's FIN rode on the last segment of the response (No11 and No12 in one)");
    if (merged_13_14)
        result_.report.push_back(
            "  note: the client acknowledged the server's FIN in its own FIN segment (No13 and No14 in one)");
    uint32_t L = request_len_, R = payload_[1];
    result_.report.push_back(fmt::format(
        "  request {} bytes -> ack {} (article: 322 -> 323); response {} bytes -> FIN seq {} (article: 279 -> 280); "
        "final acks {} and {} (article: 281 and 324); {} closed first",
        L, 1 + L, R, 1 + R, 2 + R, 2 + L, server_first_ ? "server" : "client"));
    result_.passed = failures_.empty();
    result_.report.push_back(result_.passed ? "article check: PASS" : "article check: FAIL: " + failures_.front());
    for (size_t i = 1; i < failures_.size(); ++i) result_.report.push_back("  also: " + failures_[i]);
    return std::move(result_);
}

}  // namespace

ArticleCheck check_article(const std::vector<TracedSegment>& conv, CloseOrder expect) {
    ArticleChecker check(conv);
    check.check_segment_rules();
    check.check_handshake();  // No6  SYN, No7 SYN/ACK, No8 ACK
    check.check_request();    // No9  the GET, No10 our ACK of it
    check.check_response();   // No11 the 200 OK
    check.check_close();      // No12 server FIN, No13 its ACK, No14 client FIN, No16 its ACK
    check.check_order();
    check.check_nothing_else();
    check.check_close_order(expect);
    return check.verdict();
}

}  // namespace tapstack
