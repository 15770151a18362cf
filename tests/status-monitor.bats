#!/usr/bin/env bats
# status of supervised services: the monitor's states, restarts and exits in
# the text block, the brief line and JSON; and svcctl.conf's defaults for
# the supervision keys. The state files are written by hand, as the monitor
# writes them: root's 0644, one KEY=VALUE a line.

load test_helper
load extra_helper

# json_check PY: the one JSON object on stdin, as obj, satisfies the Python
# expression PY
json_check() {
	python3 -c '
import json, sys
obj = json.load(sys.stdin)
assert isinstance(obj, dict)
if not eval("(" + sys.argv[1] + ")"):
    print("failed:", sys.argv[1], json.dumps(obj), file=sys.stderr)
    sys.exit(1)' "$1"
}

# write_state NAME KEY=VALUE...: run_dir/NAME.state with the given keys
# after the ones every state has (boot id of this boot)
write_state() {
	local name=$1
	shift
	mkdir -p "$SB/run"
	{
		printf 'boot_id=%s\n' "$(cat /proc/sys/kernel/random/boot_id)"
		printf '%s\n' "$@"
	} >"$SB/run/$name.state.tmp"
	chmod 0644 "$SB/run/$name.state.tmp"
	mv "$SB/run/$name.state.tmp" "$SB/run/$name.state"
}

# start_sleep: a process standing in for a monitor or a program; sets SLEPT
start_sleep() {
	# shellcheck disable=SC2217 # no descriptor of bats may stay open
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	SLEPT=$!
	track_pid "$SLEPT"
	disown "$SLEPT"
	wait_until is_alive "$SLEPT"
}

# identify() reports the monitor's states once the monitor exists; until
# then a state file cannot make them and these tests have nothing to show
require_monitor_states() {
	make_service probe "exec = sleep 1000"
	write_state probe pid=0 starttime=0 run=fatal restarts=5 "reason=probe"
	run sv probe status
	rm -f "$SB/run/probe.state" "$SB/services/probe.ini"
	[ "$status" -eq 1 ] || skip "identify() does not report the monitor's states yet"
}

@test "svcctl.conf: restart, restart_delay, restart_max, log_max_bytes, log_backups are accepted" {
	make_service web "exec = sleep 1000"
	cat >>"$CONF" <<-EOF
		restart       = on-failure
		restart_delay = 0.5
		restart_max   = 7
		log_max_bytes = 10M
		log_backups   = 3
	EOF
	run sv check web
	show
	[ "$status" -eq 0 ]
}

@test "svcctl.conf: a bad default for a service key is FILE:LINE, exit 6" {
	local line base
	make_service web "exec = sleep 1000"
	cp "$CONF" "$BATS_TEST_TMPDIR/base.conf"
	base=$(($(wc -l <"$CONF") + 1))
	for line in "restart = sometimes" "restart_delay = -1" "restart_delay = 1e3" \
		"restart_max = 1001" "log_max_bytes = 5X" "log_backups = 101" \
		"restart_max = five"; do
		cp "$BATS_TEST_TMPDIR/base.conf" "$CONF"
		echo "$line" >>"$CONF"
		run --separate-stderr sv check web
		echo "'$line': $status $stderr"
		[ "$status" -eq 6 ]
		[[ "$stderr" == *"$CONF:$base: ${line%% *} must be"* ]]
	done
}
