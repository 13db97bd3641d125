// SPDX-License-Identifier: MIT
// TapDev's implementation: opening /dev/net/tun and TUNSETIFF (each failure turned into a message
// that says what to do), reading the MTU, and the non-blocking read()/write() of the packet path,
// which only counts what goes wrong.
#include "netdev/tap_dev.hh"

#include <fcntl.h>
#include <fmt/core.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>

// Debian 12's headers predate UDP segmentation offload (Linux 6.2): the kernel's values.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

namespace tapstack {

// struct virtio_net_hdr of <linux/virtio_net.h> (which C++ cannot include: a member is named
// `class`): 10 bytes in the host's byte order (legacy virtio on a little-endian host), in front
// of every frame once IFF_VNET_HDR is on.
struct VnetHeader {
    static constexpr uint8_t needs_csum = 1;               // VIRTIO_NET_HDR_F_NEEDS_CSUM
    static constexpr uint8_t gso_none = 0, gso_tcpv4 = 1;  // VIRTIO_NET_HDR_GSO_NONE, _TCPV4
    uint8_t flags = 0;
    uint8_t gso_type = gso_none;
    uint16_t hdr_len = 0;      // Ethernet + IP + TCP headers
    uint16_t gso_size = 0;     // payload bytes per segment
    uint16_t csum_start = 0;   // where the checksum sum starts (the TCP header)
    uint16_t csum_offset = 0;  // where, from csum_start, it goes
};
static_assert(sizeof(VnetHeader) == 10, "the kernel's struct virtio_net_hdr is 10 bytes");

namespace {

// What to do next, in every permission error: this message is how a user learns the set-up.
std::string setup_step(const std::string& name) {
    return "run sudo ./scripts/setup_tap.sh to create " + name + " owned by you";
}

[[noreturn]] void fail(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

// The kernel's rule for interface names (dev_valid_name), checked here so a bad name gets a clear
// message instead of a bare EINVAL from TUNSETIFF.
bool valid_interface_name(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
    for (char c : name) {
        if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

// Opens the TUN/TAP clone device for the TAP device `name`; each failure says what to do.
int open_clone_device(const std::string& clone_device, const std::string& name) {
    int fd = ::open(clone_device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) return fd;
    int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO) {
        fail(err, "cannot open " + clone_device + ": is the tun module loaded? (try: sudo modprobe tun)");
    }
    if (err == EACCES || err == EPERM) {
        // Debian makes /dev/net/tun mode 0666; some systems and containers keep it 0600, and
        // then a TAP device owned by the user is not enough.
        struct stat st {};
        std::string mode;
        if (::stat(clone_device.c_str(), &st) == 0) mode = fmt::format(" (mode {:04o})", st.st_mode & 07777);
        fail(err, "cannot open " + clone_device + mode + ": permission denied; run as root, or let users open it " +
                      "(sudo chmod 0666 " + clone_device + ", as Debian does) and " + setup_step(name));
    }
    fail(err, "cannot open " + clone_device);
}

// TUNSETIFF on TAP device `name` failed with `err` (`existed`: the device was there before).
[[noreturn]] void fail_attach(int err, const std::string& name, const std::string& clone_device, bool existed) {
    switch (err) {
    case EPERM:
    case EACCES:
        if (existed) {
            fail(err, "not allowed to attach to TAP device " + name + ": it belongs to another user; " +
                          setup_step(name) + ", or run as root");
        }
        fail(err, "TAP device " + name + " does not exist and only root may create it; " + setup_step(name) +
                      ", or run as root");
    case EBUSY: fail(err, "device busy: another program has " + name + " open (is tapstack already running?)");
    case EINVAL:
        fail(err, "cannot attach to " + name + ": it exists but is not a TAP device, or is a multi-queue one " +
                      "(`ip -d link show " + name + "` tells what it is)");
    case ENOTTY: fail(err, clone_device + " is not the TUN/TAP clone device (TUNSETIFF does not apply to it)");
    default: fail(err, "cannot attach to TAP device " + name);
    }
}

// The MTU of the device, asked through an ordinary socket; nullopt when there is no answer.
std::optional<size_t> interface_mtu(const std::string& name) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return std::nullopt;
    std::optional<size_t> mtu;
    ifreq mtu_request{};
    std::memcpy(mtu_request.ifr_name, name.data(), name.size());
    // RFC 791: every IPv4 link carries at least 68 bytes; anything smaller is not an answer.
    if (::ioctl(s, SIOCGIFMTU, &mtu_request) == 0 && mtu_request.ifr_mtu >= 68) {
        mtu = static_cast<size_t>(mtu_request.ifr_mtu);
    }
    ::close(s);
    return mtu;
}

}  // namespace

TapDev::TapDev(std::string name, TapOffload offload, std::string clone_device) : name_(std::move(name)) {
    if (!valid_interface_name(name_)) {
        fail(EINVAL, "TAP device name '" + name_ + "' is not a valid interface name: it must be 1 to " +
                         std::to_string(IFNAMSIZ - 1) + " characters, without '/', ':' or spaces");
    }
    fd_ = open_clone_device(clone_device, name_);
    attach(offload, clone_device);
    if (offload == TapOffload::On) {
        enable_offloads();
    } else {
        // A persistent device keeps the offloads its last user asked for; without a vnet header
        // the kernel would then hand us 64 KB bundles. Plain frames only.
        (void)::ioctl(fd_, TUNSETOFFLOAD, 0u);
    }
    if (auto mtu = interface_mtu(name_)) mtu_ = *mtu;  // else keep the Ethernet default
    oversize_.resize(max_device_frame_len);
}

void TapDev::attach(TapOffload offload, const std::string& clone_device) {
    // TUNSETIFF attaches to the device when it exists and creates it otherwise; ask first which it
    // will be, only to say so (and to word a permission error right).
    bool existed = name_.find('%') == std::string::npos && ::if_nametoindex(name_.c_str()) != 0;
    ifreq ifr{};
    ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (offload == TapOffload::On ? IFF_VNET_HDR : 0));
    std::memcpy(ifr.ifr_name, name_.data(), name_.size());
    if (::ioctl(fd_, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        fail_attach(err, name_, clone_device, existed);
    }
    name_.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));  // the kernel's name when we asked for "tap%d"
    created_ = !existed;
}

