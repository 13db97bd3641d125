// SPDX-License-Identifier: MIT
// ICMP (RFC 792): echo request/reply, and destination-unreachable for errors we send.
//  0       1       2               4               6               8
// +-------+-------+---------------+---------------+---------------+----------
// | type  | code  |   checksum    |  identifier   |   sequence    | data ...
// +-------+-------+---------------+---------------+---------------+----------
#pragma once

#include "stack/base/byte_order.hh"
#include "stack/base/result.hh"
#include "stack/wire/checksum.hh"

namespace tapstack {

namespace icmp_field {
inline constexpr size_t type = 0, code = 1, checksum = 2, ident = 4, sequence = 6, header_len = 8;
}

enum class IcmpType : uint8_t { EchoReply = 0, DestinationUnreachable = 3, EchoRequest = 8, TimeExceeded = 11 };

// Why parse() refused a message; stack/stats.hh maps it to a DropReason.
enum class IcmpError : uint8_t { Truncated, BadChecksum };

class IcmpView {
public:
    // Checks the length and the checksum over the whole message.
    static Result<IcmpView, IcmpError> parse(Bytes b) {
        if (b.size() < icmp_field::header_len) return Err{IcmpError::Truncated};
        if (internet_checksum(b) != 0) return Err{IcmpError::BadChecksum};
        return IcmpView{b};
    }
    uint8_t type() const { return bytes_[icmp_field::type]; }
    uint8_t code() const { return bytes_[icmp_field::code]; }
    uint16_t ident() const { return load_be16(bytes_, icmp_field::ident); }
    uint16_t sequence() const { return load_be16(bytes_, icmp_field::sequence); }
    Bytes rest_of_header() const { return bytes_.subspan(icmp_field::ident, 4); }
    Bytes data() const { return bytes_.subspan(icmp_field::header_len); }

private:
    explicit IcmpView(Bytes b) : bytes_(b) {}
    Bytes bytes_;
};

// Writes type, code, the 4-byte rest-of-header and data into `out` (sized 8 + data) and sets the checksum.
inline void emit_icmp(MutBytes out, IcmpType type, uint8_t code, Bytes rest_of_header, Bytes data) {
    out[icmp_field::type] = static_cast<uint8_t>(type);
    out[icmp_field::code] = code;
    store_be16(out, icmp_field::checksum, 0);
    for (size_t i = 0; i < 4; ++i) out[icmp_field::ident + i] = rest_of_header[i];
    for (size_t i = 0; i < data.size(); ++i) out[icmp_field::header_len + i] = data[i];
    store_be16(out, icmp_field::checksum, internet_checksum(out.first(icmp_field::header_len + data.size())));
}

}  // namespace tapstack
