#!/usr/bin/env bats
# Transitions are serialised by NAME.lock: concurrent calls never leave two
# instances, and every call gets a truthful exit code.

load test_helper
load extra_helper

@test "20 concurrent starts: every one exits 0 and exactly one instance runs" {
	marked_service web
	concurrently 20 web start
	cat "$SB/codes"
	[ "$(wc -l <"$SB/codes")" -eq 20 ]
	[ "$(sort -u "$SB/codes")" = 0 ]
	pid=$(pid_of web)
	is_alive "$pid"
	[ "$(count_marked)" -eq 1 ]
	[ "$(marked_pids)" = "$pid" ]
	run sv web status
	[ "$status" -eq 0 ]
}

@test "20 concurrent starts with ready_seconds = 0: still one instance" {
	marked_service web "ready_seconds = 0"
	concurrently 20 start web
	cat "$SB/codes"
	[ "$(sort -u "$SB/codes")" = 0 ]
	[ "$(count_marked)" -eq 1 ]
	[ "$(marked_pids)" = "$(pid_of web)" ]
}

@test "20 concurrent starts after the program was killed: one new instance" {
	marked_service web
	sv -q web start
	old=$(pid_of web)
	kill -KILL "$old"
	wait_until is_dead "$old"
	concurrently 20 web start
	cat "$SB/codes"
	[ "$(sort -u "$SB/codes")" = 0 ]
	[ "$(count_marked)" -eq 1 ]
	new=$(pid_of web)
	[ "$new" != "$old" ]
	[ "$(marked_pids)" = "$new" ]
}

@test "10 concurrent stops: all exit 0, exactly one stopped the program" {
	local i pids=()
	# the program takes 300 ms to exit after TERM: a stop that does not
	# wait for the lock would find it still running and stop it too
	make_service web "exec = $PROGS/sigstamp $SB/stamps 300 $MARK"
	sv -q web start
	pid=$(pid_of web)
	for i in $(seq 10); do
		sv web stop >"$SB/out.$i" 2>&1 3>&- &
		pids+=($!)
	done
	wait_codes "${pids[@]}"
	cat "$SB/codes" "$SB"/out.*
	[ "$(sort -u "$SB/codes")" = 0 ]
	is_dead "$pid"
	no_marked_left
	refute_file "$SB/run/web.pid"
	# serialised by the lock: one "stopped", nine "not running"
	[ "$(cat "$SB"/out.* | grep -cx 'web: stopped')" -eq 1 ]
	[ "$(cat "$SB"/out.* | grep -cx 'web: not running')" -eq 9 ]
	[ "$(grep -c '^TERM ' "$SB/stamps")" -eq 1 ]
}

@test "10 concurrent restarts leave exactly one instance" {
	marked_service web "ready_seconds = 0.1"
	sv -q web start
	concurrently 10 web restart
	cat "$SB/codes"
	[ "$(sort -u "$SB/codes")" = 0 ]
	wait_until marked_count_is 1
	[ "$(marked_pids)" = "$(pid_of web)" ]
}

@test "starts and stops racing end in a consistent state" {
	marked_service web "ready_seconds = 0.1"
	pids=()
	for i in $(seq 6); do
		sv -q web start 3>&- &
		pids+=($!)
		sv -q web stop 3>&- &
		pids+=($!)
	done
	bad=0
	for p in "${pids[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ]
	n=$(count_marked)
	run sv web status
	show
	if [ -e "$SB/run/web.pid" ]; then
		[ "$n" -eq 1 ]
		[ "$status" -eq 0 ]
		[ "$(marked_pids)" = "$(pid_of web)" ]
	else
		[ "$n" -eq 0 ]
		[ "$status" -eq 3 ]
	fi
}

@test "status during a start does not wait for the lock" {
	# the start holds the lock for its 5 s ready window; a status that
	# waited for the lock could not return before the start did
	marked_service web "ready_seconds = 5"
	sv -q web start 3>&- &
	starter=$!
	wait_until test -e "$SB/run/web.pid"
	run sv -q web status
	echo "status exited $status"
	kill -0 "$starter"
	[ "$status" -eq 0 ]
	wait "$starter"
}

@test "different services start in parallel, not one after the other" {
	for s in a b c d e f; do
		marked_service "$s" "ready_seconds = 1"
	done
	elapsed_ms ms sv -q start a b c d e f
	echo "start of six took $ms ms"
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 6 ]
	# one after the other would take at least 6 s
	[ "$ms" -lt 5500 ]
}
