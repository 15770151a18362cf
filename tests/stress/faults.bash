# Shared by the stress checks 04-06 (faults: a crashing program, a log
# flood, a full disk): a sandbox under STRESS_TMP with its
# own svcctl.conf, the scaled counts, the figures and the verdict, a
# deadline every wait is held to, and on every exit path each service
# stopped and whatever it left killed by PID.
# shellcheck shell=bash

# shellcheck source-path=SCRIPTDIR source=common.bash
. "$(dirname "$0")/common.bash"
SB=$STRESS_TMP/sb
CONF=$SB/svcctl.conf

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
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

# state_value NAME KEY: a value of run_dir/NAME.state, empty when absent
state_value() {
	sed -n "s/^$2=//p" "$SB/run/$1.state" 2>/dev/null || true
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
	[ -n "$VERDICT" ] || VERDICT="FAIL $CHECK_NAME: ended early (exit $rc)"
	echo "$VERDICT"
	case $VERDICT in PASS*) exit 0 ;; *) exit 1 ;; esac
}
