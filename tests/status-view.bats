#!/usr/bin/env bats
# What status shows (DESIGN 2): the detailed block of every state with since
# when (a stopped service too: when and how it stopped), the group's memory
# and tasks, the list (aligned, sorted), JSON (an object for one service, an
# array for several, valid UTF-8 whatever the bytes) and the colour rules.
# shellcheck disable=SC2154 # output and status come from bats' run

load test_helper
load extra_helper

setup() {
	sandbox_setup
}

teardown() {
	supervise_teardown
}

# pyjson PY: the JSON on stdin, as obj, satisfies the Python expression PY
pyjson() {
	python3 -c '
import json, sys
obj = json.load(sys.stdin)
if not eval("(" + sys.argv[1] + ")"):
    print("failed:", sys.argv[1], json.dumps(obj), file=sys.stderr)
    sys.exit(1)' "$1"
}

# the date part of the State: line, "since YYYY-MM-DD HH:MM:SS ZONE; N ago"
SINCE='since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Za-z0-9+-]+; [0-9.]+(s|min [0-9]+s) ago'

@test "running: state since when (absolute and relative), PID, command, memory, pidfile, log tail" {
	marked_service web "description = Web server"
	sv -q web start
	pid=$(pid_of web)
	run sv web status
	show
	[ "$status" -eq 0 ]
	grep -qE "^    State: running $SINCE\$" <<<"$output"
	[[ "$output" == *"  Monitor: none"* ]]
	[[ "$output" == *"      PID: $pid (exitafter)"* ]]
	[[ "$output" == *"  Command: $PROGS/exitafter 0 1000 $MARK"* ]]
	grep -qE '^   Memory: [0-9.]+ MiB RSS, 1 task \(main process\)$' <<<"$output"
	[[ "$output" == *"  Pidfile: $SB/run/web.pid (verified: start time and boot id match)"* ]]
	[[ "$output" == *"      Log: $SB/log/web.log"* ]]
	[[ "$output" == *"    exitafter: going to end with 0"* ]]
	sv --json web status >"$SB/json"
	pyjson 'obj["name"] == "web" and obj["description"] == "Web server" and
obj["state"] == "running" and obj["pid"] == '"$pid"' and obj["process"] == "exitafter" and
obj["since"] is not None and abs(obj["since_epoch"] - __import__("datetime").datetime.fromisoformat(obj["since"]).timestamp()) < 1 and
obj["uptime_seconds"] >= 0 and obj["rss_bytes"] > 0 and obj["tasks"] == 1 and
obj["processes"] == 1 and obj["verified"] is True and obj["verified_by"] and
obj["supervised"] is False and obj["monitor_pid"] == 0 and obj["restarts"] == 0 and
obj["exits"] == [] and obj["next_attempt"] is None and obj["reason"] is None and
obj["stopped_at"] is None and obj["stop_reason"] is None and
obj["log"].endswith("/log/web.log") and "exitafter: going to end with 0" in obj["log_tail"] and
"'"$MARK"'" in obj["command"]' <"$SB/json"
	iso_time_ok "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["since"])' <"$SB/json")"
}

@test "memory and tasks with -v count the whole group: a child and the leader's threads" {
	make_service web "exec = /bin/sh -c \"sleep 1000 & sleep 1000 & wait\" $MARK"
	sv -q web start
	run sv -v web status
	show
	[ "$status" -eq 0 ]
	grep -qE '^   Memory: [0-9.]+ MiB RSS, 3 tasks in 3 processes \(process group\)$' <<<"$output"
	grep -qE '^      CPU: [0-9]+[.][0-9]{2}s \(user and system, process group\)$' <<<"$output"
	sv --json web status >"$SB/json"
	pyjson 'obj["tasks"] >= 3 and obj["processes"] == 3 and obj["leader_tasks"] == 1 and
obj["rss_bytes"] > obj["leader_rss_bytes"] > 0' <"$SB/json"
}

