# Shared by the stress checks 04-06: a sandbox under STRESS_TMP with its
# own svcctl.conf, the scaled counts, the figures and the verdict, a
# deadline every wait is held to, and on every exit path each service
# stopped and whatever it left killed by PID.
# shellcheck shell=bash

: "${SVCCTL:?SVCCTL: the svcctl binary}" "${STRESS_BIN:?STRESS_BIN: the helpers}"
: "${STRESS_TMP:?STRESS_TMP: a private temporary directory}"
STRESS_SCALE=${STRESS_SCALE:-1}
CHECK=$(basename "$0")
SB=$STRESS_TMP/sb
CONF=$SB/svcctl.conf
SERVICES=()
VERDICT=

# scaled N: N times STRESS_SCALE, rounded, at least 1
scaled() {
	awk -v n="$1" -v s="$STRESS_SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'
}

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

figure() {
	echo "# figure: $1 = $2"
}

pass() {
	VERDICT="PASS $CHECK: $*"
	exit 0
}

fail() {
	VERDICT="FAIL $CHECK: $*"
	exit 1
}

# set_deadline SECONDS: the check fails once it runs longer than this
set_deadline() {
	DEADLINE=$(($(now_ms) + $1 * 1000))
}

# wait_for WHAT CMD...: polls CMD until it succeeds; past the deadline the
# check fails, naming WHAT
wait_for() {
	local what=$1
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$DEADLINE" ] || fail "timed out waiting for $what"
		sleep 0.02
	done
}

sandbox_setup() {
	mkdir -p "$SB/services" "$SB/run" "$SB/log"
	cat >"$CONF" <<-EOC
		services_dir = "$SB/services"
		run_dir = "$SB/run"
		log_dir = "$SB/log"
		initd_dir = "$SB/init.d"
		rc_dir = "$SB/rc"
	EOC
	trap sandbox_exit EXIT
	trap 'fail "interrupted"' INT TERM HUP
}

# svcctl on the sandbox's config; a call that hangs is ended after two
# minutes (timeout's 124 is then its exit code)
sv() {
	timeout 120 "$SVCCTL" -c "$CONF" "$@"
}

# make_service NAME LINE...: services/NAME.ini with these [service] lines
make_service() {
	local name=$1
	shift
	SERVICES+=("$name")
	{
		echo "[service]"
		printf '%s\n' "$@"
	} >"$SB/services/$name.ini"
}

# state_value NAME KEY: a value of run_dir/NAME.state, empty when absent
state_value() {
	sed -n "s/^$2=//p" "$SB/run/$1.state" 2>/dev/null || true
}

# the start time of a PID (/proc/PID/stat field 22), empty when gone
starttime_of() {
	awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

# is_alive PID: the process exists and is no zombie
is_alive() {
	local st
	st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# kill_recorded NAME: SIGKILL for the monitor and the program the state
# file names, each only while its start time is still the recorded one
kill_recorded() {
	local pid start
	for key in monitor_pid pid; do
		pid=$(state_value "$1" "$key")
		start=$(state_value "$1" "${key%pid}starttime")
		if [ "${pid:-0}" -gt 0 ] && [ "$(starttime_of "$pid")" = "$start" ]; then
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	return 0
}

sandbox_exit() {
	local rc=$? name
	trap - EXIT INT TERM HUP
	for name in "${SERVICES[@]}"; do
		timeout 30 "$SVCCTL" -c "$CONF" -q stop "$name" >/dev/null 2>&1
		kill_recorded "$name"
	done
	[ -n "$VERDICT" ] || VERDICT="FAIL $CHECK: ended early (exit $rc)"
	echo "$VERDICT"
	case $VERDICT in PASS*) exit 0 ;; *) exit 1 ;; esac
}
