// SPDX-License-Identifier: MIT
#include "netdev/pcap_tee.hh"

#include <cerrno>
#include <system_error>

namespace tapstack {

PcapTee::PcapTee(NetDev& inner, const std::string& path, Duration wall_offset)
    : inner_(inner), wall_offset_(wall_offset) {
    pcap_ = pcap_open_dead(DLT_EN10MB, 65535);
    if (!pcap_) throw std::system_error(ENOMEM, std::generic_category(), "pcap_open_dead");
    dumper_ = pcap_dump_open(pcap_, path.c_str());
    if (!dumper_) {
        std::string why = pcap_geterr(pcap_);
        pcap_close(pcap_);
        throw std::system_error(EIO, std::generic_category(), "cannot write pcap file " + path + ": " + why);
    }
}

PcapTee::~PcapTee() {
    pcap_dump_close(dumper_);  // flushes
    pcap_close(pcap_);
}

void PcapTee::record(Bytes frame, Instant now) {
    int64_t us = (now.since_epoch + wall_offset_).count();
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(us / 1'000'000);
    header.ts.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    header.caplen = static_cast<bpf_u_int32>(frame.size());
    header.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame.data());
    dirty_ = true;
    ++frames_written_;
}

std::optional<size_t> PcapTee::receive(MutBytes buffer, Instant now) {
    auto n = inner_.receive(buffer, now);
    if (n) record(buffer.first(*n), now);
    return n;
}

void PcapTee::transmit(Bytes frame, Instant now) {
    record(frame, now);
    inner_.transmit(frame, now);
}

void PcapTee::flush() {
    if (!dirty_) return;
    pcap_dump_flush(dumper_);
    dirty_ = false;
}

}  // namespace tapstack
