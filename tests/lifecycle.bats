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

@test "stop --all also ends what each program forked, swept once for all services" {
	command -v strace >/dev/null || skip "strace is not installed"
	# each program leaves a child that takes 500 ms to exit after TERM, so
	# every group is still alive when the leaders are gone and /proc is read
	for n in a b c; do
		make_service "$n" \
			"exec = /bin/sh -c '$PROGS/sigstamp $SB/$n.stamps 500 & echo \$! >$SB/$n.child; exec sleep 1000'"
	done
	run sv -q start --all
	[ "$status" -eq 0 ]
	for n in a b c; do
		wait_until test -s "$SB/$n.child"
		track_pid "$(cat "$SB/$n.child")"
	done
	leaders="$(pid_of a) $(pid_of b) $(pid_of c)"
	# no leak check at exit: LeakSanitizer cannot run under a tracer
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 \
		run timeout 60 strace -f -qq --detach-on=execve -o "$SB/trace" -e trace=openat \
		"$SVCCTL" -c "$CONF" -q stop --all
	echo "status=$status output=$output"
	[ "$status" -eq 0 ]
	for n in a b c; do
		is_dead "$(cat "$SB/$n.child")"
		grep -q '^TERM ' "$SB/$n.stamps"
	done
	for pid in $leaders; do
		is_dead "$pid"
	done
	# the listings (opendir), not the O_PATH handles used to reach /proc/PID
	grep -F '"/proc", ' "$SB/trace" | grep -v O_PATH >"$SB/sweeps" || true
	cat "$SB/sweeps"
	# each program leads its own group, so each worker signals it with one
	# kill(-pgid) pinned by the leader's pidfd and lists no /proc; what is
	# left of the groups is swept by svcctl itself, once for all (its
	# openat comes first)
	top=$(head -1 "$SB/trace" | cut -d' ' -f1)
	grep -v "^$top " "$SB/sweeps" | cut -d' ' -f1 | sort | uniq -c >"$SB/workers"
	cat "$SB/workers"
	[ ! -s "$SB/workers" ]
	grep -q "^$top " "$SB/sweeps"
}

@test "stop --all sweeps a TERM-ignoring process left in a program's group" {
	# the program forks a child that ignores TERM, and exits on TERM itself
	cat >"$SB/prog" <<-EOF
		#!/bin/sh
		sh -c 'trap "" TERM; echo \$\$ > "$SB/stubborn"; while :; do sleep 1; done' &
		exec sleep 1000
	EOF
	chmod 0755 "$SB/prog"
	make_service a "exec = $SB/prog" "stop_timeout = 1"
	make_service b "exec = sleep 1000"
	sv -q start --all
	wait_until test -s "$SB/stubborn"
	stubborn=$(cat "$SB/stubborn")
	track_pid "$stubborn"
	start=$(now_ms)
	run sv -q stop --all
	[ "$status" -eq 0 ]
	is_dead "$stubborn"
	elapsed=$(($(now_ms) - start))
	# it had its grace period, then SIGKILL
	[ "$elapsed" -ge 900 ]
}
