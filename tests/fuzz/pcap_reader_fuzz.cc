// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary bytes as a capture file (pcap or pcapng, any link type) through
// PcapReader, and every frame it yields through what the tools do with it (the IPv4 offset, a TCP
// parse, the article-style tracer). A damaged file must end in a clean error, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>

#include "netdev/pcap_reader.hh"
#include "stack/trace/conversation_tracer.hh"
#include "stack/wire/tcp.hh"

using namespace tapstack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // In memory (tmpfs) where there is one: on a disk, each input's write and read-back made the
    // target wait on I/O while other work used the disk (239 executions a second instead of
    // thousands).
    static const std::string path = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                                    "/tapstack-pcap-fuzz-" + std::to_string(getpid()) + ".pcap";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        PcapReader reader(path);
        ConversationTracer tracer([](std::string_view) {}, TraceFormat::Text);
        for (int frames = 0; frames < 10000; ++frames) {
            auto frame = reader.next();
            if (!frame) break;
            if (auto off = reader.ipv4_offset(frame->data); off && *off < frame->data.size()) {
                Bytes ip = frame->data.subspan(*off);
                if (ip.size() >= 20)
                    (void)TcpSegment::parse_unchecked(ip.subspan(std::min<size_t>(ip.size(), (ip[0] & 0x0f) * 4u)));
            }
            if (reader.is_ethernet()) tracer.on_frame(frame->timestamp, FrameDirection::Received, frame->data);
        }
    } catch (const std::system_error&) {
        // a file that is not a capture, or is cut short: reported, as it should be
    }
    return 0;
}
