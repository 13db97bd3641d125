// SPDX-License-Identifier: MIT
#include "stack/base/log.hh"

#include <fmt/format.h>

namespace tapstack::log {
namespace {
Level g_level = Level::Info;
}

Level level() { return g_level; }
void set_level(Level l) { g_level = l; }

std::optional<Level> parse_level(std::string_view s) {
    if (s == "error") return Level::Error;
    if (s == "warn") return Level::Warn;
    if (s == "info") return Level::Info;
    if (s == "debug") return Level::Debug;
    if (s == "trace") return Level::Trace;
    return std::nullopt;
}

void write(Level l, const char* file, int line, const char* func, std::string_view message) {
    static constexpr const char* names[] = {"error", "warn", "info", "debug", "trace"};
    if (static_cast<int>(l) >= static_cast<int>(Level::Debug)) {
        std::string_view f{file};
        if (auto slash = f.rfind('/'); slash != std::string_view::npos) f.remove_prefix(slash + 1);
        fmt::print(stderr, "[{}] {} ({}:{} {})\n", names[static_cast<int>(l)], message, f, line, func);
    } else {
        fmt::print(stderr, "[{}] {}\n", names[static_cast<int>(l)], message);
    }
}

}  // namespace tapstack::log
