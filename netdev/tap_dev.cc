// SPDX-License-Identifier: MIT
#include "netdev/tap_dev.hh"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace tapstack {
namespace {

[[noreturn]] void fail(int err, const std::string& what) { throw std::system_error(err, std::generic_category(), what); }

}  // namespace

TapDev::TapDev(const std::string& name) : name_(name) {
    if (name.empty() || name.size() >= IFNAMSIZ) {
        fail(EINVAL, "TAP device name '" + name + "' must be 1 to " + std::to_string(IFNAMSIZ - 1) + " characters");
    }
    fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
        int err = errno;
        if (err == ENOENT || err == ENODEV || err == ENXIO) {
            fail(err, "cannot open /dev/net/tun (is the tun module loaded? try: sudo modprobe tun)");
        }
        if (err == EACCES || err == EPERM) {
            fail(err, "cannot open /dev/net/tun: permission denied (run sudo ./scripts/setup_tap.sh to create " + name +
                          " owned by you, or run as root)");
        }
        fail(err, "cannot open /dev/net/tun");
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(ifr.ifr_name, name.data(), name.size());
    if (::ioctl(fd_, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        if (err == EPERM || err == EACCES) {
            fail(err, "cannot attach to TAP device " + name + ": permission denied (create it for your user with "
                          "sudo ./scripts/setup_tap.sh, or run as root)");
        }
        if (err == EBUSY) fail(err, "TAP device " + name + " is busy: another program has it open");
        if (err == EINVAL) fail(err, "cannot attach to " + name + ": it exists but is not a TAP device");
        fail(err, "cannot attach to TAP device " + name);
    }
    // The MTU of the device, asked through an ordinary socket.
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        ifreq mtu_req{};
        std::memcpy(mtu_req.ifr_name, name.data(), name.size());
        if (::ioctl(s, SIOCGIFMTU, &mtu_req) == 0 && mtu_req.ifr_mtu >= 576) mtu_ = static_cast<size_t>(mtu_req.ifr_mtu);
        ::close(s);
    }
    oversize_.resize(65536);
}

TapDev::~TapDev() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<size_t> TapDev::receive(MutBytes buffer, Instant) {
    for (;;) {
        // Read into the caller's buffer, with the spare buffer behind it: a frame that is too
        // long is then seen whole (and dropped) instead of truncated into something that parses.
        iovec iov[2] = {{buffer.data(), buffer.size()}, {oversize_.data(), oversize_.size()}};
        ssize_t n = ::readv(fd_, iov, 2);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::nullopt;  // EAGAIN: nothing ready (other errors: nothing to read either)
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
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ++stats_.send_dropped;  // EAGAIN/ENOBUFS: the kernel is full; TCP will retransmit
            return;
        }
        ++stats_.frames_sent;
        stats_.bytes_sent += frame.size();
        return;
    }
}

}  // namespace tapstack
