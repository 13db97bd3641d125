// SPDX-License-Identifier: MIT
#include "netdev/pcap_reader.hh"

#include <cerrno>
#include <system_error>

namespace tapstack {

PcapReader::PcapReader(const std::string& path) {
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_ = pcap_open_offline(path.c_str(), error);
    if (!pcap_) throw std::system_error(EINVAL, std::generic_category(), "cannot read " + path + ": " + error);
    link_type_ = pcap_datalink(pcap_);
}

PcapReader::~PcapReader() { pcap_close(pcap_); }

std::optional<PcapReader::Frame> PcapReader::next() {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    if (pcap_next_ex(pcap_, &header, &data) != 1) return std::nullopt;  // end of file or a damaged tail
    int64_t us = int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec;
    return Frame{Instant::from_us(us), Bytes{data, header->caplen}, header->len};
}

std::optional<size_t> PcapReader::network_offset() const {
    switch (link_type_) {
    case DLT_EN10MB: return 14;
    case DLT_LINUX_SLL: return 16;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2: return 20;
#endif
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
#endif
        return 0;
    default: return std::nullopt;
    }
}

}  // namespace tapstack