void TapDev::enable_offloads() {
    int header_size = sizeof(VnetHeader);
    if (::ioctl(fd_, TUNSETVNETHDRSZ, &header_size) < 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        fail(err, "--offload: the kernel refused the virtio_net_hdr size (TUNSETVNETHDRSZ) on " + name_);
    }
    // Checksums and TCP segmentation both ways. The kernel takes USO4 and USO6 only together
    // (EINVAL otherwise), and kernels before 6.2 know neither: then without them.
    const std::pair<unsigned, const char*> attempts[] = {
        {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6, "csum tso4 tso6 uso4 uso6"},
        {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, "csum tso4 tso6"},
    };
    for (auto [flags, names] : attempts) {
        if (::ioctl(fd_, TUNSETOFFLOAD, flags) == 0) {
            vnet_ = true;
            offload_features_ = names;
            return;
        }
    }
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail(err, "--offload: the kernel refused checksum and TCP segmentation offload (TUNSETOFFLOAD) on " + name_ +
                  "; run without --offload");
}

Offloads TapDev::offloads() const {
    if (!vnet_) return {};
    return Offloads{.tcp_checksum = true, .max_segmentation_frame = TcpFrameLayout::ethernet_header + 65535};
}

bool TapDev::running() const {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return true;  // cannot tell: assume it is
    ifreq request{};
    std::memcpy(request.ifr_name, name_.data(), name_.size());
    bool up = ::ioctl(s, SIOCGIFFLAGS, &request) != 0 || (request.ifr_flags & IFF_RUNNING) != 0;
    ::close(s);
    return up;
}

