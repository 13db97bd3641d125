// SPDX-License-Identifier: MIT
// `tapstack annotate FILE.pcap`: prints a capture the way the Wireshark article reads it, and with
// --check-article checks each TCP conversation against the article's shape and numbering rules.
#pragma once

namespace tapstack {

// argv[0] is "annotate". Returns the process exit status: 0 ok (every check passed), 1 a check
// failed or the file could not be read, 2 bad arguments.
int run_annotate(int argc, char** argv);

}  // namespace tapstack
