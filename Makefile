# svcctl — plain GNU make.
#   make            build build/svcctl (warnings are errors; packagers: make WERROR=)
#   make demo       run the example service in a sandbox under build/demo
#   make check      unit and bats tests under ASan and UBSan
#   make valgrind   the bats suite with svcctl and its monitors under memcheck
#   make docs       write the key lists of the docs from src/keys.def
#   make mutate     mutation testing: every tests/mutants patch must be caught
#   make lint       cppcheck, clang-tidy, shellcheck, mandoc -Tlint
#   make fuzz       libFuzzer targets of every parser, FUZZ_SECONDS each (default 60)
#   make stress     races, stale PIDs, SIGKILLs and zombies (STRESS_SCALE, STRESS_ONLY)
#   make install    the binary, the manual pages and the bash completion
#                   (PREFIX, SBINDIR, MANDIR, BASHCOMPDIR, DESTDIR)
#   make install-example  the example service: svcctl.conf, its INI file and
#                   its init script under SYSCONFDIR (config only where absent)
#   make uninstall, make uninstall-example  remove what those installed

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# /etc, not $(PREFIX)/etc: it is compiled in, and root's svcctl reads
# /etc/svcctl/svcctl.conf wherever the binary lives. A SYSCONFDIR given to
# make (or make install) changes that default and where install-example goes.
SYSCONFDIR ?= /etc
VERSION    := 0.1.0

CC      ?= cc
PKGS     = inih libconfuse
WERROR  ?= -Werror
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-result
CFLAGS  ?= -O2 -g
CPPFLAGS += -DSVCCTL_VERSION='"$(VERSION)"' -DSYSCONFDIR='"$(SYSCONFDIR)"'
ALL_CFLAGS = -std=c11 $(WARN) $(WERROR) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# inih and libconfuse are linked statically when their archives exist: two
# fewer shared objects to map and relocate is a tenth of a millisecond off
# every svcctl run. Packagers who want them shared: make STATIC_DEPS=0
STATIC_DEPS ?= 1
LIBDIR_DEPS := $(shell pkg-config --variable=libdir inih 2>/dev/null)
ifeq ($(STATIC_DEPS)$(wildcard $(LIBDIR_DEPS)/libinih.a)$(wildcard $(LIBDIR_DEPS)/libconfuse.a),1$(LIBDIR_DEPS)/libinih.a$(LIBDIR_DEPS)/libconfuse.a)
LDLIBS  += -Wl,-Bstatic -linih -lconfuse -Wl,-Bdynamic
else
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -linih -lconfuse)
endif

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined

LIB_SRC = src/argv.c src/cmd.c src/conf.c src/follow.c src/forking.c src/ident.c src/initscript.c src/logfile.c \
          src/msg.c src/notify.c src/order.c src/path.c src/pidfile.c src/plan.c src/pool.c src/proc.c src/service.c src/spawn.c \
          src/state.c src/status.c src/stop.c src/supervise.c src/util.c
SRC     = src/main.c $(LIB_SRC)
HDR     = src/svcctl.h
KEYS    = src/keys.def

BUILD   = build
CHECK   = build/check

.PHONY: all FORCE deps deps-check demo demo-stop check docs docs-check mutate lint initscript fuzz \
        install uninstall install-example uninstall-example clean bench stress

# These recipes read the paths from the environment, quoted: a DESTDIR with
# a space or a quote in it is just a name. Exported only to them, so the
# tests' own make runs do not inherit them.
PATH_USERS = $(BUILD)/paths.stamp $(BUILD)/svcctl.conf $(BUILD)/daemon-script.init \
             install uninstall install-example uninstall-example
$(PATH_USERS): export DESTDIR := $(DESTDIR)
$(PATH_USERS): export SBINDIR := $(SBINDIR)
$(PATH_USERS): export MANDIR := $(MANDIR)
$(PATH_USERS): export BASHCOMPDIR := $(BASHCOMPDIR)
$(PATH_USERS): export SYSCONFDIR := $(SYSCONFDIR)

all: $(BUILD)/svcctl $(BUILD)/svcctl.conf $(BUILD)/daemon-script.init

