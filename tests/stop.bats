#!/usr/bin/env bats
# stop: how fast, how hard, and what goes with the program.

load test_helper
load extra_helper

@test "stop of a TERM-responsive program returns within 500 ms" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -lt 500 ]
	is_dead "$pid"
	no_marked_left
}

@test "stop of sleep returns within 500 ms and the process is gone when it returns" {
	make_service web "exec = sleep 1000"
	sv -q web start
	pid=$(pid_of web)
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -lt 500 ]
	is_dead "$pid"
	refute_file "$SB/run/web.pid"
}

@test "stop returns within 500 ms even when nobody reaps the program" {
	marked_service web
	start_reaped_late web
	pid=$(pid_of web)
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms, state now '$(proc_state "$pid")'"
	[ "$status" -eq 0 ]
	[ "$ms" -lt 500 ]
	# the reaper does not reap: the program is a zombie, and stop knew it was dead
	[ "$(proc_state "$pid")" = Z ]
	refute_file "$SB/run/web.pid"
	run sv web status
	[ "$status" -eq 3 ]
}

@test "a program that ignores TERM is killed after stop_timeout = 1; stop exits 0" {
	make_service web "exec = $PROGS/ignoreterm" "stop_timeout = 1"
	sv -q web start
	pid=$(pid_of web)
	elapsed_ms ms sv web stop >"$SB/out" 2>"$SB/err"
	echo "stop took $ms ms"
	cat "$SB/out" "$SB/err"
	[ "$status" -eq 0 ]
	[ "$ms" -ge 900 ]
	[ "$ms" -le 3000 ]
	is_dead "$pid"
	refute_file "$SB/run/web.pid"
	grep -qx "web: stopped" "$SB/out"
	grep -q "SIGKILL" "$SB/err"
}

@test "stop_signal is the signal stop sends first" {
	make_service web "exec = $PROGS/ignoreterm" "stop_signal = INT" "stop_timeout = 5"
	sv -q web start
	pid=$(pid_of web)
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -lt 2000 ]
	is_dead "$pid"
}

@test "stop of a program stopped by SIGSTOP still returns quickly" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	kill -STOP "$pid"
	wait_until proc_state_is "$pid" T
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -lt 2000 ]
	is_dead "$pid"
}

@test "kill_mode = group (default): the program's child dies with it" {
	make_service web "exec = $PROGS/forkchild $SB/child.pid"
	sv -q web start
	pid=$(pid_of web)
	wait_until test -s "$SB/child.pid"
	child=$(cat "$SB/child.pid")
	track_pid "$child"
	is_alive "$child"
	[ "$child" != "$pid" ]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	# stop returns when the group is gone, so no waiting here
	is_dead "$child"
}

@test "a TERM-ignoring process left in the group is killed after stop_timeout" {
	make_service web \
		"exec = /bin/sh -c '$PROGS/ignoreterm & echo \$! >$SB/child.pid; exec sleep 1000'" \
		"stop_timeout = 1"
	sv -q web start
	pid=$(pid_of web)
	wait_until test -s "$SB/child.pid"
	child=$(cat "$SB/child.pid")
	track_pid "$child"
	is_alive "$child"
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -ge 900 ]
	[ "$ms" -le 3000 ]
	is_dead "$pid"
	is_dead "$child"
}

@test "kill_mode = process: the child survives the stop" {
	make_service web "exec = $PROGS/forkchild $SB/child.pid" "kill_mode = process"
	sv -q web start
	pid=$(pid_of web)
	wait_until test -s "$SB/child.pid"
	child=$(cat "$SB/child.pid")
	track_pid "$child"
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	is_alive "$child"
}

@test "kill -9 of the program: status is not 0 at once, and start starts a new one" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	kill -KILL "$pid"
	# the kernel state, not svcctl's: dead (a zombie until PID 1 reaps it) or gone
	wait_until is_dead "$pid"
	seen=$(proc_state "$pid")
	echo "state after kill: '$seen'"
	[ "$seen" = Z ] || [ "$seen" = X ] || [ -z "$seen" ]
	run sv web status
	show
	[ "$status" -ne 0 ]
	[ "$status" -eq 1 ]
	[[ "$output" != *"State: running"* ]]
	run sv web start
	show
	[ "$status" -eq 0 ]
	new=$(pid_of web)
	[ "$new" != "$pid" ]
	is_alive "$new"
	[ "$(count_marked)" -eq 1 ]
}

@test "a program that exited by itself: status 1, stop exits 0 and cleans up" {
	make_service web "exec = $PROGS/exitafter 0 0.5 $MARK" "ready_seconds = 0.1"
	sv -q web start
	pid=$(pid_of web)
	wait_until is_dead "$pid"
	run sv web status
	show
	[ "$status" -eq 1 ]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
	run sv web status
	[ "$status" -eq 3 ]
}

@test "stop --all and stop of several names stop every service" {
	marked_service a
	marked_service b
	marked_service c
	sv -q start a b c
	[ "$(count_marked)" -eq 3 ]
	run sv stop a b
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 1 ]
	is_alive "$(pid_of c)"
	run sv stop --all
	show
	[ "$status" -eq 0 ]
	no_marked_left
}
