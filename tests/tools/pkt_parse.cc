// SPDX-License-Identifier: MIT
// Developer tool: parses packetdrill scripts with tapstack's parser (apps/pkt/) and says which
// fail, to measure the parser against a directory of scripts. Runs nothing.
//   build/release/pkt_parse [--print] PATH...   (a directory is searched for *.pkt)
// Prints each failure as FILE:LINE:COL: message, then "parsed N of M"; with --print, every
// event as the parser understood it. Exit status 0 when all parsed, 1 otherwise, 2 for usage.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/pkt/pkt_parser.hh"

namespace fs = std::filesystem;
using namespace tapstack::pkt;

int main(int argc, char** argv) {
    bool print = false;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--print") {
            print = true;
        } else if (arg.starts_with("-")) {
            std::fprintf(stderr, "usage: pkt_parse [--print] FILE.pkt|DIR...\n");
            return 2;
        } else if (fs::is_directory(arg)) {
            for (const auto& entry : fs::recursive_directory_iterator(arg)) {
                if (entry.is_regular_file() && entry.path().extension() == ".pkt") files.push_back(entry.path());
            }
        } else {
            files.push_back(arg);
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: pkt_parse [--print] FILE.pkt|DIR...\n");
        return 2;
    }
    std::sort(files.begin(), files.end());
    size_t parsed = 0;
    for (const std::string& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        auto script = parse_script(text.str(), file);
        if (!script) {
            std::printf("%s\n", script.error().to_string().c_str());
            continue;
        }
        ++parsed;
        if (!print) continue;
        std::printf("%s: %zu events\n", file.c_str(), script->events.size());
        for (const Event& e : script->events) std::printf("  %4d  %s\n", e.pos.line, to_string(e).c_str());
    }
    std::printf("parsed %zu of %zu\n", parsed, files.size());
    return parsed == files.size() ? 0 : 1;
}
