#!/usr/bin/env bats
# start / status / stop through the real binary.

load test_helper

@test "start, status, stop, status exit 0, 0, 0, 3" {
	make_service web "exec = sleep 1000"
	run sv web start
	[ "$status" -eq 0 ]
	run sv web status
	[ "$status" -eq 0 ]
	[[ "$output" == *"State: running"* ]]
	run sv web stop
	[ "$status" -eq 0 ]
	run sv web status
	[ "$status" -eq 3 ]
	[ ! -e "$SB/run/web.pid" ]
}

@test "the pidfile is the PID and a newline, and start-stop-daemon agrees" {
	make_service web "exec = sleep 1000"
	sv -q web start
	pid=$(pid_of web)
	[ "$(cat "$SB/run/web.pid")" = "$pid" ]
	[ "$(od -An -c "$SB/run/web.pid" | tr -d ' ')" = "$(printf '%s\\n' "$pid" | sed 's/./&/g')" ]
	is_alive "$pid"
	run start-stop-daemon --status --pidfile "$SB/run/web.pid"
	[ "$status" -eq 0 ]
	sv -q web stop
	run start-stop-daemon --status --pidfile "$SB/run/web.pid"
	[ "$status" -eq 3 ]
}
