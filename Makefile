# tapstack — build, test and demo. `make help` lists the targets.
#
# Modes build into build/$(MODE)/: release (-O2 -g -flto, the default), debug (-O0 -g3, for gdb),
# asan (AddressSanitizer + UndefinedBehaviorSanitizer), grade (-O1 with assertions, no debug
# information: the cheapest build that runs the tests at speed, for make grade). Plain `make` leaves the program at
# build/tapstack (release). Dependencies come from Debian packages through scripts/install-deps.sh.

MODE ?= release
# Use every core unless the caller chose (make -j1 ...).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif
BUILD := build/$(MODE)
CXX ?= g++
ifeq ($(origin CXX),default)
CXX := g++
endif

WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
# fmt's headers compile their own functions with `#pragma GCC optimize("Og")` in a debug build;
# those get DWARF location lists, and a unit with any location list makes gdb trust variable
# locations at every instruction, so `break f` stops before f's prologue has stored the arguments
# (garbage in the backtrace). An empty FMT_GCC_PRAGMA keeps the whole build at -O0.
CXXFLAGS_debug := -O0 -g3 '-DFMT_GCC_PRAGMA(arg)='
# Link-time optimization: the stack is split by layer and by algorithm into many small files
# (stack/tcp/ alone has thirteen), and without it every call from one to another stays a call
# (the layers' receive/route, the RTT estimator, loss recovery, the congestion controller). With
# it the compiler inlines across files as it did inside the one stack.cc of old: scripts/bench.sh's
# instructions per request went from ~27,300 to ~26,000. Flags are not a dependency of the
# objects: after changing them, `rm -rf build/release` (or make clean).
CXXFLAGS_release := -O2 -g -DNDEBUG -flto=auto
LDFLAGS_release := -flto=auto
CXXFLAGS_asan := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_asan := -fsanitize=address,undefined
CXXFLAGS_grade := -O1
ifeq ($(CXXFLAGS_$(MODE)),)
$(error MODE must be release, debug, asan or grade (got '$(MODE)'))
endif

PKG_CFLAGS = $(shell pkg-config --cflags fmt libpcap 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs fmt libpcap 2>/dev/null || echo -lfmt -lpcap)
GTEST_LIBS = $(shell pkg-config --libs gtest_main gtest 2>/dev/null || echo -lgtest_main -lgtest) -lpthread

CXXFLAGS += -std=c++20 $(WARNINGS) $(CXXFLAGS_$(MODE)) -I. $(PKG_CFLAGS) -MMD -MP
LDFLAGS += $(LDFLAGS_$(MODE))

