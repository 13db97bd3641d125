// SPDX-License-Identifier: MIT
#include "stack/ip/ipv4_reassembly.hh"

#include <algorithm>
#include <cstring>

namespace tapstack {
namespace {

// RFC 791: a datagram is at most 65535 bytes, header included.
constexpr size_t max_payload = 65535 - Ipv4Header::len;

}  // namespace

void Ipv4Reassembly::forget(size_t index) {
    bytes_ -= datagrams_[index].payload.size();
    datagrams_.erase(datagrams_.begin() + static_cast<std::ptrdiff_t>(index));
}

bool Ipv4Reassembly::insert(Datagram& d, size_t begin, Bytes data, std::optional<DropReason>* dropped) {
    size_t end = begin + data.size();
    for (const Range& r : d.ranges) {
        if (end <= r.begin || r.end <= begin) continue;
        // Overlap: only bytes we already hold, identical, may arrive again.
        bool inside = r.begin <= begin && end <= r.end;
        if (!inside || std::memcmp(d.payload.data() + begin, data.data(), data.size()) != 0) {
            *dropped = DropReason::Ipv4FragmentOverlap;
            return false;
        }
        return true;  // an exact duplicate: nothing new
    }
    if (end > d.payload.size()) {
        size_t grow = end - d.payload.size();
        if (bytes_ + grow > limits_.max_bytes) {
            *dropped = DropReason::Ipv4FragmentNoMemory;
            return false;
        }
        d.payload.resize(end);
        bytes_ += grow;
    }
    std::copy(data.begin(), data.end(), d.payload.begin() + static_cast<std::ptrdiff_t>(begin));
    Range added{begin, end};
    auto at = std::lower_bound(d.ranges.begin(), d.ranges.end(), added,
                               [](const Range& a, const Range& b) { return a.begin < b.begin; });
    at = d.ranges.insert(at, added);
    // Merge with touching neighbours.
    if (at != d.ranges.begin() && std::prev(at)->end == at->begin) {
        std::prev(at)->end = at->end;
        at = d.ranges.erase(at) - 1;
    }
    if (std::next(at) != d.ranges.end() && at->end == std::next(at)->begin) {
        at->end = std::next(at)->end;
        d.ranges.erase(std::next(at));
    }
    return true;
}

std::optional<Bytes> Ipv4Reassembly::add(const Ipv4View& f, Instant now, std::optional<DropReason>* dropped) {
    expire(now);
    size_t begin = f.fragment_offset();
    Bytes data = f.payload();
    size_t end = begin + data.size();
    bool last = !f.more_fragments();
    // RFC 791: every fragment but the last carries a multiple of 8 bytes; nothing beyond 64 KiB.
    if ((!last && (data.empty() || data.size() % 8 != 0)) || (last && data.empty() && begin == 0)) {
        *dropped = DropReason::Ipv4FragmentMalformed;
        return std::nullopt;
    }
    if (end > max_payload) {
        *dropped = DropReason::Ipv4FragmentTooBig;
        return std::nullopt;
    }

    size_t index = find_or_start(f, now, dropped);
    Datagram& d = datagrams_[index];
    if (last) {
        if ((d.total && *d.total != end) || (!d.ranges.empty() && d.ranges.back().end > end)) {
            *dropped = DropReason::Ipv4FragmentOverlap;  // two different ends: ambiguous
            forget(index);
            return std::nullopt;
        }
        d.total = end;
    } else if (d.total && end > *d.total) {
        *dropped = DropReason::Ipv4FragmentOverlap;
        forget(index);
        return std::nullopt;
    }
    if (!insert(d, begin, data, dropped)) {
        forget(index);
        return std::nullopt;
    }
    if (!d.total || d.ranges.size() != 1 || d.ranges[0].begin != 0 || d.ranges[0].end != *d.total) return std::nullopt;
    return assemble(index);
}

// The datagram this fragment belongs to, started now if it is the first of its datagram.
size_t Ipv4Reassembly::find_or_start(const Ipv4View& f, Instant now, std::optional<DropReason>* dropped) {
    auto it = std::find_if(datagrams_.begin(), datagrams_.end(), [&](const Datagram& d) {
        return d.ident == f.ident() && d.protocol == f.protocol() && d.src == f.src() && d.dst == f.dst();
    });
    if (it != datagrams_.end()) return static_cast<size_t>(it - datagrams_.begin());
    if (datagrams_.size() >= limits_.max_datagrams) {
        // The oldest goes: a slow or forged datagram cannot hold a slot against newer ones.
        auto oldest = std::min_element(datagrams_.begin(), datagrams_.end(),
                                       [](const Datagram& a, const Datagram& b) { return a.deadline < b.deadline; });
        forget(static_cast<size_t>(oldest - datagrams_.begin()));
        *dropped = DropReason::Ipv4FragmentEvicted;  // counted for the evicted one
    }
    Datagram d;
    d.src = f.src();
    d.dst = f.dst();
    d.protocol = f.protocol();
    d.ident = f.ident();
    d.deadline = now + limits_.timeout;  // RFC 791: the timer starts with the first fragment
    datagrams_.push_back(std::move(d));
    return datagrams_.size() - 1;
}

// Complete: one datagram, with a plain header, for the layers above; its fragments are forgotten.
Bytes Ipv4Reassembly::assemble(size_t index) {
    const Datagram& d = datagrams_[index];
    Ipv4Header h{d.src, d.dst, static_cast<IpProtocol>(d.protocol), static_cast<uint16_t>(*d.total), d.ident};
    h.dont_fragment = false;
    whole_.resize(Ipv4Header::len + *d.total);
    h.emit(MutBytes{whole_});
    std::copy(d.payload.begin(), d.payload.begin() + static_cast<std::ptrdiff_t>(*d.total),
              whole_.begin() + Ipv4Header::len);
    forget(index);
    return Bytes{whole_};
}

size_t Ipv4Reassembly::expire(Instant now) {
    size_t n = 0;
    for (size_t i = datagrams_.size(); i-- > 0;) {
        if (datagrams_[i].deadline <= now) {
            forget(i);
            ++n;
        }
    }
    return n;
}

std::optional<Instant> Ipv4Reassembly::next_expiry() const {
    std::optional<Instant> at;
    for (const Datagram& d : datagrams_) at = earliest(at, d.deadline);
    return at;
}

}  // namespace tapstack