@test "the default block shows the main process's memory and CPU, not the group's (no pass over /proc)" {
	make_service web "exec = /bin/sh -c \"sleep 1000 & sleep 1000 & wait\" $MARK"
	sv -q web start
	wait_until marked_count_is 1
	# the group has three processes; the block speaks of the shell alone
	wait_until grep -q . /proc/"$(pid_of web)"/task/*/children
	run sv web status
	show
	[ "$status" -eq 0 ]
	grep -qE '^   Memory: [0-9.]+ MiB RSS, 1 task \(main process\)$' <<<"$output"
	grep -qE '^      CPU: [0-9]+[.][0-9]{2}s \(user and system, main process\)$' <<<"$output"
	[[ "$output" != *"in 3 processes"* ]]
}

@test "config file and boot: the INI read and whether boot starts it; CPU time of the group" {
	# a program that burns CPU, so its time is seen to grow
	make_service web "exec = /bin/sh -c \"while :; do :; done\" $MARK"
	sv -q web start
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"   Config: $SB/services/web.ini; not enabled at boot"* ]]
	grep -qE '^      CPU: [0-9]+[.][0-9]{2}s ' <<<"$output"
	sv --json web status >"$SB/json"
	pyjson 'obj["config"] == "'"$SB"'/services/web.ini" and obj["enabled"] is False and
obj["cpu_seconds"] >= 0' <"$SB/json"
	# CPU time counts: within a generous bound it passes a tenth of a second
	wait_for 30 cpu_above_tenth web
	sv -q web enable
	run sv web status
	[[ "$output" == *"   Config: $SB/services/web.ini; enabled at boot"* ]]
	sv --json status web web >"$SB/json"
	pyjson 'obj[0]["enabled"] is True and obj[0]["config"].endswith("/web.ini")' <"$SB/json"
	sv -q web disable
	sv -q web stop
	# stopped: no CPU line, null in JSON; the config line stays
	run sv web status
	[[ "$output" == *"   Config: $SB/services/web.ini; not enabled at boot"* ]]
	[[ "$output" != *"CPU:"* ]]
	jstatus web
	[ "$JCODE" -eq 3 ]
	pyjson 'obj["cpu_seconds"] is None and obj["enabled"] is False' <"$SB/json"
}

# cpu_above_tenth NAME: status NAME --json reports more than 0.1 s of CPU
cpu_above_tenth() {
	sv --json "$1" status | pyjson 'obj["cpu_seconds"] > 0.1'
}

@test "stopped after stop: when, by whom, after how long; the record stays and start works after it" {
	marked_service web
	sv -q web start
	sv -q web stop
	[ "$(state_value web run)" = stopped ]
	refute_file "$SB/run/web.pid"
	run sv web status
	show
	[ "$status" -eq 3 ]
	grep -qE "^    State: stopped $SINCE, by svcctl stop \\(TERM\\), after running [0-9.]+s\$" <<<"$output"
	[[ "$output" != *"Monitor:"* ]]
	run sv web status --brief
	[ "$status" -eq 3 ]
	[ "$output" = "web is not running" ]
	sv --json web status >"$SB/json" || true
	pyjson 'obj["state"] == "stopped" and obj["pid"] == 0 and obj["stopped_at"] is not None and
obj["since"] == obj["stopped_at"] and obj["stop_reason"] == "by svcctl stop (TERM)" and
obj["ran_seconds"] >= 0 and obj["verified"] is False and obj["supervised"] is False' <"$SB/json"
	# a second stop keeps the record; start after it works
	run sv web stop
	[ "$status" -eq 0 ]
	[ "$(state_value web run)" = stopped ]
	run sv web start
	[ "$status" -eq 0 ]
	run sv web status
	[ "$status" -eq 0 ]
	[[ "$output" == *"State: running since"* ]]
	run sv status web
	[ "$status" -eq 0 ]
	sv -q web stop
}

@test "stopped: a program that ignores TERM says it was killed after stop_timeout" {
	make_service web "exec = $PROGS/ignoreterm $MARK" "stop_timeout = 1"
	sv -q web start
	sv -q web stop 2>/dev/null
	run sv web status
	show
	[ "$status" -eq 3 ]
	grep -qE "^    State: stopped $SINCE, by svcctl stop: killed by KILL after stop_timeout \\(1s of TERM\\)" <<<"$output"
}

@test "stopped under a monitor: the monitor's last exit and the stop, by whom" {
	marked_service web "restart = always"
	sv -q web start
	sv -q web stop
	run sv web status
	show
	[ "$status" -eq 3 ]
	grep -qE "^    State: stopped $SINCE, by svcctl stop \\(TERM\\)" <<<"$output"
	grep -qE '^    Exits: .* (exited with status 0|killed by SIGTERM) after ' <<<"$output"
	[[ "$output" != *"Monitor:"* ]]
	[[ "$output" != *"unsupervised"* ]]
}

@test "never started: stopped, nothing invented" {
	marked_service web
	run sv web status
	show
	[ "$status" -eq 3 ]
	[[ "$output" == *"    State: stopped (no run recorded)"* ]]
	[[ "$output" != *since* ]]
	sv --json web status >"$SB/json" || true
	pyjson 'obj["state"] == "stopped" and obj["pid"] == 0 and obj["since"] is None and
obj["stopped_at"] is None and obj["exits"] == [] and obj["restarts"] == 0 and
obj["log_tail"] == [] and obj["uptime_seconds"] == 0' <"$SB/json"
}

@test "dead: the program killed without a monitor, exit 1" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	kill -KILL "$pid"
	wait_until is_dead "$pid"
	run sv web status
	show
	[ "$status" -eq 1 ]
	grep -qE "^    State: dead: pidfile remains: pid $pid: process is (gone|a zombie)\$" <<<"$output"
	[[ "$output" == *"  Pidfile: $SB/run/web.pid (not verified)"* ]]
	sv --json web status >"$SB/json" || true
	pyjson 'obj["state"] == "dead" and obj["pid"] == '"$pid"' and obj["verified"] is False and
obj["verified_by"] in ("process is gone", "process is a zombie") and obj["rss_bytes"] == 0' <"$SB/json"
	sv -q web stop
}

@test "stale: a pidfile naming a live unrelated process, exit 1, nothing signalled" {
	marked_service web
	start_foreign
	plant_pidfile web "$FOREIGN"
	run sv web status
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"    State: stale: not running, stale pidfile: pid $FOREIGN: "* ]]
	sv --json web status >"$SB/json" || true
	pyjson 'obj["state"] == "stale" and obj["pid"] == '"$FOREIGN"' and obj["verified"] is False' <"$SB/json"
	is_alive "$FOREIGN"
}

@test "backoff: since the last exit, the next attempt, exit 3; JSON fields" {
	make_service web "exec = $PROGS/exitafter 3 0.6 $MARK" "restart = always" \
		"restart_delay = 60" "ready_seconds = 0.2"
	sv -q web start
	wait_for 20 state_is web backoff
	run sv web status
	show
	[ "$status" -eq 3 ]
	grep -qE "^    State: backoff $SINCE, next attempt in [0-9]+s at [0-9-]+ [0-9:]+ " <<<"$output"
	grep -qE '^  Monitor: pid [0-9]+, supervising$' <<<"$output"
	grep -qE '^    Exits: .* exited with status 3 after 0\.[0-9]s$' <<<"$output"
	sv --json web status >"$SB/json" || true
	pyjson 'obj["state"] == "backoff" and obj["supervised"] is True and obj["monitor_pid"] > 0 and
obj["next_attempt"] is not None and obj["since"] == obj["exits"][0]["time"] and
obj["exits"][0]["code"] == 3 and obj["exits"][0]["signal"] is None and
obj["exits"][0]["run_seconds"] > 0 and obj["pid"] == 0 and obj["reason"] is None' <"$SB/json"
	# a stop in backoff ends the supervision, and says so; the record
	# names it, with the length of the last run, not the time since
	run sv web stop
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: stopped (it was in backoff)" ]
	run sv web status
	show
	[ "$status" -eq 3 ]
	grep -qE "^    State: stopped $SINCE, by svcctl stop, in backoff, after running 0\.[0-9]s\$" <<<"$output"
}

@test "fatal: the reason, since the last exit, exit 1; JSON fields" {
	make_service web "exec = $PROGS/exitafter 3 0.6 $MARK" "restart = always" \
		"restart_delay = 0.1" "restart_max = 2" "ready_seconds = 0.2"
	sv -q web start
	wait_for 20 state_is web fatal
	run sv web status
	show
	[ "$status" -eq 1 ]
	grep -qE "^    State: fatal $SINCE: gave up after 2 runs shorter than 60s in a row" <<<"$output"
	sv --json web status >"$SB/json" || true
	pyjson 'obj["state"] == "fatal" and obj["reason"].startswith("gave up after 2 runs") and
obj["since"] == obj["exits"][0]["time"] and len(obj["exits"]) == 2 and
obj["restarts"] == 1 and obj["next_attempt"] is None and obj["pid"] == 0' <"$SB/json"
}

@test "starting: waiting for readiness, exit 0, since when" {
	make_service web "exec = $PROGS/exitafter 0 1000 $MARK" "ready_fd = 3" "start_timeout = 60"
	sv -q web start 2>/dev/null &
	starter=$!
	wait_for 20 state_is web starting
	run sv web status
	show
	[ "$status" -eq 0 ]
	grep -qE "^    State: starting $SINCE \\(waiting for readiness\\)\$" <<<"$output"
	sv --json web status >"$SB/json"
	pyjson 'obj["state"] == "starting" and obj["pid"] > 0 and obj["since"] is not None' <"$SB/json"
	# the program dies: the start fails at once
	kill -KILL "$(state_value web pid)"
	wait "$starter" || true
}

@test "JSON: an array for several names, --all and bare status; valid UTF-8 whatever the bytes" {
	make_service web "description = bad $(printf '\377\300') é" "exec = $PROGS/exitafter 0 1000 $MARK"
	marked_service db
	mkdir -p "$SB/log"
	printf 'esc \033[31m cr \r bad \377 end\nsecond\n' >"$SB/log/web.log"
	sv -q web start
	for args in "status web db" "status --all" "status"; do
		# shellcheck disable=SC2086 # the words of args
		run --separate-stderr sv --json $args
		echo "$args: $output"
		[ "$status" -eq 3 ]
		printf '%s' "$output" | iconv -f UTF-8 -t UTF-8 >/dev/null
		pyjson 'isinstance(obj, list) and [o["name"] for o in obj] == ["db", "web"] and
obj[0]["state"] == "stopped" and obj[1]["state"] == "running" and
obj[1]["description"] == "bad \ufffd\ufffd é" and
obj[1]["log_tail"][:2] == ["esc \u001b[31m cr \r bad \ufffd end", "second"]' <<<"$output"
	done
	# one name: an object
	sv --json web status >"$SB/json"
	pyjson 'isinstance(obj, dict) and obj["name"] == "web"' <"$SB/json"
	sv -q web stop
}

@test "the log tail in the block shows control characters, never sends them" {
	marked_service web
	mkdir -p "$SB/log"
	printf 'esc \033[2J cr \r end\n' >"$SB/log/web.log"
	run sv web status
	show
	[ "$status" -eq 3 ]
	[[ "$output" == *'    esc \x1b[2J cr \x0d end'* ]]
	[[ "$output" != *$'\033'* ]]
	[[ "$output" != *$'\r'* ]]
}

@test "a log of one huge line: the block and JSON show the same bounded end of it" {
	marked_service web
	mkdir -p "$SB/log"
	# 3 MB without a newline, then a last short line
	head -c 3000000 /dev/zero | tr '\0' a >"$SB/log/web.log"
	printf '\nlast line\n' >>"$SB/log/web.log"
	run sv web status
	[ "$status" -eq 3 ]
	# the block: at most the 64 KiB window of the log, not 3 MB
	[ "${#output}" -lt 70000 ]
	[[ "$output" == *"    last line" ]]
	jstatus web
	pyjson 'obj["log_tail"][-1] == "last line" and len(obj["log_tail"]) == 2 and
0 < len(obj["log_tail"][0]) < 65536 and set(obj["log_tail"][0]) == {"a"}' <"$SB/json"
	# the failure of a start shows the same bounded tail
	make_service web "exec = /bin/false"
	run --separate-stderr sv web start
	[ "$status" -eq 1 ]
	[ "${#stderr}" -lt 70000 ]
}

@test "a state file with times out of range: no overflow, no absurd date, valid JSON" {
	marked_service web
	sv -q web start
	sv -q web stop
	state="$SB/run/web.state"
	for edit in 's/^started_at=.*/started_at=9223372036854775807/' \
		's/^started_at=.*/started_at=-9223372036854775807/' \
		's/^stopped_at=.*/stopped_at=9223372036854775807/'; do
		sed -i.orig "$edit" "$state"
		run sv web status
		show
		[ "$status" -eq 3 ]
		[[ "$output" != *"292278994"* ]]
		jstatus web
		[ "$JCODE" -eq 3 ]
		pyjson 'obj["state"] == "stopped" and (obj["ran_seconds"] is None or 0 <= obj["ran_seconds"] < 1e6)' <"$SB/json"
		mv "$state.orig" "$state"
	done
}

