// SPDX-License-Identifier: MIT
// What the tapstack programs (the server, `tapstack get`) need from the operating system, in one
// place: the clocks, a random secret, the stop signals, the device chain and the wait between two
// turns of the event loop. Everything else in apps/ and stack/ sees only Instants and a NetDev.
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "apps/tapstack/options.hh"
#include "netdev/fault_injector.hh"
#include "netdev/pcap_tee.hh"
#include "netdev/tap_dev.hh"
#include "stack/stack.hh"
#include "stack/stats.hh"

namespace tapstack {

Instant monotonic_now();
// realtime - monotonic: added to Instants so that pcap timestamps are wall-clock times.
Duration wall_clock_offset();
uint64_t random_secret();  // getrandom(2)

// SIGINT and SIGTERM set a flag instead of killing the process, and SIGUSR1 asks for the
// counters. They are blocked except inside wait_for(), so a signal can never slip in between the
// check of received() and the wait.
class StopSignals {
public:
    StopSignals();
    int received() const;       // the signal number, or 0
    bool take_stats_request();  // SIGUSR1 came since the last call
    const sigset_t& wait_mask() const { return wait_mask_; }

private:
    sigset_t wait_mask_{};
};

// The TAP device, the pcap tee on it, and the fault injector between them and the stack (the
// pcap shows what crossed the TAP). `stack_device()` is what the Stack gets.
class DeviceChain {
public:
    DeviceChain(const Options&, uint64_t fault_seed);
    NetDev& stack_device() { return *top_; }
    TapDev& tap() { return tap_; }
    void flush();              // the pcap's buffered records, once per loop turn
    void print_stats() const;  // the device's and the injector's counters, at exit
    bool capture_failed() const { return pcap_ && pcap_->write_failed(); }

private:
    TapDev tap_;
    std::unique_ptr<PcapTee> pcap_;
    std::unique_ptr<FaultInjector> faults_;
    NetDev* top_;
};

// Sleeps until a frame arrives on `dev`, `wake` passes (nullopt: no deadline) or a stop signal.
void wait_for(const NetDev& dev, std::optional<Instant> wake, const StopSignals&);

// The StackConfig the command line asks for (address, MAC, gateway, MSL), with this ISN secret.
StackConfig stack_config(const Options&, uint64_t isn_secret);

// The stack's counters and drop reasons, at exit.
void print_stats(const StackStats&);

}  // namespace tapstack
