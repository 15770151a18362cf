# Shared by the stress checks 01-03 and 07: the sandbox (a config and
# run, log and services directories under STRESS_TMP), scaled counts, the
# time limit, figures, the verdict, and a cleanup that ends by PID every
# process the check started.
# shellcheck shell=bash

# shellcheck source-path=SCRIPTDIR source=common.bash
. "$(dirname "$0")/common.bash"
# Each check runs in a private PID namespace with its own /proc, under an init
# that reaps after REAP_MS milliseconds (0 by default: at once): svcctl's and
# pcount's scans of /proc see the check's processes only, whatever else runs
# on the machine, and every process left is killed with that init.
if [ -z "${STRESS_IN_NS:-}" ]; then
	STRESS_IN_NS=1 exec unshare -fp --mount-proc "$STRESS_BIN/latereaper" "${REAP_MS:-0}" "$0" "$@"
fi
SB=$STRESS_TMP
CONF=$SB/svcctl.conf
# a word no process outside this check carries in its argv
MARK="svcctl-stress-mark:$SB"
TRACKED=()
WATCHDOG=

mkdir -p "$SB/services"
cat >"$CONF" <<CONF
services_dir = "$SB/services"
run_dir = "$SB/run"
log_dir = "$SB/log"
initd_dir = "$SB/init.d"
rc_dir = "$SB/rc"
ready_seconds = 0
stop_timeout = 5
CONF

# svcctl with the sandbox config
sv() {
	"$SVCCTL" -c "$CONF" "$@"
}

# live processes carrying MARK, or running COUNT_EXE when the check sets it
# (in this PID namespace, only the check's processes): "COUNT PID..."
marked() {
	if [ -n "${COUNT_EXE:-}" ]; then
		"$STRESS_BIN/pcount" -e "$COUNT_EXE"
	else
		"$STRESS_BIN/pcount" "$MARK"
	fi
}

# their PIDs, one a word
marked_pids() {
	local count pids
	read -r count pids <<<"$(marked)"
	[ "$count" -eq 0 ] || echo "$pids"
}

marked_count() {
	local line
	line=$(marked)
	echo "${line%% *}"
}

# track PID: killed at exit if it still has the start time it has now
track() {
	TRACKED+=("$1:$(starttime_of "$1")")
}

# ends every process of the check: the services through svcctl, then by
# PID whatever still carries the mark and every tracked process
cleanup() {
	local code=$? svc entry pid
	trap - EXIT USR1
	if [ -n "$WATCHDOG" ]; then
		kill "$WATCHDOG" 2>/dev/null
		kill "$(cat "$SB/watchdog.pid" 2>/dev/null)" 2>/dev/null
	fi
	for svc in "$SB"/services/*.ini; do
		[ -e "$svc" ] || continue
		svc=$(basename "$svc" .ini)
		timeout 20 "$SVCCTL" -q -c "$CONF" "$svc" stop >/dev/null 2>&1
	done
	for pid in $(marked_pids); do
		[ "$pid" -gt 1 ] && kill -KILL "$pid" 2>/dev/null
	done
	for entry in "${TRACKED[@]}"; do
		pid=${entry%%:*}
		[ "$pid" -gt 1 ] && [ "$(starttime_of "$pid")" = "${entry#*:}" ] &&
			kill -KILL "$pid" 2>/dev/null
	done
	if [ -z "$VERDICT" ]; then
		VERDICT="FAIL $CHECK_NAME: ended with status $code before a verdict"
		code=1
	fi
	echo "$VERDICT"
	exit "$code"
}

# time_limit SECONDS: the check fails when it runs longer
time_limit() {
	local parent=$$
	(
		exec >/dev/null 2>&1 </dev/null
		sleep "$1" &
		echo $! >"$SB/watchdog.pid"
		wait $! && kill -USR1 "$parent"
	) &
	WATCHDOG=$!
	# shellcheck disable=SC2064 # the limit is fixed now
	trap "fail 'time limit of $1 s exceeded'" USR1
}

trap cleanup EXIT
