// SPDX-License-Identifier: MIT
// Logging: fmt-formatted lines on stderr, one global level. `TS_LOG(Debug, "...", args)` adds
// `file:line function` at debug level so a line in the log leads straight to the code.
#pragma once

#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <string_view>

namespace tapstack::log {

enum class Level : int { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

Level level();
void set_level(Level);
std::optional<Level> parse_level(std::string_view);
void write(Level, const char* file, int line, const char* func, std::string_view message);

inline bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }

}  // namespace tapstack::log

#define TS_LOG(lvl, ...)                                                                      \
    do {                                                                                      \
        if (::tapstack::log::enabled(::tapstack::log::Level::lvl))                            \
            ::tapstack::log::write(::tapstack::log::Level::lvl, __FILE__, __LINE__, __func__, \
                                   ::fmt::format(__VA_ARGS__));                               \
    } while (0)