# The paths compiled in or generated into files; rewritten only when one
# changes, so SYSCONFDIR given only to make install still rebuilds.
$(BUILD)/paths.stamp: FORCE
	@mkdir -p $(BUILD)
	@printf 'SBINDIR=%s\nSYSCONFDIR=%s\n' "$$SBINDIR" "$$SYSCONFDIR" >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

FORCE:

$(BUILD)/svcctl: $(SRC) $(HDR) $(KEYS) Makefile $(BUILD)/paths.stamp
	@mkdir -p $(BUILD)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LDLIBS)

# what make install copies, made at build time: root need not run svcctl
# on the build tree
$(BUILD)/svcctl.conf: etc/svcctl/svcctl.conf $(BUILD)/paths.stamp
	sed "s|\"/etc/svcctl/services\"|\"$$SYSCONFDIR/svcctl/services\"|" \
		etc/svcctl/svcctl.conf >$@.tmp
	mv -f $@.tmp $@

$(BUILD)/daemon-script.init: $(BUILD)/svcctl etc/svcctl/services/daemon-script.ini \
		tests/gen-initscript $(BUILD)/paths.stamp
	tests/gen-initscript $(BUILD)/svcctl "$$SBINDIR" "$$SYSCONFDIR" >$@.tmp
	mv -f $@.tmp $@

$(CHECK)/svcctl: $(SRC) $(HDR) $(KEYS) Makefile $(BUILD)/paths.stamp
	@mkdir -p $(CHECK)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LDLIBS)

$(CHECK)/unit: tests/unit/unit.c $(LIB_SRC) $(HDR) $(KEYS) Makefile
	@mkdir -p $(CHECK)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) -Isrc $(LDFLAGS) -o $@ \
		tests/unit/unit.c $(LIB_SRC) $(LDLIBS)

