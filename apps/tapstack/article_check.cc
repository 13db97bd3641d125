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
    std::string article;    // the article's frame and numbers
    std::string rule;       // how the numbers relate
    const TracedSegment* ours = nullptr;
    std::string problem;    // empty: fine
};

std::string show(const TracedSegment* s) {
    if (!s) return "(missing)";
    std::string out = fmt::format("#{} [{}] seq={}", s->frame_number, tcp_flags_string(s->flags), s->seq);
    if (s->ack) out += fmt::format(" ack={}", *s->ack);
    if (s->len) out += fmt::format(" len={}", s->len);
    return out;
}

}  // namespace

ArticleCheck check_article(const std::vector<TracedSegment>& conv, CloseOrder expect) {
    ArticleCheck result;
    std::vector<std::string> failures;
    auto fail = [&](std::string why) { failures.push_back(std::move(why)); };

    // First, the rules every segment must obey: no RST, acks land on the end of something the
    // peer sent (never beyond it), and each side's data starts at relative seq 1.
    uint32_t next_seq[2] = {0, 0};       // [client, server]: one past the highest seq sent
    std::vector<uint32_t> ends[2];       // seq+seg_len of every segment each side sent
    uint32_t payload[2] = {0, 0};
    for (const auto& s : conv) {
        int side = s.from_client ? 0 : 1;
        uint32_t seg_len = s.len + (has(s.flags, tcp_flag::syn) ? 1 : 0) + (has(s.flags, tcp_flag::fin) ? 1 : 0);
        if (has(s.flags, tcp_flag::rst)) fail(fmt::format("frame {} is a RST", s.frame_number));
        if (s.ack) {
            uint32_t peer_next = next_seq[1 - side];
            if (*s.ack > peer_next) fail(fmt::format("frame {} acknowledges {} but the peer only sent up to {} (ACKed unseen segment)", s.frame_number, *s.ack, peer_next));
            else if (*s.ack != 0 && std::find(ends[1 - side].begin(), ends[1 - side].end(), *s.ack) == ends[1 - side].end())
                fail(fmt::format("frame {}: ack={} is not the end of any segment the peer sent", s.frame_number, *s.ack));
        }
        if (s.len > 0 && s.seq < next_seq[side]) fail(fmt::format("frame {} repeats data (retransmission)", s.frame_number));
        next_seq[side] = std::max(next_seq[side], s.seq + seg_len);
        ends[side].push_back(s.seq + seg_len);
        payload[side] += s.len;
    }

    // Then the article's frames, found by role.
    auto find = [&](size_t from, const std::function<bool(const TracedSegment&)>& pred) -> std::optional<size_t> {
        for (size_t i = from; i < conv.size(); ++i)
            if (pred(conv[i])) return i;
        return std::nullopt;
    };
    auto at = [&](std::optional<size_t> i) -> const TracedSegment* { return i ? &conv[*i] : nullptr; };
    using F = const TracedSegment&;
    auto syn = find(0, [](F s) { return s.from_client && has(s.flags, tcp_flag::syn) && !s.ack; });
    auto synack = find(syn.value_or(0), [](F s) { return !s.from_client && has(s.flags, tcp_flag::syn) && s.ack; });
    auto ack3 = find(synack.value_or(0), [](F s) { return s.from_client && !has(s.flags, tcp_flag::syn) && s.ack; });
    auto request = find(0, [](F s) { return s.from_client && s.len > 0; });
    uint32_t L = request ? conv[*request].len : 0;
    uint32_t R = payload[1];
    auto request_ack = find(request.value_or(0), [&](F s) { return !s.from_client && s.ack == 1 + L && s.len == 0 && !has(s.flags, tcp_flag::fin); });
    auto response = find(0, [](F s) { return !s.from_client && s.len > 0; });
    auto server_fin = find(0, [](F s) { return !s.from_client && has(s.flags, tcp_flag::fin); });
    auto client_fin = find(0, [](F s) { return s.from_client && has(s.flags, tcp_flag::fin); });
    bool server_first = server_fin && (!client_fin || *server_fin < *client_fin);
    auto ack_of_server_fin = find(server_fin.value_or(0), [&](F s) { return s.from_client && s.ack == 2 + R; });
    auto ack_of_client_fin = find(client_fin.value_or(0), [&](F s) { return !s.from_client && s.ack == 2 + payload[0]; });

    std::vector<Row> rows = {
        {"No6  SYN      seq=0", "client's ISN is relative 0", at(syn), ""},
        {"No7  SYN,ACK  seq=0 ack=1", "ack = client seq + 1 (SYN counts one)", at(synack), ""},
        {"No8  ACK      seq=1 ack=1", "handshake done", at(ack3), ""},
        {"No9  request  seq=1 len=322", "data starts at seq 1", at(request), ""},
        {"No10 ACK      seq=1 ack=323", "ack = 1 + request length", at(request_ack), ""},
        {"No11 response seq=1 len=279", "response starts at seq 1", at(response), ""},
        {"No12 FIN,ACK  seq=280 ack=323", "server FIN seq = 1 + response length", at(server_fin), ""},
        {"No13 ACK      seq=323 ack=281", "ack = server FIN seq + 1", at(ack_of_server_fin), ""},
        {"No14 FIN,ACK  seq=323 ack=281", "client FIN seq = 1 + request length", at(client_fin), ""},
        {"No16 ACK      seq=281 ack=324", "ack = client FIN seq + 1", at(ack_of_client_fin), ""},
    };
    auto expect_eq = [&](Row& r, const char* what, uint32_t got, uint32_t want) {
        if (got != want && r.problem.empty()) r.problem = fmt::format("{} is {}, expected {}", what, got, want);
    };
    if (rows[0].ours) expect_eq(rows[0], "seq", rows[0].ours->seq, 0);
    if (rows[1].ours) expect_eq(rows[1], "ack", rows[1].ours->ack.value_or(0), 1);
    if (rows[2].ours) expect_eq(rows[2], "ack", rows[2].ours->ack.value_or(0), 1), expect_eq(rows[2], "seq", rows[2].ours->seq, 1);
    if (rows[3].ours) expect_eq(rows[3], "seq", rows[3].ours->seq, 1);
    if (rows[5].ours) expect_eq(rows[5], "seq", rows[5].ours->seq, 1);
    // A FIN's own sequence number is seq + len (it follows the segment's data, if any).
    if (rows[6].ours) expect_eq(rows[6], "FIN seq", rows[6].ours->seq + rows[6].ours->len, 1 + R);
    if (rows[8].ours) expect_eq(rows[8], "FIN seq", rows[8].ours->seq + rows[8].ours->len, 1 + payload[0]);
    if (rows[8].ours && server_first) expect_eq(rows[8], "ack (the client's FIN must acknowledge ours)", rows[8].ours->ack.value_or(0), 2 + R);
    if (rows[9].ours && server_first) expect_eq(rows[9], "seq", rows[9].ours->seq, 2 + R);
    for (auto& r : rows) {
        if (!r.ours && r.problem.empty()) r.problem = "missing";
    }
    // The frames must come in the article's order (the close half in the order of who closed).
    std::vector<size_t> order = server_first ? std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
                                             : std::vector<size_t>{0, 1, 2, 3, 4, 5, 8, 9, 6, 7};
    uint64_t last_frame = 0;
    for (size_t k : order) {
        Row& r = rows[k];
        if (!r.ours) continue;
        if (r.ours->frame_number < last_frame && r.problem.empty()) r.problem = "out of the article's order";
        last_frame = std::max(last_frame, r.ours->frame_number);
    }
    // Every segment of the conversation must be one of the article's frames, except a pure ACK
    // that acknowledges new data (a client may ACK the response before it closes).
    uint32_t highest_ack[2] = {0, 0};
    for (const auto& s : conv) {
        int side = s.from_client ? 0 : 1;
        bool matched = std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return r.ours == &s; });
        bool acks_new_data = s.flags == tcp_flag::ack && s.len == 0 && s.ack && *s.ack > highest_ack[side];
        if (!matched && acks_new_data) {
            result.report.push_back(fmt::format("  note: frame {} acknowledges data (ack={}) on its own", s.frame_number, *s.ack));
        } else if (!matched) {
            fail(fmt::format("frame {} [{}] seq={} is not part of the article's conversation", s.frame_number,
                             tcp_flags_string(s.flags), s.seq));
        }
        if (s.ack) highest_ack[side] = std::max(highest_ack[side], *s.ack);
    }
    // The client may acknowledge our FIN in the same segment as its own FIN (No13 + No14 in one):
    // that is the client's choice, legal TCP, so it is reported but not failed.
    bool merged_11_12 = rows[5].ours && rows[6].ours && rows[5].ours == rows[6].ours;
    bool merged_13_14 = rows[7].ours && rows[8].ours && rows[7].ours == rows[8].ours;
    if (expect == CloseOrder::ServerFirst && !server_first) fail("the client closed first; the article's server closed first");
    if (expect == CloseOrder::ClientFirst && server_first) fail("the server closed first; expected the client to close first");

    result.report.push_back(fmt::format("  {:<32} {:<42} {}", "article (Apache)", "this capture", "rule"));
    for (const auto& r : rows) {
        result.report.push_back(fmt::format("  {:<32} {:<42} {}{}", r.article, show(r.ours), r.rule,
                                            r.problem.empty() ? "" : "   <-- " + r.problem));
        if (!r.problem.empty()) fail(fmt::format("{}: {}", r.article.substr(0, 4), r.problem));
    }
    if (merged_11_12) result.report.push_back("  note: the server's FIN rode on the last segment of the response (No11 and No12 in one)");
    if (merged_13_14) result.report.push_back("  note: the client acknowledged the server's FIN in its own FIN segment (No13 and No14 in one)");
    result.report.push_back(fmt::format("  request {} bytes -> ack {} (article: 322 -> 323); response {} bytes -> FIN seq {} (article: 279 -> 280); "
                                        "final acks {} and {} (article: 281 and 324); {} closed first",
                                        L, 1 + L, R, 1 + R, 2 + R, 2 + L, server_first ? "server" : "client"));
    result.passed = failures.empty();
    result.report.push_back(result.passed ? "article check: PASS" : "article check: FAIL: " + failures.front());
    for (size_t i = 1; i < failures.size(); ++i) result.report.push_back("  also: " + failures[i]);
    return result;
}

}  // namespace tapstack
