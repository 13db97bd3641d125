// SPDX-License-Identifier: MIT
// TapDev: a Linux TAP device (IFF_TAP | IFF_NO_PI, non-blocking) as a NetDev. It attaches to an
// existing device (made by scripts/setup_tap.sh and owned by the user, so no root is needed) or
// creates one when the process may. With TapOffload::On (--offload) it also asks for
// IFF_VNET_HDR and tells the kernel (TUNSETOFFLOAD) that we take unchecksummed and TSO/USO
// bundles: every frame then travels behind a virtio_net_hdr, the stack sends 64 KB TCP
// segments with partial checksums for the kernel to finish, and receives the kernel's bundles
// whole (their checksums completed here, so the stack verifies them as usual). Setup failures throw std::system_error
// with a message that says what to do; the packet path never throws, it counts what it could not do in TapStats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stack/device.hh"

namespace tapstack {

struct VnetHeader;  // the kernel's struct virtio_net_hdr, with --offload (tap_dev.cc)

struct TapStats {
    uint64_t frames_received = 0, bytes_received = 0;
    uint64_t frames_sent = 0, bytes_sent = 0;
    uint64_t oversized_dropped = 0;  // received frames larger than the caller's buffer
    uint64_t send_dropped = 0;       // the kernel would not take a frame now (EAGAIN, ENOBUFS)
    uint64_t send_errors = 0;        // write() failed otherwise (the link is down, a runt frame...)
    uint64_t receive_errors = 0;     // read() failed with something other than EAGAIN
    uint64_t bundles_sent = 0;       // --offload: TCP segments handed over for the kernel to cut up
    uint64_t bundles_received = 0;   // --offload: GSO bundles the kernel handed us whole
    uint64_t bad_vnet_header = 0;    // --offload: a received frame whose virtio_net_hdr made no sense
    int last_errno = 0;              // errno of the latest send or receive error, for diagnostics

    uint64_t total_drops() const {
        return oversized_dropped + send_dropped + send_errors + receive_errors + bad_vnet_header;
    }
};

enum class TapOffload : uint8_t { Off, On };

class TapDev final : public NetDev {
public:
    // Attaches to (or, with CAP_NET_ADMIN, creates) the TAP device `name`; "tap%d" lets the kernel
    // pick a free number, and name() then tells which. `clone_device` is the TUN/TAP clone device;
    // only tests change it. Without offload, any offload an earlier user left on the device is
    // switched off, so the kernel sends plain frames.
    explicit TapDev(std::string name, TapOffload offload = TapOffload::Off, std::string clone_device = "/dev/net/tun");
    ~TapDev() override;
    TapDev(const TapDev&) = delete;
    TapDev& operator=(const TapDev&) = delete;

    std::optional<size_t> receive(MutBytes buffer, Instant now) override;
    void transmit(Bytes frame, Instant now) override;
    void transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) override;
    Offloads offloads() const override;
    int wait_fd() const override { return fd_; }
    size_t mtu() const override { return mtu_; }

    const std::string& name() const { return name_; }
    // True when no device of this name existed before, so this process made it: the kernel
    // removes it again when the fd closes, and nobody has brought it up or given it an address.
    bool created() const { return created_; }
    const TapStats& stats() const { return stats_; }
    // The kernel's side is up and running (IFF_RUNNING). Attaching turns the carrier on, but the
    // kernel takes the link up a little later (its link watch runs up to a second behind), and
    // until then it drops what it would send us: an ARP reply, a SYN/ACK.
    bool running() const;

    // --offload: what TUNSETOFFLOAD accepted ("csum tso4 tso6 uso4 uso6"), for the start-up line.
    const std::string& offload_features() const { return offload_features_; }

private:
    // TUNSETIFF: attaches fd_ to the device (creating it when it may), sets name_ and created_.
    void attach(TapOffload offload, const std::string& clone_device);
    void enable_offloads();
    // Completes a received frame's partial checksum (--offload); false: the header is nonsense.
    bool finish_received(MutBytes frame, const VnetHeader& header);
    void write_frame(Bytes frame, const VnetHeader* header);
    int fd_ = -1;
    bool vnet_ = false;  // every frame behind a virtio_net_hdr
    std::string offload_features_;
    std::string name_;
    bool created_ = false;
    size_t mtu_ = 1500;
    TapStats stats_;
    std::vector<uint8_t> oversize_;  // where the rest of a frame too large for the caller's buffer goes
};

}  // namespace tapstack
