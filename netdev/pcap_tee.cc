// SPDX-License-Identifier: MIT
// PcapTee's implementation: records go through libpcap's buffered pcap_dump(); pcap_dump_flush()
// runs only when the owner calls flush() and in the destructor, so the hot path never syncs.
#include "netdev/pcap_tee.hh"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "stack/base/byte_order.hh"

namespace tapstack {

PcapTee::PcapTee(NetDev& inner, const std::string& path, Duration wall_offset)
    : inner_(inner), wall_offset_(wall_offset) {
    pcap_ = pcap_open_dead(DLT_EN10MB, static_cast<int>(snaplen));
    if (!pcap_) throw std::system_error(ENOMEM, std::generic_category(), "cannot start pcap file " + path);
    // Open the file ourselves so the error carries the real errno (ENOENT, EACCES, EROFS...).
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) {
        int err = errno;
        pcap_close(pcap_);
        throw std::system_error(err, std::generic_category(), "cannot write pcap file " + path);
    }
    dumper_ = pcap_dump_fopen(pcap_, file);
    if (!dumper_) {
        std::string why = pcap_geterr(pcap_);
        std::fclose(file);
        pcap_close(pcap_);
        throw std::system_error(EIO, std::generic_category(),
                                "cannot write pcap file " + path + " (libpcap: " + why + ")");
    }
}

PcapTee::~PcapTee() {
    pcap_dump_close(dumper_);  // flushes and closes the file
    pcap_close(pcap_);
}

void PcapTee::record(Bytes frame, Instant now) {
    // Split into seconds and microseconds rounding down, so an instant before the epoch still
    // gives 0 <= tv_usec < 1'000'000.
    int64_t us = (now.since_epoch + wall_offset_).count();
    int64_t seconds = us / 1'000'000;
    if (us % 1'000'000 < 0) --seconds;
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(seconds);
    header.ts.tv_usec = static_cast<suseconds_t>(us - seconds * 1'000'000);
    header.caplen = static_cast<bpf_u_int32>(std::min<size_t>(frame.size(), snaplen));
    header.len = static_cast<bpf_u_int32>(frame.size());
    // pcap_dump() takes the dumper disguised as a u_char*, so that it can be a pcap_handler.
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

void PcapTee::transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) {
    auto layout = tcp_frame_layout(frame);
    if (!offload.partial_checksum || !layout) {
        record(frame, now);
        return inner_.transmit_offloaded(frame, now, offload);
    }
    // Fill the checksum in for the record, then give the device its seed back.
    uint16_t seed = load_be16(frame, layout->checksum_field());
    complete_partial_checksum(frame, layout->tcp_start(), layout->checksum_field());
    record(frame, now);
    store_be16(frame, layout->checksum_field(), seed);
    inner_.transmit_offloaded(frame, now, offload);
}

void PcapTee::flush() {
    if (!dirty_) return;
    if (pcap_dump_flush(dumper_) != 0 || std::ferror(pcap_dump_file(dumper_))) write_failed_ = true;
    dirty_ = false;
}

}  // namespace tapstack
