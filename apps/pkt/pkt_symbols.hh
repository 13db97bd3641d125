// SPDX-License-Identifier: MIT
// The names a packetdrill script uses for numbers: socket constants (SOL_SOCKET, TCP_NODELAY,
// O_NONBLOCK, MSG_PEEK, POLLIN, SHUT_WR, ...) and errno values (EAGAIN, ...), with the host's
// values from the C headers, since the socket layer (stack/posix) speaks the host's numbers.
// Used by the runner's system calls (pkt_syscalls.cc); knows nothing of scripts or stacks.
#pragma once

#include <optional>
#include <string_view>

namespace tapstack::pkt {

// The value of a constant the scripts use, or nullopt for a name this table does not hold.
std::optional<long> symbol_value(std::string_view name);

// The errno value for its name ("ECONNRESET"), and the name for a value ("E?" + number if the
// table lacks it).
std::optional<int> errno_value(std::string_view name);
std::string_view errno_name(int code);

}  // namespace tapstack::pkt
