#!/usr/bin/env bats
# A start with no ready window (type = simple, no ready_fd, ready_seconds =
# 0): the program records itself in the state file before it execs, so a
# svcctl killed at any point leaves either a recorded, running service that
# status, stop and start find, or nothing; and it gets the same world as
# any other start.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	DUMP=$SB/env.out
}

# sigmask FIELD: the SigIgn/SigBlk line of /proc/PID/status in $DUMP
sigmask() {
	sed -n "s/^$1:\t//p" "$DUMP"
}

@test "fast start: svcctl killed after exec, before the pidfile: status finds it running, stop ends it" {
	fast_start_killed_before_pidfile
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"State: running since"* ]]
	[[ "$output" == *"PID: $prog (exitafter)"* ]]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: stopped" ]
	wait_until is_dead "$prog"
	no_marked_left
}

@test "fast start: ignored and blocked signals of the caller (HUP, INT, PIPE, TERM, 32, 33) do not reach the program" {
	make_service web "exec = $PROGS/envdump $DUMP" "ready_seconds = 0"
	(
		trap '' HUP INT
		"$PROGS/sigwrap" -r "$SVCCTL" -c "$CONF" -q web start
	)
	wait_dump "$DUMP"
	[ "$(sigmask SigIgn)" = 0000000000000000 ]
	[ "$(sigmask SigBlk)" = 0000000000000000 ]
	pid=$(pid_of web)
	grep -qx $'SigIgn:\t0000000000000000' "/proc/$pid/status"
}

@test "fast start: the program has its own group, is no session leader, and holds descriptors 0-2 only" {
	marked_service web "ready_seconds = 0"
	: >"$SB/extra"
	run sv web start 5<"$SB/extra" 9</dev/zero
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	is_alive "$pid"
	stat=$(cat "/proc/$pid/stat")
	read -r _ ppid pgrp sid _ <<<"${stat##*) }"
	[ "$pgrp" = "$pid" ]
	[ "$sid" != "$pid" ]
	[ "$ppid" != "$$" ]
	[ "$(state_value web pgid)" = "$pid" ]
	[ "$(state_value web sid)" = "$sid" ]
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$pid/fd/1")" = "$SB/log/web.log" ]
	# nothing of the start is left behind but the program: the session's
	# leader (the middle process) is gone
	is_dead "$sid"
}

@test "fast start: an exec that fails says the step, exits 5 and leaves nothing running or recorded" {
	make_service web "exec = $SB/no-such-program $MARK" "ready_seconds = 0"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"svcctl: web: exec $SB/no-such-program: No such file or directory"* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
	no_marked_left
	run sv web status
	[ "$status" -eq 3 ]
}

@test "fast start: a program that exits at once fails the start, its forked child ended too" {
	make_service web \
		"exec = /bin/sh -c '\"\$0\" 0 1000 \"\$1\" & exit 3'" \
		"    $PROGS/exitafter" "    $MARK" "ready_seconds = 0"
	run --separate-stderr sv web start
	show
	# it may outrun the check or not: either it failed and nothing of it
	# runs, or it was running when checked and stop ends its group
	if [ "$status" -eq 0 ]; then
		run sv web stop
		show
	else
		[[ "$stderr" == *"svcctl: web: exited with status 3"* ]]
		refute_file "$SB/run/web.pid"
	fi
	wait_until no_marked_left
}

@test "fast start: user = nobody runs the program as nobody, with nobody's groups" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
	make_service web "exec = sleep 1000" "user = nobody" "ready_seconds = 0"
	run setpriv --groups 4,24,27 -- "$SVCCTL" -c "$CONF" web start
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	is_alive "$pid"
	uid=$(id -u nobody)
	grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid\$" "/proc/$pid/status"
	groups=$(sed -n 's/^Groups:\s*//p' "/proc/$pid/status" | tr -s ' \t' '\n' | sed '/^$/d' |
		sort -n | paste -sd' ')
	[ "$groups" = "$(id -G nobody | tr ' ' '\n' | sort -n | paste -sd' ')" ]
	run sv web stop
	[ "$status" -eq 0 ]
	is_dead "$pid"
}
