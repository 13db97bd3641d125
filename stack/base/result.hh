// SPDX-License-Identifier: MIT
// Result<T, E>: a value, or the reason there is none (an error enum). Returned by everything that
// can fail on untrusted input or a user's call: the wire parsers (EthernetView::parse, ...) and
// the socket calls (listen, connect, read, write). g++ 12 in C++20 mode has no std::expected;
// this is the small subset we use, shaped like it, so it can be swapped for std::expected later.
//
//     auto ip = Ipv4View::parse(bytes);                 // Result<Ipv4View, Ipv4Error>
//     if (!ip) return stats_.drop(drop_reason(ip.error()));
//     use(ip->src());                                   // the value, as with std::optional
//
// A failing function says `return Err{Ipv4Error::Truncated};`. No allocation (the value and the
// error share storage in a std::variant), and [[nodiscard]]: an ignored Result is a compile error.
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

namespace tapstack {

// The error side of a Result, spelled at the return statement: `return Err{E::Reason};`.
template <typename E>
struct Err {
    E error;
};
template <typename E>
Err(E) -> Err<E>;

template <typename T, typename E>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Err<E> e) : v_(std::in_place_index<1>, e.error) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    // The value: only when has_value() (asserted).
    T& value() {
        assert(has_value());
        return std::get<0>(v_);
    }
    const T& value() const {
        assert(has_value());
        return std::get<0>(v_);
    }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // The error: only when !has_value() (asserted).
    E error() const {
        assert(!has_value());
        return std::get<1>(v_);
    }

    // The value if there is one, the reason dropped (Rust's Result::ok()).
    std::optional<T> ok() const {
        if (!has_value()) return std::nullopt;
        return std::get<0>(v_);
    }
    // The value, or `fallback` on an error (std::expected::value_or).
    T value_or(T fallback) const { return has_value() ? std::get<0>(v_) : fallback; }

private:
    std::variant<T, E> v_;
};

}  // namespace tapstack
