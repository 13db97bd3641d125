// SPDX-License-Identifier: MIT
// Result<T, E>: a value or an error enum, for user calls that can fail (listen, connect, write).
// g++ 12 in C++20 mode has no std::expected; this is the small subset we use.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace tapstack {

template <typename E>
struct Err {
    E error;
};
template <typename E>
Err(E) -> Err<E>;

template <typename T, typename E>
class Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Err<E> e) : v_(std::in_place_index<1>, e.error) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() { assert(has_value()); return std::get<0>(v_); }
    const T& value() const { assert(has_value()); return std::get<0>(v_); }
    E error() const { assert(!has_value()); return std::get<1>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }

private:
    std::variant<T, E> v_;
};

}  // namespace tapstack
