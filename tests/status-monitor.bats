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

@test "status of a stopped service shows its last exits, newest first, in text and JSON" {
	local now
	make_service web "exec = sleep 1000"
	now=$(now_ms)
	write_state web pid=0 starttime=0 run=stopped restarts=2 \
		"exit=$now 256 200" "exit=$((now - 5000)) 9 1500" "exec=/bin/sleep"
	run sv web status
	show
	[ "$status" -eq 3 ]
	[[ "$output" == *"    State: stopped since "*" ago, exited with status 1, after running 0.2s"* ]]
	[[ "$output" == *" Restarts: 2"* ]]
	grep -qE '^    Exits: [0-9-]+ [0-9:]+ [A-Z+0-9-]+ exited with status 1 after 0\.2s$' <<<"$output"
	grep -qE '^           [0-9-]+ [0-9:]+ [A-Z+0-9-]+ killed by SIGKILL after 1\.5s$' <<<"$output"
	run sv --json web status
	show
	[ "$status" -eq 3 ]
	json_check 'obj["state"] == "stopped" and obj["since"] == obj["exits"][0]["time"] and
len(obj["exits"]) == 2 and obj["exits"][0]["code"] == 1 and
obj["exits"][0]["signal"] is None and obj["exits"][1]["code"] is None and
obj["exits"][1]["signal"] == "KILL" and obj["exits"][1]["run_seconds"] == 1.5 and
obj["restarts"] == 2 and obj["supervised"] is False and obj["monitor_pid"] == 0 and
obj["next_attempt"] is None and obj["reason"] is None and obj["status_text"] is None' <<<"$output"
	# the time of the newest exit, as ISO 8601 with the offset
	python3 -c '
import datetime, json, sys
obj = json.loads(sys.argv[1])
t = datetime.datetime.fromisoformat(obj["exits"][0]["time"])
assert t.utcoffset() is not None
assert abs(t.timestamp() * 1000 - int(sys.argv[2])) < 1000' "$output" "$now"
}

@test "status --json of a running service: since is ISO 8601 with its offset" {
	local before after
	marked_service web
	before=$(date +%s)
	run sv web start
	[ "$status" -eq 0 ]
	after=$(date +%s)
	run sv --json web status
	show
	[ "$status" -eq 0 ]
	json_check 'obj["state"] == "running" and obj["supervised"] is False and
obj["monitor_pid"] == 0 and obj["exits"] == [] and obj["next_attempt"] is None and
obj["reason"] is None and obj["status_text"] is None' <<<"$output"
	python3 -c '
import datetime, json, re, sys
since = json.loads(sys.argv[1])["since"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", since), since
t = datetime.datetime.fromisoformat(since).timestamp()
assert int(sys.argv[2]) - 1 <= t <= int(sys.argv[3]) + 1, (t, sys.argv[2:])' \
		"$output" "$before" "$after"
	# the list form carries the same fields, an array of one object per service
	run sv --json status
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
objs = json.load(sys.stdin)
assert isinstance(objs, list) and len(objs) == 1, objs
assert objs[0]["name"] == "web" and objs[0]["since"] is not None, objs' <<<"$output"
}

@test "status of a service whose monitor gave up: fatal, the reason, exit 1" {
	require_monitor_states
	make_service web "exec = sleep 1000"
	write_state web pid=0 starttime=0 run=fatal restarts=5 \
		"reason=5 runs shorter than 60s in a row" "exit=$(now_ms) 256 100"
	run sv web status
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"    State: fatal since "*" ago: 5 runs shorter than 60s in a row"* ]]
	[[ "$output" == *" Restarts: 5"* ]]
	[[ "$output" == *"    Exits: "*"exited with status 1 after 0.1s"* ]]
	run sv web status --brief
	show
	[ "$status" -eq 1 ]
	[ "$output" = "web has failed: 5 runs shorter than 60s in a row" ]
	run sv --json web status
	[ "$status" -eq 1 ]
	json_check 'obj["state"] == "fatal" and
