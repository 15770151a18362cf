# svcctl — plain GNU make.
#   make            build build/svcctl (warnings are errors; packagers: make WERROR=)
#   make demo       run the example service in a sandbox under build/demo
#   make check      unit and bats tests under ASan and UBSan
#   make lint       cppcheck, clang-tidy, shellcheck, mandoc -Tlint
#   make install    PREFIX, SYSCONFDIR and DESTDIR as usual

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
VERSION    := 0.1.0

CC      ?= cc
PKGS     = inih libconfuse
WERROR  ?= -Werror
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-result
CFLAGS  ?= -O2 -g
CPPFLAGS += -DSVCCTL_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 $(WARN) $(WERROR) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -linih -lconfuse)

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined

LIB_SRC = src/argv.c src/cmd.c src/conf.c src/ident.c src/log.c src/pidfile.c \
          src/proc.c src/service.c src/spawn.c src/stop.c src/util.c
SRC     = src/main.c $(LIB_SRC)
HDR     = src/svcctl.h

BUILD   = build
CHECK   = build/check

.PHONY: all deps deps-check demo demo-stop check unit bats lint install uninstall clean bench

all: $(BUILD)/svcctl

$(BUILD)/svcctl: $(SRC) $(HDR) Makefile
	@mkdir -p $(BUILD)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LDLIBS)

$(CHECK)/svcctl: $(SRC) $(HDR) Makefile
	@mkdir -p $(CHECK)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SRC) $(LDLIBS)

$(CHECK)/unit: tests/unit/unit.c $(LIB_SRC) $(HDR) Makefile
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

check: deps-check
	@$(MAKE) --no-print-directory $(CHECK)/svcctl $(CHECK)/unit $(CHECK)/progs
	@tests/run $(CHECK)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -Isrc $(SRC)
	clang-tidy --quiet $(SRC) -- -std=c11 -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
	shellcheck tests/run tests/demo tests/install-deps .ci/run
	shellcheck -s sh init.d/daemon-script

bench: $(BUILD)/svcctl
	SVCCTL=$(abspath $(BUILD)/svcctl) tests/bench/run

install: $(BUILD)/svcctl
	install -D -m 0755 $(BUILD)/svcctl $(DESTDIR)$(SBINDIR)/svcctl

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/svcctl

clean:
	rm -rf $(BUILD)