$(CHECK)/progs: tests/progs/*.c Makefile
	@mkdir -p $(CHECK)/progs
	for p in tests/progs/*.c; do \
		$(CC) -std=c11 -Wall -Wextra $(WERROR) -O1 -o $(CHECK)/progs/$$(basename $$p .c) $$p || exit 1; \
	done
	@touch $@

# Debian packages, installed only when missing.
deps:
	@tests/install-deps build

deps-check:
	@tests/install-deps check

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/svcctl
	@tests/demo $(BUILD)/svcctl

demo-stop:
	$(BUILD)/svcctl -c etc/svcctl/demo.conf daemon-script stop

check: deps-check docs-check
	@$(MAKE) --no-print-directory $(CHECK)/svcctl $(CHECK)/unit $(CHECK)/progs
	@tests/run $(CHECK)

# The key lists of these docs are written from src/keys.def by keysdoc
KEY_DOCS = docs/svcctl.ini.5 docs/configuration.md

$(BUILD)/keysdoc: src/keysdoc.c $(KEYS) Makefile
	@mkdir -p $(BUILD)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ src/keysdoc.c

docs: $(BUILD)/keysdoc
	@for f in $(KEY_DOCS); do \
		$(BUILD)/keysdoc $$f >$$f.tmp && mv -f $$f.tmp $$f || { rm -f $$f.tmp; exit 1; }; \
	done

# fails when a doc's key list is not what src/keys.def says: run make docs
docs-check: $(BUILD)/keysdoc
	@for f in $(KEY_DOCS); do \
		$(BUILD)/keysdoc $$f | diff -u $$f - || \
			{ echo "$$f: out of date with src/keys.def; run make docs" >&2; exit 1; }; \
	done

# not part of check: it builds and tests the tree once per mutant (minutes)
mutate: deps-check
	@tests/mutants/run

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -Isrc $(SRC)
	clang-tidy --quiet $(SRC) -- -std=c11 -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
	clang-format --dry-run -Werror $(SRC) $(HDR)
	shellcheck tests/run tests/mutants/run tests/demo tests/install-deps tests/gen-initscript \
		tests/install-files tests/fuzz/run .ci/run tests/*.bash \
		tests/bench/run tests/bench/breakdown tests/bench/supervise tests/bench/ready tests/bench/ab
	shellcheck -x tests/stress/run tests/stress/[0-9][0-9]-* tests/stress/*.bash
	# SC2154: bats sets $stderr and $output, the helpers set timing globals
	shellcheck -S warning -e SC2154 tests/*.bats
	shellcheck -s sh init.d/daemon-script
	shellcheck -s bash etc/bash-completion/svcctl
	shellcheck tests/valgrind/run tests/valgrind/bats-one tests/valgrind/helper.bash
	mandoc -Tlint -Wwarning docs/svcctl.8 docs/svcctl.ini.5 docs/svcctl.conf.5

# BENCH_ONLY=run, breakdown, supervise or ready runs one of the four
bench: $(BUILD)/svcctl
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = run ]; then SVCCTL=$(abspath $(BUILD)/svcctl) tests/bench/run; fi
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = breakdown ]; then SVCCTL=$(abspath $(BUILD)/svcctl) tests/bench/breakdown; fi
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = supervise ]; then SVCCTL=$(abspath $(BUILD)/svcctl) tests/bench/supervise; fi
	@if [ -z "$(BENCH_ONLY)" ] || [ "$(BENCH_ONLY)" = ready ]; then SVCCTL=$(abspath $(BUILD)/svcctl) tests/bench/ready; fi

# not part of check: races, stale PIDs, crashes and zombies against the
# release binary, each check bounded in time; STRESS_SCALE scales every count
# (0.01 for a quick try), STRESS_ONLY="01 03" runs only those checks
stress: $(BUILD)/svcctl
	@tests/stress/run $(BUILD)

# Fuzzing: one libFuzzer binary per parser (tests/fuzz/fuzz_*.c), linked with
# the same sources as svcctl, under ASan and UBSan; tests/fuzz/run runs each
# for FUZZ_SECONDS from its seed corpus and prints the figures.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS  = ini conf argv state envfile notify
FUZZ_BINS     = $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_FLAGS    = -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz_common.h \
		$(LIB_SRC) $(HDR) $(KEYS) Makefile
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) -std=c11 $(WARN) $(WERROR) $(FUZZ_FLAGS) $(CPPFLAGS) -Isrc -Itests/fuzz \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -o $@ \
		$< tests/fuzz/fuzz_common.c $(LIB_SRC) $(LDLIBS)

fuzz: deps-check
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tests/fuzz/run $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# init.d/daemon-script is the generated script of the example service with
# the default installed paths; regenerate it after changing the generator.
initscript: $(BUILD)/svcctl
	tests/gen-initscript $(BUILD)/svcctl > init.d/daemon-script.tmp
	mv init.d/daemon-script.tmp init.d/daemon-script
	chmod 0755 init.d/daemon-script

# everything staged before anything is moved in
install: $(BUILD)/svcctl
	tests/install-files install $(BUILD)

uninstall:
	tests/install-files uninstall $(BUILD)

# config installed only where absent (else as FILE.new), a foreign init
# script never replaced; uninstall-example keeps changed configuration
install-example: all
	tests/install-files install-example $(BUILD)

uninstall-example: $(BUILD)/svcctl.conf
	tests/install-files uninstall-example $(BUILD)

clean:
	rm -rf $(BUILD)

# make valgrind: the bats suite with every svcctl, and every monitor it
# starts, under valgrind's memcheck (errors, leaks, descriptors left open);
# it ends with the suite's line and valgrind's. tests/valgrind/exclude lists
# the tests it leaves out, each with its reason. A build of its own: -O1 -g,
# no sanitizers, and SVCCTL_VALGRIND, which execs the monitor by descriptor
# with its title in the environment, closes the caches at exit and starts
# no program by vfork() (valgrind runs it as a fork). VALGRIND_JOBS bats
# files at once (default 4: the tests mostly wait).
VALGRIND_DIR   = $(BUILD)/valgrind
VALGRIND_JOBS ?= 4

$(VALGRIND_DIR)/svcctl: $(SRC) $(HDR) $(KEYS) Makefile $(BUILD)/paths.stamp
	@mkdir -p $(VALGRIND_DIR)
	$(CC) -std=c11 $(WARN) $(WERROR) -O1 -g -DSVCCTL_VALGRIND \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS) $(LDFLAGS) \
		-o $@ $(SRC) $(LDLIBS)

.PHONY: valgrind
valgrind: deps-check
	@$(MAKE) --no-print-directory $(VALGRIND_DIR)/svcctl $(CHECK)/progs
	@tests/valgrind/run $(VALGRIND_DIR) $(CHECK)/progs $(VALGRIND_JOBS)