@test "list: one aligned line per service, sorted by name, columns as wide as their content" {
	marked_service b-longer-name "description = second"
	marked_service a "description = first"
	marked_service c "description = third"
	sv -q start c a
	run sv status
	show
	[ "$status" -eq 3 ]
	[ "$(wc -l <<<"$output")" -eq 4 ]
	[ "$(awk 'NR > 1 { print $1 }' <<<"$output" | tr '\n' ' ')" = "a b-longer-name c " ]
	# every column starts where its title does
	python3 -c '
import sys
lines = sys.argv[1].split("\n")
head = lines[0]
cols = [head.index(t) for t in ("STATE", "UPTIME", "DESCRIPTION")]
pid_end = head.index("PID") + 3
assert head.startswith("NAME" + " " * (len("b-longer-name") - 4 + 2) + "STATE"), head
for row in lines[1:]:
    for c in cols:
        assert row[c - 1] == " " and row[c] != " ", (row, c)
    assert row[pid_end - 1] != " " and row[pid_end] == " ", row
' "$output"
	grep -qE "^a +running +$(pid_of a) +[0-9.]+s +first\$" <<<"$output"
	grep -qE '^b-longer-name +stopped +- +- +second$' <<<"$output"
	# several names: a detailed block each, in the order given, a blank
	# line apart; all running is 0
	run sv status c a
	show
	[ "$status" -eq 0 ]
	[ "$(grep -E '^[a-z-]+ - ' <<<"$output" | cut -d' ' -f1 | tr '\n' ' ')" = "c a " ]
	[ "$(grep -c '^$' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^ *State: running since ' <<<"$output")" -eq 2 ]
	sv -q stop a c
}

