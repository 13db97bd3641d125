// SPDX-License-Identifier: MIT
// PcapReader's implementation: we fopen() the file ourselves so open errors carry their errno, let
// libpcap judge the format, and find the IPv4 header per link type (and per frame: VLAN tags,
// the cooked header's protocol field, the IP version nibble).
#include "netdev/pcap_reader.hh"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "stack/base/byte_order.hh"

namespace tapstack {
namespace {

constexpr uint16_t ethertype_ipv4 = 0x0800;
constexpr uint16_t ethertype_vlan = 0x8100;  // IEEE 802.1Q
constexpr uint16_t ethertype_qinq = 0x88a8;  // IEEE 802.1ad

[[noreturn]] void fail(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

}  // namespace

PcapReader::PcapReader(const std::string& path) : path_(path) {
    // Open the file ourselves so a missing or unreadable file is reported with its errno, and
    // libpcap's message is left for what only it can judge: the format.
    bool from_stdin = path == "-";  // as tcpdump -r -; pcap_close() then closes stdin, as libpcap does
    std::FILE* file = from_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (!file) {
        int err = errno;
        fail(err, "cannot open capture file " + path);
    }
    struct stat st {};
    if (::fstat(::fileno(file), &st) == 0) {
        const char* problem = nullptr;
        if (S_ISDIR(st.st_mode)) problem = "is a directory";
        if (S_ISREG(st.st_mode) && st.st_size == 0) problem = "is empty";
        if (problem) {
            if (!from_stdin) std::fclose(file);
            fail(EINVAL, path + " " + problem + ", not a capture file");
        }
    }
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_ = pcap_fopen_offline(file, error);
    if (!pcap_) {
        if (!from_stdin) std::fclose(file);  // on failure libpcap leaves the FILE to us
        fail(EINVAL, path + " is not a pcap or pcapng capture file (libpcap: " + error + ")");
    }
    link_type_ = pcap_datalink(pcap_);
}

PcapReader::~PcapReader() { pcap_close(pcap_); }

std::optional<PcapReader::Frame> PcapReader::next() {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int got = pcap_next_ex(pcap_, &header, &data);
    if (got == PCAP_ERROR_BREAK) return std::nullopt;  // -2: the end of the file
    if (got != 1) {
        fail(EIO, path_ + " is cut short or damaged after frame " + std::to_string(frames_read_) +
                      " (libpcap: " + pcap_geterr(pcap_) + ")");
    }
    ++frames_read_;
    int64_t us = int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec;
    return Frame{Instant::from_us(us), Bytes{data, header->caplen}, header->len, frames_read_};
}

std::string PcapReader::link_type_name() const {
    const char* name = pcap_datalink_val_to_name(link_type_);
    return name ? name : "DLT " + std::to_string(link_type_);
}

std::optional<size_t> PcapReader::network_offset() const {
    switch (link_type_) {
    case DLT_EN10MB: return 14;
    case DLT_LINUX_SLL: return 16;   // Linux "cooked" header v1: protocol at 14
    case DLT_LINUX_SLL2: return 20;  // v2: protocol at 0
    case DLT_RAW:
    case DLT_IPV4: return 0;
    default: return std::nullopt;
    }
}

std::optional<size_t> PcapReader::ipv4_offset(Bytes frame) const {
    size_t offset = 0;
    uint16_t protocol = ethertype_ipv4;  // raw IP: the version nibble decides
    switch (link_type_) {
    case DLT_EN10MB:
        offset = 14;
        if (frame.size() < offset) return std::nullopt;
        protocol = load_be16(frame, 12);
        // Skip up to two VLAN tags (802.1ad outer, 802.1Q inner); each is 4 bytes before the type.
        for (int tags = 0; tags < 2 && (protocol == ethertype_vlan || protocol == ethertype_qinq); ++tags) {
            offset += 4;
            if (frame.size() < offset) return std::nullopt;
            protocol = load_be16(frame, offset - 2);
        }
        break;
    case DLT_LINUX_SLL:
        offset = 16;
        if (frame.size() < offset) return std::nullopt;
        protocol = load_be16(frame, 14);
        break;
    case DLT_LINUX_SLL2:
        offset = 20;
        if (frame.size() < offset) return std::nullopt;
        protocol = load_be16(frame, 0);
        break;
    case DLT_RAW:
    case DLT_IPV4: break;
    default: return std::nullopt;
    }
    if (protocol != ethertype_ipv4 || frame.size() <= offset || (frame[offset] >> 4) != 4) return std::nullopt;
    return offset;
}

}  // namespace tapstack
