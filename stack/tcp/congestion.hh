// SPDX-License-Identifier: MIT
// The congestion controller seam: how large the congestion window is and how it moves. A
// TcpConnection owns one AnyController and tells it about ACKs, losses and timeouts (tcp_input.cc,
// tcp_output.cc); it decides *when* a loss happened, the controller decides what that does to cwnd
// and ssthresh. It sends nothing and keeps no timers. Today: NewReno (RFC 5681, RFC 6582).
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

namespace tapstack {

// Which controller a connection uses (TcpSettings::congestion_control, StackConfig).
enum class CongestionControl : uint8_t {
    NewReno,  // RFC 5681 slow start and congestion avoidance, RFC 6582 fast recovery
};
std::string_view to_string(CongestionControl);  // "newreno": the name --congestion takes
inline constexpr CongestionControl all_congestion_controls[] = {CongestionControl::NewReno};

// Every controller has these members (AnyController forwards to them); all sizes are bytes,
// `smss` is RFC 5681's SMSS (the MSS less the options every segment carries).
//   cwnd(), ssthresh()
//   on_connected(smss)                          the handshake is done: initial window
//   on_ack(data_acked, smss)                    new data acknowledged outside recovery
//   on_duplicate_ack(dup_acks, smss)            the dup_acks-th duplicate ACK in a row
//   on_enter_recovery(flight_size, smss, sack)  fast retransmit: loss found by ACKs
//   on_partial_ack(acked, smss)                 an ACK in recovery below the recovery point
//   on_recovery_exit(flight_size, smss)         the ACK that covers the recovery point
//   on_retransmit_timeout(flight_size, smss)    the retransmission timer expired

// RFC 5681 with RFC 6582's recovery. In SACK recovery (RFC 6675) the window is not inflated:
// the sender's pipe estimate counts what left the network instead.
class NewReno {
public:
    uint32_t cwnd() const { return cwnd_; }
    uint32_t ssthresh() const { return ssthresh_; }

    void on_connected(uint32_t smss);
    void on_ack(uint32_t data_acked, uint32_t smss);
    void on_duplicate_ack(uint32_t dup_acks, uint32_t smss);
    void on_enter_recovery(uint32_t flight_size, uint32_t smss, bool sack);
    void on_partial_ack(uint32_t acked, uint32_t smss);
    void on_recovery_exit(uint32_t flight_size, uint32_t smss);
    void on_retransmit_timeout(uint32_t flight_size, uint32_t smss);

private:
    enum class Recovery : uint8_t { None, Inflating, Sack };  // NewReno's window inflation or RFC 6675's
    uint32_t cwnd_ = 0;
    uint32_t ssthresh_ = UINT32_MAX;  // RFC 5681 §3.1: "arbitrarily high" at first
    Recovery recovery_ = Recovery::None;
};

// One of the controllers, chosen per connection, held by value (no heap allocation, no virtual
// call): a std::variant, as smoltcp's AnyController is an enum. A second controller is one more
// alternative here and one more enumerator in CongestionControl.
class AnyController {
public:
    explicit AnyController(CongestionControl = CongestionControl::NewReno);

    CongestionControl kind() const { return static_cast<CongestionControl>(controller_.index()); }
    uint32_t cwnd() const {
        return std::visit([](const auto& c) { return c.cwnd(); }, controller_);
    }
    uint32_t ssthresh() const {
        return std::visit([](const auto& c) { return c.ssthresh(); }, controller_);
    }

    void on_connected(uint32_t smss) {
        visit([&](auto& c) { c.on_connected(smss); });
    }
    void on_ack(uint32_t data_acked, uint32_t smss) {
        visit([&](auto& c) { c.on_ack(data_acked, smss); });
    }
    void on_duplicate_ack(uint32_t dup_acks, uint32_t smss) {
        visit([&](auto& c) { c.on_duplicate_ack(dup_acks, smss); });
    }
    void on_enter_recovery(uint32_t flight_size, uint32_t smss, bool sack) {
        visit([&](auto& c) { c.on_enter_recovery(flight_size, smss, sack); });
    }
    void on_partial_ack(uint32_t acked, uint32_t smss) {
        visit([&](auto& c) { c.on_partial_ack(acked, smss); });
    }
    void on_recovery_exit(uint32_t flight_size, uint32_t smss) {
        visit([&](auto& c) { c.on_recovery_exit(flight_size, smss); });
    }
    void on_retransmit_timeout(uint32_t flight_size, uint32_t smss) {
        visit([&](auto& c) { c.on_retransmit_timeout(flight_size, smss); });
    }

private:
    template <typename F>
    void visit(F&& f) {
        std::visit(f, controller_);
    }

    // The order of the alternatives is CongestionControl's.
    std::variant<NewReno> controller_;
};

}  // namespace tapstack