obj["reason"] == "5 runs shorter than 60s in a row" and obj["restarts"] == 5' <<<"$output"
}

@test "status during backoff: the next attempt, the monitor, exit 3" {
	local monitor
	require_monitor_states
	make_service web "exec = sleep 1000"
	start_sleep
	monitor=$SLEPT
	write_state web pid=0 starttime=0 "monitor_pid=$monitor" \
		"monitor_starttime=$(proc_starttime "$monitor")" run=backoff restarts=1 \
		"next_attempt=$(($(now_ms) + 60000))" "exit=$(now_ms) 9 300"
	run sv web status
	show
	[ "$status" -eq 3 ]
	[[ "$output" == *"    State: backoff since "*" ago, next attempt in "*"s at "* ]]
	[[ "$output" == *"  Monitor: pid $monitor, supervising"* ]]
	[[ "$output" == *"killed by SIGKILL after 0.3s"* ]]
	run sv web status --brief
	show
	[ "$status" -eq 3 ]
	[[ "$output" == "web is not running (backoff, next attempt in "*"s)" ]]
	run sv --json web status
	[ "$status" -eq 3 ]
	json_check "obj['state'] == 'backoff' and obj['supervised'] is True and
obj['monitor_pid'] == $monitor and obj['next_attempt'] is not None and
obj['exits'][0]['signal'] == 'KILL'" <<<"$output"
}

@test "status of a program whose monitor is gone: running, unsupervised" {
	local program gone gone_start
	require_monitor_states
	make_service web "exec = sleep 1000"
	start_sleep
	gone=$SLEPT
	gone_start=$(proc_starttime "$gone")
	kill -KILL "$gone"
	wait_until is_dead "$gone"
	start_sleep
	program=$SLEPT
	printf '%s\n' "$program" >"$SB/run/web.pid"
	write_state web "pid=$program" "starttime=$(proc_starttime "$program")" \
		"pgid=$program" "monitor_pid=$gone" "monitor_starttime=$gone_start" \
		run=running "started_at=$(date +%s)" restarts=0 "exec=/bin/sleep"
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"unsupervised"* ]]
	[[ "$output" == *"      PID: $program "* ]]
	run sv web status --brief
	[ "$status" -eq 0 ]
	[[ "$output" == "web is running (pid $program"* ]]
	run sv --json web status
	json_check "obj['state'] == 'running' and obj['supervised'] is False and
obj['monitor_pid'] == 0 and obj['pid'] == $program" <<<"$output"
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

@test "status of 300 services: the worker pool prints every line once, in name order" {
	local i names pid1 pid2
	for i in $(seq -w 1 300); do
		make_service "s$i" "exec = sleep 1000" "description = service $i"
	done
	marked_service s150
	marked_service s299
	run sv start s150 s299
	[ "$status" -eq 0 ]
	pid1=$(pid_of s150)
	pid2=$(pid_of s299)
	run sv status
	[ "$status" -eq 3 ]
	[ "$(wc -l <<<"$output")" -eq 301 ]
	names=$(awk 'NR > 1 { print $1 }' <<<"$output")
	[ "$names" = "$(seq -w 1 300 | sed 's/^/s/')" ]
	grep -qE "^s150 +running +$pid1 " <<<"$output"
	grep -qE "^s299 +running +$pid2 " <<<"$output"
	[ "$(grep -c ' stopped ' <<<"$output")" -eq 298 ]
	run sv --json status
	[ "$status" -eq 3 ]
	python3 -c '
import json, sys
objs = json.load(sys.stdin)
assert [o["name"] for o in objs] == ["s%03d" % i for i in range(1, 301)]
assert [o["name"] for o in objs if o["state"] == "running"] == ["s150", "s299"]' <<<"$output"
	run sv stop s150 s299
	[ "$status" -eq 0 ]
}
