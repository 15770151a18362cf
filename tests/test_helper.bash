# Shared set-up for the bats tests. Every test gets its own sandbox under
# $BATS_TEST_TMPDIR: its own svcctl.conf, services, run, log, init.d and rc
# directories. Teardown kills, by PID, every process the test started.
# shellcheck shell=bash

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${SVCCTL:=$TOP/build/check/svcctl}"
: "${PROGS:=$TOP/build/check/progs}"
export SVCCTL PROGS

# The sanitizer options tests/run sets, as defaults for a bare bats run. Each
# test adds log_path (sanitizer_setup), so a report lands in a file that
# teardown shows and fails on, whichever way svcctl ran: as nobody, with its
# output discarded, from an init script, under a daemonized child.
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=0:exitcode=98}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1:exitcode=97}"
SAN_BASE_ASAN=$ASAN_OPTIONS
SAN_BASE_UBSAN=$UBSAN_OPTIONS

# a directory every user can write, for the reports of this test
sanitizer_setup() {
	SAN_DIR=$(mktemp -d /tmp/svcctl-san.XXXXXX)
	chmod 0777 "$SAN_DIR"
	echo "$SAN_DIR" >"$BATS_TEST_TMPDIR/san-dir"
	export ASAN_OPTIONS="$SAN_BASE_ASAN:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="$SAN_BASE_UBSAN:log_path=$SAN_DIR/ubsan"
}

# fails, showing them, when any sanitizer report was written during the test
sanitizer_check() {
	local dir f found=0
	[ -f "$BATS_TEST_TMPDIR/san-dir" ] || return 0
	dir=$(cat "$BATS_TEST_TMPDIR/san-dir")
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		found=1
		echo "sanitizer report $f:" >&2
		cat "$f" >&2
	done
	rm -rf "$dir"
	[ "$found" -eq 0 ]
}

# env_san CMD...: runs CMD with the sanitizer options put back, for helpers
# that clear the environment (env -i, setpriv --reset-env)
env_san() {
	env ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$@"
}

sandbox_setup() {
	SB=$BATS_TEST_TMPDIR/sb
	CONF=$SB/svcctl.conf
	mkdir -p "$SB/services"
	cat >"$CONF" <<-EOF
		services_dir = "$SB/services"
		run_dir = "$SB/run"
		log_dir = "$SB/log"
		initd_dir = "$SB/init.d"
		rc_dir = "$SB/rc"
		ready_seconds = 0.3
		stop_timeout = 5
	EOF
	: >"$BATS_TEST_TMPDIR/pids"
	sanitizer_setup
}

# A sandbox that other users can reach, for tests that run svcctl as nobody:
# $BATS_TEST_TMPDIR's parents are private to root. The config stays root's
# (root refuses config files other users can write); run and log dirs are
# nobody's, so a non-root svcctl can work there.
sandbox_for_nobody() {
	SB=$(mktemp -d /tmp/svcctl-test.XXXXXX)
	echo "$SB" >"$BATS_TEST_TMPDIR/public-sandbox"
	chmod 0755 "$SB"
	CONF=$SB/svcctl.conf
	mkdir -p "$SB/services"
	sed "s|$BATS_TEST_TMPDIR/sb|$SB|g" "$BATS_TEST_TMPDIR/sb/svcctl.conf" >"$CONF"
	mkdir -p "$SB/run" "$SB/log" "$SB/bin"
	chown nobody:nogroup "$SB/run" "$SB/log"
	# the tree under test may sit where nobody cannot reach (a clone in a
	# 0700 mktemp directory): run a copy of svcctl that nobody can
	cp "$SVCCTL" "$SB/bin/svcctl"
	chmod 0755 "$SB/bin" "$SB/bin/svcctl"
	SVCCTL=$SB/bin/svcctl
}

# run a command as nobody, without any privilege left; the environment is
# reset but for the sanitizer options
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env \
		env ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$@"
}

# svcctl with the sandbox config
sv() {
	"$SVCCTL" -c "$CONF" "$@"
}

# make_service NAME LINE...: writes services/NAME.ini with a [service]
# section holding the given lines
make_service() {
	local name=$1
	shift
	{
		echo "[service]"
		printf '%s\n' "$@"
	} >"$SB/services/$name.ini"
}

pid_of() {
	cat "$SB/run/$1.pid"
}

# the start time of PID (field 22 of /proc/PID/stat), empty when gone
proc_starttime() {
	awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

# remember a PID this test started by other means, with its start time, so
# teardown never kills a recycled PID
track_pid() {
	echo "$1 $(proc_starttime "$1")" >>"$BATS_TEST_TMPDIR/pids"
}

# the state letter from /proc/PID/stat; empty when the process is gone
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	echo "${stat%% *}"
}

# alive and not a zombie
is_alive() {
	case "$(proc_state "$1")" in
	"" | Z | X) return 1 ;;
	*) return 0 ;;
	esac
}

is_dead() {
	! is_alive "$1"
}

# wait_until CMD...: bounded poll, 5 s at most, no bare sleeps in tests
wait_until() {
	local _
	for _ in $(seq 1 250); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# kill a PID and its process group, if it is still the process we started
kill_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -KILL -- "-$pid" 2>/dev/null || true
	kill -KILL "$pid" 2>/dev/null || true
}

sandbox_teardown() {
	local f pid want
	# processes svcctl started: only those whose start time matches the
	# state file, so a test that planted a foreign PID never kills it
	for f in "$SB"/run/*.state; do
		[ -f "$f" ] || continue
		pid=$(sed -n 's/^pid=//p' "$f")
		want=$(sed -n 's/^starttime=//p' "$f")
		[ -n "$pid" ] && [ "$want" = "$(proc_starttime "$pid")" ] && kill_pid "$pid"
	done
	while read -r pid want; do
		[ "$want" = "$(proc_starttime "$pid")" ] && kill_pid "$pid"
	done <"$BATS_TEST_TMPDIR/pids"
	if [ -f "$BATS_TEST_TMPDIR/public-sandbox" ]; then
		rm -rf "$(cat "$BATS_TEST_TMPDIR/public-sandbox")"
	fi
}

setup() {
	sandbox_setup
}

teardown() {
	sandbox_teardown
	sanitizer_check
}
