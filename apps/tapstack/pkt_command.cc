// SPDX-License-Identifier: MIT
// `tapstack pkt` (pkt_command.hh): reads every script first (a missing one is a bad argument),
// then runs them in the order given.
#include "apps/tapstack/pkt_command.hh"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/pkt/pkt_runner.hh"
#include "stack/base/log.hh"

namespace tapstack {

int run_pkt(const Options& o) {
    std::vector<std::string> texts;
    for (const std::string& path : o.pkt_files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        if (in && std::filesystem::is_regular_file(path)) text << in.rdbuf();
        if (!in || in.bad() || !std::filesystem::is_regular_file(path)) {
            fmt::print(stderr, "tapstack: pkt: cannot read {}\n", path);
            return 2;
        }
        texts.push_back(text.str());
    }
    // The stack's own log lines ("no answer to 9 keep-alive probes") are news only next to -v's
    // events: a normal run prints warnings and errors alone, unless --log-level says otherwise.
    log::set_level(o.log_level_given || o.verbose ? o.log_level : log::Level::Warn);
    pkt::RunnerOptions options;
    options.tolerance_usecs = o.tolerance_usecs;
    if (o.verbose) options.verbose = [](std::string_view line) { fmt::print("  {}\n", line); };
    size_t passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        pkt::RunResult r = pkt::run_script_text(texts[i], o.pkt_files[i], options);
        fmt::print("{}\n", pkt::result_line(o.pkt_files[i], r));
        std::fflush(stdout);
        (r.verdict == pkt::Verdict::Pass ? passed : r.verdict == pkt::Verdict::Fail ? failed : skipped) += 1;
    }
    fmt::print("{} passed, {} failed, {} skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

}  // namespace tapstack