@test "colour: only on a terminal, never with NO_COLOR" {
	marked_service web
	sv -q web start
	# a pipe: no escape, NO_COLOR unset
	run env -u NO_COLOR "$SVCCTL" -c "$CONF" web status
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\033'* ]]
	run env -u NO_COLOR "$SVCCTL" -c "$CONF" status
	[[ "$output" != *$'\033'* ]]
	# a terminal (script gives one): the state word in green
	run env -u NO_COLOR script -qec "$SVCCTL -c $CONF web status" /dev/null
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *$'State: \033[32mrunning\033[0m since'* ]]
	run env -u NO_COLOR script -qec "$SVCCTL -c $CONF status" /dev/null
	[[ "$output" == *$'\033[32mrunning\033[0m'* ]]
	# NO_COLOR set: none, even on a terminal
	run env NO_COLOR=1 script -qec "$SVCCTL -c $CONF web status" /dev/null
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"State: running since"* ]]
	[[ "$output" != *$'\033'* ]]
	# an empty NO_COLOR counts as unset (no-color.org)
	run env NO_COLOR= script -qec "$SVCCTL -c $CONF web status" /dev/null
	[[ "$output" == *$'\033[32mrunning'* ]]
	sv -q web stop
}

@test "JSON of a service that cannot be loaded: an object saying unknown or invalid and why; --json with --brief is refused" {
	marked_service web
	make_service bad "exec = /bin/true" "bogus = 1"
	# no such service: an object on stdout, the message on stderr, exit 4
	run --separate-stderr sv --json status nosuch
	show
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"nosuch: no such service"* ]]
	pyjson 'obj["name"] == "nosuch" and obj["state"] == "unknown" and "no such service" in obj["error"]' <<<"$output"
	# an invalid file: "invalid", with the FILE:LINE message
	run --separate-stderr sv --json bad status
	[ "$status" -eq 4 ]
	pyjson 'obj["state"] == "invalid" and "unknown key" in obj["error"]' <<<"$output"
	# in an array the same objects, in name order
	run --separate-stderr sv --json status web nosuch bad
	show
	pyjson '[o["name"] for o in obj] == ["bad", "nosuch", "web"] and obj[0]["state"] == "invalid" and
obj[1]["state"] == "unknown" and obj[1]["error"] and obj[2]["state"] == "stopped"' <<<"$output"
	run sv --json --brief web status
	[ "$status" -eq 2 ]
	[[ "$output" == *"--json and --brief exclude each other"* ]]
}
