#!/usr/bin/env bats
# The command line: both word orders, names, options, exit 2 for misuse,
# the list and JSON forms of status, logs.

load test_helper
load extra_helper

# json_ok: every line of stdin is one valid JSON object
json_ok() {
	local line n=0
	while IFS= read -r line; do
		n=$((n + 1))
		if command -v jq >/dev/null; then
			jq -e 'type == "object"' <<<"$line" >/dev/null || return 1
		else
			python3 -c 'import json, sys; assert isinstance(json.loads(sys.argv[1]), dict)' "$line" ||
				return 1
		fi
	done
	[ "$n" -gt 0 ]
}

# json_field FIELD: the field of the one JSON object on stdin, as text
json_field() {
	if command -v jq >/dev/null; then
		jq -r ".$1"
	else
		python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
	fi
}

@test "invalid service names exit 2 in both word orders" {
	local name long
	long=a$(printf '%*s' 64 '' | tr ' ' b)
	marked_service web
	for name in ../x a/b - "" .hidden _x "a b" "x;y" "web/" "$long" "é"; do
		echo "--- '$name'"
		run --separate-stderr sv "$name" start
		echo "$status $stderr"
		[ "$status" -eq 2 ]
		[ -n "$stderr" ]
		run sv start "$name"
		[ "$status" -eq 2 ]
		run sv status "$name"
		[ "$status" -eq 2 ]
	done
	no_marked_left
	refute_file "$SB/run"
}

@test "a 64-character name is valid" {
	name=a$(printf '%*s' 63 '' | tr ' ' b)
	make_service "$name" "exec = $PROGS/exitafter 0 1000 $MARK"
	run sv "$name" check
	show
	[ "$status" -eq 0 ]
}

@test "names with . @ - _ inside are valid" {
	for name in web.1 getty@tty1 my-app my_app A9; do
		make_service "$name" "exec = $PROGS/exitafter 0 1000 $MARK"
		run sv "$name" start
		echo "$name: $status $output"
		[ "$status" -eq 0 ]
	done
	[ "$(count_marked)" -eq 5 ]
}

@test "an action word is not a service name" {
	marked_service web
	run sv start stop
	show
	[ "$status" -eq 2 ]
	run sv status start
	[ "$status" -eq 2 ]
}

@test "a name without an action, an unknown action, no words at all: exit 2" {
	marked_service web
	run --separate-stderr sv web
	show
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"svcctl: "* ]]
	run --separate-stderr sv web bogus
	show
	[ "$status" -eq 2 ]
	[[ "$stderr" == *bogus* ]]
	run sv
	[ "$status" -eq 2 ]
	run sv web start extra
	[ "$status" -eq 2 ]
	run sv start
	[ "$status" -eq 2 ]
	no_marked_left
}

@test "bad options exit 2" {
	marked_service web
	run sv --bogus web start
	[ "$status" -eq 2 ]
	run sv -n lots web logs
	[ "$status" -eq 2 ]
	run sv --all web start
	[ "$status" -eq 2 ]
	run sv reload --all
	[ "$status" -eq 2 ]
	no_marked_left
}

@test "both word orders work: NAME ACTION and ACTION NAME" {
	marked_service web
	run sv start web
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	run sv web status
	[ "$status" -eq 0 ]
	run sv status web
	[ "$status" -eq 0 ]
	[[ "$output" == *"PID: $pid"* ]]
	run sv stop web
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	run sv web start
	[ "$status" -eq 0 ]
	run sv web stop
	[ "$status" -eq 0 ]
	no_marked_left
}

@test "ACTION NAME NAME... acts on every name" {
	marked_service a
	marked_service b
	marked_service c
	run sv start a b c
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 3 ]
	run sv status a b c
	[ "$status" -eq 0 ]
	sv -q stop b
	run sv status a b c
	show
	# LSB: 3 when one of them is not running
	[ "$status" -eq 3 ]
	[ "$(count_marked)" -eq 2 ]
}

@test "start of several names exits with the failure when one fails" {
	marked_service a
	make_service b "exec = $PROGS/exitafter 1"
	run sv start a b
	show
	[ "$status" -eq 1 ]
	[ "$(count_marked)" -eq 1 ]
	is_alive "$(pid_of a)"
}

@test "--all starts, shows and stops every service" {
	marked_service a
	marked_service b
	run sv start --all
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 2 ]
	run sv status --all
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *a*running* ]]
	[[ "$output" == *b*running* ]]
	run sv restart --all
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 2 ]
	run sv stop --all
	show
	[ "$status" -eq 0 ]
	no_marked_left
	run sv status --all
	[ "$status" -eq 3 ]
}

