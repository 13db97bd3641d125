// SPDX-License-Identifier: MIT
// SYN cookies (RFC 4987 §3.6), as pure functions: encode the ISN and TSval of a SYN,ACK sent
// without a TCB, and check the ACK that answers one. The LISTEN code in tcp_listen.cc calls them
// when the half-open table is full. No Stack state here: the secret, the time and the 4-tuple
// are passed in; building and sending the SYN,ACK is the caller's business.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "stack/base/time.hh"
#include "stack/tcp/four_tuple.hh"
#include "stack/tcp/tcp_connection.hh"  // SynCookieOptions
#include "stack/tcp/tcp_constants.hh"
#include "stack/wire/seq_num.hh"

namespace tapstack::syn_cookie {

// The cookie (our ISN): 5 bits of a 64-second counter, 3 bits indexing the MSS table, 24 bits of
// SipHash over the 4-tuple, the client's ISN, the counter, the index and the options below,
// keyed by the stack's secret.
//
// The other options travel in our TSval, as Linux does it (RFC 7323 lets the TSval be any clock
// that does not run backwards): when the SYN carried timestamps, the SYN,ACK answers window
// scale, SACK-permitted and timestamps as a normal one would, and the low 6 bits of its TSval
// hold the peer's window scale (4 bits, 0xf: none) and SACK-permitted (1 bit; Linux's sixth
// bit, ECN, stays 0). The client echoes it in the TSecr of its ACK. Unlike Linux's, these bits
// are inside the hash too, so a forged or altered TSecr fails like a forged ISN. Our own window
// scale comes from the receive buffer and needs no bits. A SYN without timestamps leaves nowhere
// to put the options: its cookie offers the MSS alone.
inline constexpr std::array<uint16_t, 8> mss_table = {default_mss, 1024, 1220, 1360, 1400, 1440, 1452, 1460};
inline constexpr uint32_t ts_mask = 0x3f;        // the TSval bits that carry options
inline constexpr uint8_t no_window_scale = 0xf;  // in the low 4 bits
inline constexpr uint8_t sack_permitted = 0x10;
inline constexpr uint8_t without_timestamps = 0x40;  // hashed when no TSval carries options

// The 64-second counter at `now`. A cookie is good during its own period and the next one.
uint32_t counter(Instant now);

// The index of the largest MSS in mss_table that is at most `mss` (0 when none is).
uint8_t mss_index(uint16_t mss);

// The option bits of a SYN,ACK that answers timestamps (window_scale: the peer's shift, already
// agreed on; nullopt: none), or `without_timestamps` when the SYN had none.
uint8_t options_bits(bool timestamps, std::optional<uint8_t> window_scale, bool sack);

// The cookie itself: our ISN for the SYN,ACK.
uint32_t encode(uint64_t secret, const FourTuple&, SeqNum client_isn, uint32_t counter, uint8_t mss_index,
                uint8_t options);

// The cookie connection's TS clock (`clock`, its timestamp_clock() now) with the option bits in
// its low bits, never ahead of the clock (the bits are at most ts_mask, so one step down always
// suffices): the connection's later TSvals, read from that clock, never run backwards.
uint32_t timestamp(uint32_t clock, uint8_t options);

// What `cookie` (SEG.ACK - 1 of the returning ACK) stands for, if it is one of ours from this
// counter period or the one before. `echoed_tsval`: the ACK's TSecr when we use timestamps and
// the ACK carries them (nullopt otherwise). `client_isn` is SEG.SEQ - 1.
std::optional<SynCookieOptions> check(uint64_t secret, Instant now, const FourTuple&, SeqNum client_isn,
                                      uint32_t cookie, std::optional<uint32_t> echoed_tsval);

}  // namespace tapstack::syn_cookie