LIB_SRCS := $(sort $(wildcard stack/*.cc stack/*/*.cc netdev/*.cc apps/http/*.cc apps/pkt/*.cc))
APP_SRCS := $(sort $(wildcard apps/tapstack/*.cc))
TEST_SRCS := $(sort $(wildcard tests/unit/*.cc tests/unit/*/*.cc tests/support/*.cc))

LIB_OBJS := $(LIB_SRCS:%.cc=$(BUILD)/obj/%.o)
APP_OBJS := $(APP_SRCS:%.cc=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.cc=$(BUILD)/obj/%.o)
DEPS := $(LIB_OBJS:.o=.d) $(APP_OBJS:.o=.d) $(TEST_OBJS:.o=.d)

.PHONY: alloc bench all help deps debug asan unit pkt test e2e demo lint format clean compile_commands fuzz golden grade \
	assignments

all: build/tapstack build/tapstack-kernel-httpd

help:
	@echo "make                build/tapstack (release)"
	@echo "make test           unit tests under ASan+UBSan, our packetdrill scripts, the allocation test, the assignments' check"
	@echo "                    (scripts/assignment.sh check), then (as root) the namespace integration tests"
	@echo "make unit           unit tests only (no root needed)"
	@echo "make unit-GROUP     one group of them: $(UNIT_GROUPS)"
	@echo "make pkt            our packetdrill scripts (tests/pkt/) through tapstack pkt (no root needed)"
	@echo "make grade ASSIGNMENT=NAME  grade one assignment: a line per graded test, then score: X/Y;"
	@echo "                    build/grade/results.json for Gradescope (scripts/assignment.sh list: the names)"
	@echo "make e2e            integration tests only (root; runs in its own network namespace)"
	@echo "sudo make demo      curl against tapstack in a namespace, annotated like the article"
	@echo "make debug|asan     build/debug/tapstack or build/asan/tapstack"
	@echo "make fuzz           each libFuzzer target for FUZZ_SECONDS (default 60) under ASan+UBSan; fails on a"
	@echo "                    crash, a missing seed corpus or coverage below tests/fuzz/floors.txt"
	@echo "make lint           the code's promises, checked by grep, and the layout (.clang-format)"
	@echo "make format         lay every C++ file out by .clang-format (make lint checks it)"
	@echo "make golden         rewrite the golden traces of --simulate (tests/data/golden/)"
	@echo "sudo make bench     tapstack vs Linux vs nginx (scripts/bench.sh; BENCH_ARGS='--quick' etc.)"
	@echo "make clean          remove build/"

# Installs what is missing (Debian packages) or says what to run when not root. The goals on the
# command line decide which sets, so one installer run covers all a goal uses, before anything
# is built. install-deps.sh takes a lock: the sub-makes' own calls (and a parallel make's) wait
# for it and then find nothing left to install.
DEPS_SETS := --build
ifneq ($(filter demo e2e bench,$(MAKECMDGOALS))$(and $(filter test,$(MAKECMDGOALS)),$(filter 0,$(shell id -u))),)
DEPS_SETS += --test
endif
ifneq ($(filter fuzz,$(MAKECMDGOALS)),)
DEPS_SETS += --fuzz
endif
ifneq ($(filter lint format,$(MAKECMDGOALS)),)
DEPS_SETS += --lint
endif
deps:
	@scripts/install-deps.sh $(DEPS_SETS)

$(BUILD)/obj/%.o: %.cc | deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/libtapstack.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tapstack: $(APP_OBJS) $(BUILD)/libtapstack.a
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The unit tests also link the program's own code (annotate, the article check...), all but main().
APP_LIB_OBJS := $(filter-out $(BUILD)/obj/apps/tapstack/main.o,$(APP_OBJS))
$(BUILD)/unit_tests: $(TEST_OBJS) $(APP_LIB_OBJS) $(BUILD)/libtapstack.a
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(GTEST_LIBS)

# The same HTTP application on Linux sockets, for the benchmark (scripts/bench.sh).
KHTTPD_OBJS := $(BUILD)/obj/apps/kernel_httpd/main.o
DEPS += $(KHTTPD_OBJS:.o=.d)
$(BUILD)/tapstack-kernel-httpd: $(KHTTPD_OBJS) $(BUILD)/libtapstack.a
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
build/tapstack-kernel-httpd: $(BUILD)/tapstack-kernel-httpd
	cp $< $@.tmp && mv -f $@.tmp $@

# Developer tool: which packetdrill scripts the parser (apps/pkt/) accepts (tests/tools/pkt_parse.cc).
PKT_PARSE_OBJS := $(BUILD)/obj/tests/tools/pkt_parse.o
DEPS += $(PKT_PARSE_OBJS:.o=.d)
$(BUILD)/pkt_parse: $(PKT_PARSE_OBJS) $(BUILD)/libtapstack.a
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# No heap allocation per frame in steady state: its own binary, as it replaces operator new.
ALLOC_OBJS := $(BUILD)/obj/tests/alloc/alloc_test.o
DEPS += $(ALLOC_OBJS:.o=.d)
$(BUILD)/alloc_test: $(ALLOC_OBJS) $(BUILD)/libtapstack.a
	$(CXX) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
alloc: deps
	$(MAKE) MODE=release build/release/alloc_test
	build/release/alloc_test

ifeq ($(MODE),release)
build/tapstack: $(BUILD)/tapstack
	cp $< $@.tmp && mv -f $@.tmp $@
else
build/tapstack:
	$(MAKE) MODE=release build/tapstack
endif

debug:
	$(MAKE) MODE=debug build/debug/tapstack
asan:
	$(MAKE) MODE=asan build/asan/tapstack

# Unit tests run under ASan+UBSan; GTEST_FILTER=Suite.* narrows them (e.g. make unit GTEST_FILTER='Tcp*').
unit: deps
	$(MAKE) MODE=asan build/asan/unit_tests build/asan/pkt_parse
	ASAN_OPTIONS=detect_leaks=1 scripts/run_unit.sh build/asan/unit_tests $(if $(GTEST_FILTER),--gtest_filter='$(GTEST_FILTER)')

# One group of unit tests: make unit-tcp, unit-wire, ... (the directories under tests/unit/;
# scripts/test_group.sh turns a group into a GoogleTest filter). For assignments: docs/teaching.md.
UNIT_GROUPS := $(notdir $(patsubst %/,%,$(wildcard tests/unit/*/)))
unit-%:
	@scripts/test_group.sh $* >/dev/null
	$(MAKE) unit GTEST_FILTER="$$(scripts/test_group.sh $*)"

