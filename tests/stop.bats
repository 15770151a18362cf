#!/usr/bin/env bats
# stop: how fast, how hard, and what goes with the program.

load test_helper
load extra_helper

# A speed property that load cannot fake: the gap between the program's own
# exit (the last line sigstamp wrote, right before it exited) and the moment
# stop returned. Load only makes a gap longer, so the smallest of several runs
# is compared with a poll interval: a stop that sleep-polls every 200 ms has
# no run below 100 ms (the program exits 50 ms after TERM, so no poll can land
# just after the exit by luck), a stop woken by the pidfd has nearly all.

# gap_us STAMPS T_RETURN: microseconds from the last stamp in STAMPS to
# T_RETURN ($EPOCHREALTIME when stop returned)
gap_us() {
	local stamp sec frac ret_sec ret_frac
	stamp=$(tail -n 1 "$1" | cut -d' ' -f2)
	sec=${stamp%.*}
	frac=${stamp#*.}
	ret_sec=${2%[.,]*}
	ret_frac=${2#*[.,]}
	echo $(((ret_sec - sec) * 1000000 + 10#$ret_frac - 10#${frac:0:6}))
}

stamp_service() {
	make_service web "exec = $PROGS/sigstamp $SB/stamps 50 $MARK"
}

@test "stop returns within a few ms of the program's exit (least gap of 10 under 100 ms)" {
	local i pid ret gap min=999999999
	stamp_service
	# the least of ten: a busy machine delays some runs, not all of them
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sv -q web start
		pid=$(pid_of web)
		: >"$SB/stamps"
		# no leak check at exit: it would add its own tens of ms
		ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 run sv -q web stop
		ret=$EPOCHREALTIME
		show
		[ "$status" -eq 0 ]
		is_dead "$pid"
		refute_file "$SB/run/web.pid"
		grep -q '^TERM ' "$SB/stamps"
		gap=$(gap_us "$SB/stamps" "$ret")
		echo "run $i: stop returned $gap us after the program's exit"
		[ "$gap" -ge 0 ]
		[ "$gap" -lt "$min" ] && min=$gap
	done
	echo "least gap $min us"
	[ "$min" -lt 100000 ]
	no_marked_left
}

@test "stop of sleep: the process is gone when stop returns" {
	make_service web "exec = sleep 1000"
	sv -q web start
	pid=$(pid_of web)
	run sv -q web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	refute_file "$SB/run/web.pid"
}

@test "stop returns within a few ms of the exit even when nobody reaps the program" {
	local i pid ret gap min=999999999
	stamp_service
	for i in 1 2 3 4 5; do
		rm -f "$SB/reaper.status"
		start_reaped_late web
		pid=$(pid_of web)
		: >"$SB/stamps"
		# no leak check at exit: it would add its own tens of ms
		ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 run sv -q web stop
		ret=$EPOCHREALTIME
		show
		[ "$status" -eq 0 ]
		# the reaper does not reap: the program is a zombie, and stop knew it was dead
		[ "$(proc_state "$pid")" = Z ]
		refute_file "$SB/run/web.pid"
		gap=$(gap_us "$SB/stamps" "$ret")
		echo "run $i: stop returned $gap us after the program's exit"
		[ "$gap" -ge 0 ]
		[ "$gap" -lt "$min" ] && min=$gap
		run sv web status
		[ "$status" -eq 3 ]
	done
	echo "least gap $min us"
	[ "$min" -lt 100000 ]
}

@test "a program that ignores TERM is killed after stop_timeout = 1; stop exits 0" {
	make_service web "exec = $PROGS/ignoreterm" "stop_timeout = 1"
	sv -q web start
	pid=$(pid_of web)
	elapsed_ms ms sv web stop >"$SB/out" 2>"$SB/err"
	echo "stop took $ms ms"
	cat "$SB/out" "$SB/err"
	[ "$status" -eq 0 ]
	# the grace period, then SIGKILL: not the 5 s svcctl.conf gives others
	[ "$ms" -ge 900 ]
	[ "$ms" -lt 5000 ]
	is_dead "$pid"
	refute_file "$SB/run/web.pid"
	grep -qx "web: stopped" "$SB/out"
	grep -q "SIGKILL" "$SB/err"
}

@test "stop_signal is the signal stop sends first" {
	make_service web "exec = $PROGS/sigstamp $SB/stamps" "stop_signal = INT" "stop_timeout = 20"
	sv -q web start
	pid=$(pid_of web)
	run sv -q web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	# INT first, and nothing else was needed (sigstamp exits on INT)
	cat "$SB/stamps"
	[ "$(cut -d' ' -f1 "$SB/stamps")" = INT ]
}

@test "stop of a program stopped by SIGSTOP still returns quickly" {
	marked_service web "stop_timeout = 30"
	sv -q web start
	pid=$(pid_of web)
	kill -STOP "$pid"
	wait_until proc_state_is "$pid" T
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	# woken by SIGCONT, not killed after stop_timeout
	[ "$ms" -lt 20000 ]
	is_dead "$pid"
}

@test "kill_mode = group (default): the program's child gets the stop signal and dies with it" {
	# the child stamps the signal it gets: SIGKILL after stop_timeout, the
	# sweep's last resort, would leave no stamp
	make_service web \
		"exec = /bin/sh -c '$PROGS/sigstamp $SB/child.stamps & echo \$! >$SB/child.pid; exec sleep 1000'" \
		"stop_timeout = 3"
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
	cat "$SB/child.stamps"
	grep -q '^TERM ' "$SB/child.stamps"
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
	[ "$ms" -lt 5000 ]
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
	run sv web status
	show
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
