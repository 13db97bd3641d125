// SPDX-License-Identifier: MIT
// A strict little JSON reader for tests that check machine-readable output line by line (RFC 8259
// syntax, no library): parse_json_object() accepts exactly one object and returns its top-level
// members, strings decoded and any other value as its raw text ("12", "null", "[\"SYN\"]").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tapstack::test {

using JsonMembers = std::map<std::string, std::string>;

std::optional<JsonMembers> parse_json_object(std::string_view text);

}  // namespace tapstack::test
