// SPDX-License-Identifier: MIT
// A script's system calls on the socket layer (stack/posix/sockets.hh): one handler per call
// name in a table, each turning the script's arguments (`..., SOL_SOCKET, [1], {onoff=1,
// linger=0}`, sockaddr wildcards) into a Sockets call and its result into a return value and an
// errno. Descriptors are mapped: the number a script expects from socket() or accept() names
// the one we got. A call the table lacks makes the script SKIP ("unsupported call: NAME"); to
// support one, add a row to `handlers` in pkt_syscalls.cc. The runner compares the results.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "apps/pkt/pkt_script.hh"
#include "stack/base/result.hh"
#include "stack/posix/sockets.hh"

namespace tapstack::pkt {

// What a call returned: a value, or -1 and an errno.
struct CallOutcome {
    int64_t value = 0;
    int error = 0;  // errno; 0 when the call succeeded
};

// Why a call could not be judged by its return value alone.
struct CallProblem {
    bool skip = false;  // true: something tapstack lacks (the script SKIPs); false: a FAIL
    std::string message;
};

class SyscallContext {
public:
    explicit SyscallContext(Sockets& sockets) : sockets_(sockets) {}

    // Runs `call` (its name must have a handler: see has_handler()).
    Result<CallOutcome, CallProblem> run(const SyscallEvent& call);

    Sockets& sockets() { return sockets_; }
    // The descriptor the script calls `script_fd`: the one mapped to it, or the number itself.
    int fd(int64_t script_fd) const;
    void map_fd(int64_t script_fd, int ours) { fds_[script_fd] = ours; }
    void unmap_fd(int64_t script_fd) { fds_.erase(script_fd); }

private:
    Sockets& sockets_;
    std::map<int64_t, int> fds_;
};

bool has_handler(std::string_view call_name);

// The integer an argument stands for: 3, SOL_SOCKET, O_RDWR|O_NONBLOCK, [1], htons(8080); a
// name the table lacks is a SKIP problem, anything else that is no number a FAIL.
Result<int64_t, CallProblem> integer_value(const Expr&);

}  // namespace tapstack::pkt