TapDev::~TapDev() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<size_t> TapDev::receive(MutBytes buffer, Instant) {
    for (;;) {
        // One read() returns one whole frame (behind its virtio_net_hdr with --offload). Read
        // into the caller's buffer with the spare buffer behind it: a frame that is too long is
        // then seen whole (and dropped) instead of being truncated into something that parses.
        VnetHeader header{};
        iovec iov[3] = {{&header, sizeof header}, {buffer.data(), buffer.size()}, {oversize_.data(), oversize_.size()}};
        ssize_t n = vnet_ ? ::readv(fd_, iov, 3) : ::readv(fd_, iov + 1, 2);
        if (n < 0) {
            int err = errno;
            if (err == EINTR) continue;
            if (err != EAGAIN && err != EWOULDBLOCK) {
                ++stats_.receive_errors;
                stats_.last_errno = err;
            }
            return std::nullopt;
        }
        size_t len = static_cast<size_t>(n);
        if (vnet_) {
            if (len < sizeof header) {
                ++stats_.bad_vnet_header;
                continue;
            }
            len -= sizeof header;
        }
        if (len > buffer.size()) {
            ++stats_.oversized_dropped;
            continue;
        }
        if (vnet_ && !finish_received(buffer.first(len), header)) {
            ++stats_.bad_vnet_header;
            continue;
        }
        ++stats_.frames_received;
        stats_.bytes_received += len;
        return len;
    }
}

bool TapDev::finish_received(MutBytes frame, const VnetHeader& header) {
    if (header.gso_type != VnetHeader::gso_none) ++stats_.bundles_received;
    if (!(header.flags & VnetHeader::needs_csum)) return true;
    // A partial checksum (the kernel's own TCP left it for the "hardware"): the field holds the
    // pseudo-header's sum; sum from csum_start to the end and store it, as a NIC would.
    return complete_partial_checksum(frame, header.csum_start, size_t{header.csum_start} + header.csum_offset);
}

void TapDev::write_frame(Bytes frame, const VnetHeader* header) {
    for (;;) {
        VnetHeader plain{};
        iovec iov[2] = {{const_cast<VnetHeader*>(header ? header : &plain), sizeof(VnetHeader)},
                        {const_cast<uint8_t*>(frame.data()), frame.size()}};
        ssize_t n = vnet_ ? ::writev(fd_, iov, 2) : ::write(fd_, frame.data(), frame.size());
        if (n >= 0) {
            ++stats_.frames_sent;
            stats_.bytes_sent += frame.size();
            return;
        }
        int err = errno;
        if (err == EINTR) continue;
        // The kernel is full: drop, as a full NIC queue would; TCP retransmits.
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
            ++stats_.send_dropped;
        } else {
            ++stats_.send_errors;
        }
        stats_.last_errno = err;
        return;
    }
}

void TapDev::transmit(Bytes frame, Instant) { write_frame(frame, nullptr); }

void TapDev::transmit_offloaded(MutBytes frame, Instant now, TxOffload offload) {
    // Without a vnet header, or a bundle whose checksum is not left to the kernel (which
    // segments only CHECKSUM_PARTIAL bundles): done in software.
    auto layout = tcp_frame_layout(frame);
    if (!vnet_ || !offload.partial_checksum || !layout) return NetDev::transmit_offloaded(frame, now, offload);
    VnetHeader header{};
    header.flags = VnetHeader::needs_csum;
    header.csum_start = static_cast<uint16_t>(layout->tcp_start());
    header.csum_offset = static_cast<uint16_t>(layout->checksum_field() - layout->tcp_start());
    header.hdr_len = static_cast<uint16_t>(layout->headers());
    if (offload.segment_payload > 0 && frame.size() - layout->headers() > offload.segment_payload) {
        header.gso_type = VnetHeader::gso_tcpv4;
        header.gso_size = offload.segment_payload;
        ++stats_.bundles_sent;
    }
    write_frame(frame, &header);
}

}  // namespace tapstack