@test "status alone: one line per service, exit 0 only when all run" {
	marked_service alpha "description = The first"
	marked_service beta "description = The second"
	sv -q start alpha beta
	run sv status
	show
	[ "$status" -eq 0 ]
	[ "$(grep -c . <<<"$output")" -eq 3 ]
	a=$(pid_of alpha)
	grep -Eq "^alpha +running +$a +[^ ].* The first\$" <<<"$output"
	grep -Eq "^beta +running +$(pid_of beta) +[^ ].* The second\$" <<<"$output"
	# Ansible reads "stop" before "run": a running service never says it
	refute grep -i stop <<<"$output"
	sv -q beta stop
	run sv status
	show
	[ "$status" -eq 3 ]
	grep -Eq "^alpha +running +$a " <<<"$output"
	grep -Eq "^beta +(stopped|not running) " <<<"$output"
}

@test "status alone counts an invalid service as not running" {
	marked_service good
	sv -q good start
	make_service bad "colour = blue"
	run sv status
	show
	[ "$status" -eq 3 ]
	grep -q '^good .*running' <<<"$output"
	grep -q '^bad ' <<<"$output"
}

@test "status NAME: the detailed block" {
	marked_service web "description = Web server"
	sv -q web start
	pid=$(pid_of web)
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "web - Web server"* ]]
	[[ "$output" == *"    State: running since "* ]]
	[[ "$output" == *"      PID: $pid (exitafter)"* ]]
	[[ "$output" == *"  Pidfile: $SB/run/web.pid (verified: "* ]]
	[[ "$output" == *"      Log: $SB/log/web.log"* ]]
	[[ "$output" == *"exitafter: going to end with 0"* ]]
	[[ "$output" == *"$MARK"* ]]
}

@test "--json: a JSON object for one service, an array for several, with name, state and pid" {
	marked_service web
	marked_service db
	sv -q web start
	pid=$(pid_of web)
	run sv --json web status
	show
	[ "$status" -eq 0 ]
	json_ok <<<"$output"
	[ "$(json_field name <<<"$output")" = web ]
	[ "$(json_field state <<<"$output")" = running ]
	[ "$(json_field pid <<<"$output")" = "$pid" ]
	# several: one array, sorted by name
	run sv --json status
	show
	[ "$status" -eq 3 ]
	python3 -c '
import json, sys
objs = json.load(sys.stdin)
assert [o["name"] for o in objs] == ["db", "web"], objs
assert objs[0]["state"] == "stopped" and objs[1]["pid"] == int(sys.argv[1]), objs' \
		"$pid" <<<"$output"
	run sv --json db status
	[ "$status" -eq 3 ]
	json_ok <<<"$output"
}

@test "--json escapes what it must" {
	marked_service web 'description = say "hi" \ back'
	run sv --json web status
	show
	[ "$status" -eq 3 ]
	json_ok <<<"$output"
	[ "$(json_field description <<<"$output")" = 'say "hi" \ back' ]
}

@test "-q silences normal output; errors still reach stderr" {
	marked_service web
	# action:expected exit code; reload sends the default HUP, which ends
	# exitafter, so the stop after it finds the program dead
	for step in start:0 status:0 restart:0 reload:0 stop:0 status:3; do
		action=${step%:*}
		run --separate-stderr sv -q web "$action"
		echo "$action: $status '$output' '$stderr'"
		[ "$status" -eq "${step#*:}" ]
		[ -z "$output" ]
	done
	run --separate-stderr sv -q status
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	make_service bad "exec = $PROGS/exitafter 1"
	run --separate-stderr sv -q bad start
	show
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"svcctl: bad: exited with status 1"* ]]
}

@test "logs -n 2 prints the last two lines of the log" {
	marked_service web
	mkdir -p "$SB/log"
	printf 'one\ntwo\nthree\nfour\n' >"$SB/log/web.log"
	run sv web logs -n 2
	show
	[ "$status" -eq 0 ]
	[ "$output" = "three
four" ]
	run sv -n 1 logs web
	[ "$status" -eq 0 ]
	[ "$output" = four ]
}

@test "logs prints the last 10 lines by default" {
	marked_service web
	mkdir -p "$SB/log"
	seq 1 25 >"$SB/log/web.log"
	run sv web logs
	show
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 16 25)" ]
}

@test "logs of a service with no log file exits 1" {
	marked_service web
	run --separate-stderr sv web logs
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"svcctl: web: "* ]]
}

@test "logs -f follows the log" {
	marked_service web
	mkdir -p "$SB/log"
	echo first >"$SB/log/web.log"
	"$SVCCTL" -c "$CONF" web logs -f -n 5 >"$SB/followed" 2>&1 </dev/null 3>&- &
	follower=$!
	track_pid "$follower"
	disown "$follower"
	wait_until grep -qx first "$SB/followed"
	echo second >>"$SB/log/web.log"
	wait_until grep -qx second "$SB/followed"
}

@test "-V and -h exit 0 and print something" {
	run sv -V
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "svcctl "[0-9]* ]]
	run "$SVCCTL" --version
	[ "$status" -eq 0 ]
	run sv -h
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *usage* ]]
	for action in start stop restart try-restart reload force-reload status check logs; do
		[[ "$output" == *"$action"* ]]
	done
	run "$SVCCTL" --help
	[ "$status" -eq 0 ]
}
