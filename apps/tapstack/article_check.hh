// SPDX-License-Identifier: MIT
// The article check: does one TCP conversation have the shape of the article's capture
// (handshake, request, ACK, response, four-way close) with numbers that obey TCP's rules
// (ack = peer seq + len, SYN and FIN count one each)? Pure logic over TracedSegments, so tests
// can feed it conversations built by hand.
#pragma once

#include <string>
#include <vector>

#include "stack/trace/conversation_tracer.hh"

namespace tapstack {

enum class CloseOrder { Any, ServerFirst, ClientFirst };

struct ArticleCheck {
    bool passed = false;
    std::vector<std::string> report;  // the side-by-side table and the verdict line, one per entry
};

ArticleCheck check_article(const std::vector<TracedSegment>& conversation, CloseOrder expect);

}  // namespace tapstack
