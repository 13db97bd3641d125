// SPDX-License-Identifier: MIT
// The numbers TCP's specifications fix, each named once with its source, so that code reads
// `default_mss` instead of 536. Settings a user may change live in tcp_settings.hh; the RTO
// bounds live with the estimator (rtt_estimator.hh).
#pragma once

#include <cstdint>

namespace tapstack {

// RFC 9293 §3.7.1 (RFC 1122 §4.2.2.6): a peer that sends no MSS option takes 536 bytes, the
// payload of the 576-byte datagram every IPv4 host must accept, less 40 bytes of headers.
inline constexpr uint16_t default_mss = 536;

// RFC 9293 §3.1: the window field is 16 bits. A SYN's window is never scaled (RFC 7323 §2.2),
// and a scaled window covers at most this many bytes shifted by the scale.
inline constexpr uint32_t max_unscaled_window = 0xffff;
// RFC 7323 §2.3: a window scale above 14 is taken as 14 (windows up to 2^30 bytes).
inline constexpr uint8_t max_window_shift = 14;

// RFC 6928: the initial congestion window is 10 segments (Linux's choice since 2.6.39; RFC 5681
// §3.1 allows only 2 to 4).
inline constexpr uint32_t initial_window_segments = 10;

// RFC 7323 Appendix A: the timestamps option is 10 bytes, sent after two NOPs so that the
// timestamps stay 4-byte aligned; every segment of a connection that uses them carries 12 bytes
// more header, so its largest payload (SMSS) is the MSS less 12.
inline constexpr uint32_t timestamp_option_len = 12;

}  // namespace tapstack
