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

namespace tapstack {
namespace {

// The largest frame a TAP device can hand us: the largest MTU Linux allows, an Ethernet header and
// one VLAN tag.
constexpr size_t largest_tap_frame = 65535 + 14 + 4;

// What to do next, in every permission error: this message is how a user learns the set-up.
std::string setup_step(const std::string& name) {
    return "run sudo ./scripts/setup_tap.sh to create " + name + " owned by you";
}

[[noreturn]] void fail(int err, const std::string& what) { throw std::system_error(err, std::generic_category(), what); }

// The kernel's rule for interface names (dev_valid_name), checked here so a bad name gets a clear
// message instead of a bare EINVAL from TUNSETIFF.
bool valid_interface_name(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
    for (char c : name) {
        if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

}  // namespace

TapDev::TapDev(std::string name, std::string clone_device) : name_(std::move(name)) {
    if (!valid_interface_name(name_)) {
        fail(EINVAL, "TAP device name '" + name_ + "' is not a valid interface name: it must be 1 to " +
                         std::to_string(IFNAMSIZ - 1) + " characters, without '/', ':' or spaces");
    }
    fd_ = ::open(clone_device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
        int err = errno;
        if (err == ENOENT || err == ENODEV || err == ENXIO) {
            fail(err, "cannot open " + clone_device + ": is the tun module loaded? (try: sudo modprobe tun)");
        }
        if (err == EACCES || err == EPERM) {
            // Debian makes /dev/net/tun mode 0666; some systems and containers keep it 0600, and
            // then a TAP device owned by the user is not enough.
            struct stat st{};
            std::string mode;
            if (::stat(clone_device.c_str(), &st) == 0) mode = fmt::format(" (mode {:04o})", st.st_mode & 07777);
            fail(err, "cannot open " + clone_device + mode + ": permission denied; run as root, or let users open it " +
                          "(sudo chmod 0666 " + clone_device + ", as Debian does) and " + setup_step(name_));
        }
        fail(err, "cannot open " + clone_device);
    }

    // TUNSETIFF attaches to the device when it exists and creates it otherwise; ask first which it
    // will be, only to say so (and to word a permission error right).
    bool existed = name_.find('%') == std::string::npos && ::if_nametoindex(name_.c_str()) != 0;
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(ifr.ifr_name, name_.data(), name_.size());
    if (::ioctl(fd_, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        switch (err) {
        case EPERM:
        case EACCES:
            if (existed) {
                fail(err, "not allowed to attach to TAP device " + name_ + ": it belongs to another user; " +
                              setup_step(name_) + ", or run as root");
            }
            fail(err, "TAP device " + name_ + " does not exist and only root may create it; " + setup_step(name_) +
                          ", or run as root");
        case EBUSY: fail(err, "device busy: another program has " + name_ + " open (is tapstack already running?)");
        case EINVAL:
            fail(err, "cannot attach to " + name_ + ": it exists but is not a TAP device, or is a multi-queue one " +
                          "(`ip -d link show " + name_ + "` tells what it is)");
        case ENOTTY: fail(err, clone_device + " is not the TUN/TAP clone device (TUNSETIFF does not apply to it)");
        default: fail(err, "cannot attach to TAP device " + name_);
        }
    }
    name_.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));  // the kernel's name when we asked for "tap%d"
    created_ = !existed;

    // The MTU of the device, asked through an ordinary socket. Without it, keep the Ethernet default.
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        ifreq mtu_request{};
        std::memcpy(mtu_request.ifr_name, name_.data(), name_.size());
        // RFC 791: every IPv4 link carries at least 68 bytes; anything smaller is not an answer.
        if (::ioctl(s, SIOCGIFMTU, &mtu_request) == 0 && mtu_request.ifr_mtu >= 68) {
            mtu_ = static_cast<size_t>(mtu_request.ifr_mtu);
        }
        ::close(s);
    }
    oversize_.resize(largest_tap_frame);
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
        // One read() returns one whole frame. Read into the caller's buffer with the spare buffer
        // behind it: a frame that is too long is then seen whole (and dropped) instead of being
        // truncated into something that parses.
        iovec iov[2] = {{buffer.data(), buffer.size()}, {oversize_.data(), oversize_.size()}};
        ssize_t n = ::readv(fd_, iov, 2);
        if (n < 0) {
            int err = errno;
            if (err == EINTR) continue;
            if (err != EAGAIN && err != EWOULDBLOCK) {
                ++stats_.receive_errors;
                stats_.last_errno = err;
            }
            return std::nullopt;
        }
        if (static_cast<size_t>(n) > buffer.size()) {
            ++stats_.oversized_dropped;
            continue;
        }
        ++stats_.frames_received;
        stats_.bytes_received += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
    }
}

void TapDev::transmit(Bytes frame, Instant) {
    for (;;) {
        ssize_t n = ::write(fd_, frame.data(), frame.size());
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

}  // namespace tapstack