# Our own packetdrill scripts (tests/pkt/, one TCP behaviour each, and the article's conversation)
# through `tapstack pkt`, under ASan+UBSan; the last line is "N passed, M failed, K skipped".
pkt: deps
	$(MAKE) MODE=asan build/asan/tapstack
	build/asan/tapstack pkt tests/pkt/*.pkt

test: unit pkt alloc assignments deps
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) e2e; else \
	  echo; echo "*** SKIPPED integration tests: they need root (sudo make test, or sudo make e2e) ***"; echo; fi

# The course (docs/teaching.md): grade one assignment (scripts/grade.sh), or prove them all:
# each starter tree builds and loses marks, the reference gets full marks (assignment.sh check).
grade: | deps
	@scripts/grade.sh $(ASSIGNMENT)
assignments: | deps
	scripts/assignment.sh check

# A test binary for grading: the library, the program's code, tests/support, and only the test
# files that define an assignment's graded suites (GRADE_TESTS, which scripts/grade.sh computes
# from docs/assignments/NAME.assignment, a prerequisite so that a changed list relinks it).
GRADE_TEST_OBJS = $(GRADE_TESTS:%.cc=$(BUILD)/obj/%.o)
SUPPORT_OBJS := $(patsubst %.cc,$(BUILD)/obj/%.o,$(wildcard tests/support/*.cc))
$(BUILD)/tests-%: $(GRADE_TEST_OBJS) $(SUPPORT_OBJS) $(APP_LIB_OBJS) $(BUILD)/libtapstack.a docs/assignments/%.assignment
	$(CXX) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(PKG_LIBS) $(GTEST_LIBS)

# E2E='article load' runs just those (tests/integration/<name>_test.sh).
# Everything the integration tests run is built first (the gdb test builds build/debug itself).
e2e: build/tapstack build/tapstack-kernel-httpd | deps
	tests/integration/run_all.sh $(E2E)

demo: build/tapstack | deps
	scripts/demo.sh

# libFuzzer targets (clang), each run for FUZZ_SECONDS on its seed corpus in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.cc,build/fuzz/%,$(wildcard tests/fuzz/*_fuzz.cc))
FUZZ_SRCS := tests/support/tcp_script.cc $(LIB_SRCS)
FUZZ_FLAGS := -std=c++20 -O1 -g -I. $(PKG_CFLAGS) -fno-sanitize-recover=all -MMD -MP
# The library is compiled once for all targets (instrumented, without libFuzzer's main).
FUZZ_OBJS := $(FUZZ_SRCS:%.cc=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.cc | deps
	@mkdir -p $(dir $@)
	clang++ $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build/fuzz/%: tests/fuzz/%.cc $(FUZZ_OBJS) | deps
	@mkdir -p build/fuzz
	clang++ $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJS) -o $@ $(PKG_LIBS) $(GTEST_LIBS)
-include $(FUZZ_OBJS:.o=.d)
.SECONDARY: $(FUZZ_OBJS)  # kept: the next target and the next run reuse them

# scripts/fuzz.sh --help: fails on a crash, a missing seed corpus or coverage below tests/fuzz/floors.txt.
fuzz: $(FUZZ_TARGETS)
	scripts/fuzz.sh --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rewrites the golden traces in tests/data/golden/ (checked by the simulate integration test).
golden: build/tapstack
	scripts/golden.sh update

lint: | deps
	@scripts/lint.sh

# The benchmark: scripts/bench.sh --help lists its options (BENCH_ARGS='--quick --reps 5').
bench: build/tapstack build/tapstack-kernel-httpd | deps
	scripts/bench.sh $(BENCH_ARGS)

# Every C++ file of ours, laid out by .clang-format (make lint checks that nothing strays).
format: | deps
	clang-format -i $(shell find stack netdev apps tests -type f \( -name '*.cc' -o -name '*.hh' \) | sort)

compile_commands:
	$(MAKE) clean && bear -- $(MAKE) all build/asan/unit_tests MODE=asan

clean:
	rm -rf build

-include $(DEPS)
