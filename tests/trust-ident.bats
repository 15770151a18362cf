#!/usr/bin/env bats
# The state file is the authority on which process is the service; the
# process group recorded at start is the service; a start that fails leaves
# nothing running, and one whose svcctl is killed leaves nothing running or a
# recorded service.

load test_helper
load extra_helper

# wait_long CMD...: bounded poll, 20 s at most, for conditions that take
# seconds by design (a program that exits after 2 s)
wait_long() {
	local end=$((SECONDS + 20))
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.02
	done
	"$@"
}

# A sandbox whose run_dir is root's and whose pidfile directory is
# nobody's, with a copy of onsignal that both nobody and root can run.
nobody_pidfile_service() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as nobody"
	sandbox_for_nobody
	chown root:root "$SB/run" "$SB/log"
	mkdir -p "$SB/pids" "$SB/bin"
	chown nobody:nogroup "$SB/pids"
	cp "$PROGS/onsignal" "$SB/bin/onsignal"
	chmod 0755 "$SB/bin" "$SB/bin/onsignal"
	make_service web "exec = $SB/bin/onsignal $SB/pids/web.signals $MARK" \
		"user = nobody" "pidfile = $SB/pids/web.pid"
}

# start_same_program: an unrelated root process running the service's own
# executable; it records any HUP/USR1 in $SB/foreign.signals and dies of TERM
start_same_program() {
	# shellcheck disable=SC2217 # no descriptor of bats may stay open
	"$SB/bin/onsignal" "$SB/foreign.signals" "$MARK-foreign" </dev/null >/dev/null 2>&1 3>&- &
	FOREIGN=$!
	track_pid "$FOREIGN"
	disown "$FOREIGN"
	wait_until is_alive "$FOREIGN"
	[ "$(stat -c %u "/proc/$FOREIGN")" -eq 0 ]
}

@test "nobody points the pidfile at a root process running the same program: status 4, stop/start/reload exit non-zero, nothing is signalled" {
	nobody_pidfile_service
	sv -q web start
	pid=$(cat "$SB/pids/web.pid")
	is_alive "$pid"
	start_same_program
	as_nobody sh -c 'rm -f "$1" && echo "$2" >"$1"' sh "$SB/pids/web.pid" "$FOREIGN"
	[ "$(stat -c %U "$SB/pids/web.pid")" = nobody ]
	run sv web status
	show
	[ "$status" -eq 4 ]
	[[ "$output" != *"State: running"* ]]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	run sv web start
	show
	[ "$status" -eq 1 ]
	run sv web reload
	show
	[ "$status" -ne 0 ]
	run sv web restart
	show
	[ "$status" -ne 0 ]
	# not TERMed or KILLed (it would be gone), no HUP or USR1 recorded
	is_alive "$FOREIGN"
	refute_file "$SB/foreign.signals"
	# the real service runs on, alone
	is_alive "$pid"
	[ "$(marked_pids)" = "$pid" ]
}

@test "nobody deletes the pidfile: status 0, start adds no copy and restores it, stop stops the real one" {
	nobody_pidfile_service
	sv -q web start
	pid=$(cat "$SB/pids/web.pid")
	as_nobody rm -f "$SB/pids/web.pid"
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"PID: $pid "* ]]
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$(marked_pids)" = "$pid" ]
	[ "$(cat "$SB/pids/web.pid")" = "$pid" ]
	[ "$(stat -c %u "$SB/pids/web.pid")" -eq 0 ]
	as_nobody rm -f "$SB/pids/web.pid"
	run sv web stop
	show
	[ "$status" -eq 0 ]
	wait_until is_dead "$pid"
	no_marked_left
	run sv web status
	[ "$status" -eq 3 ]
}

@test "a failed start ends the program's group: 'child & exit 0' under type = simple leaves nothing, retries add nothing" {
	# a ready window far longer than the shell needs to fork and exit
	make_service web "exec = /bin/sh -c '\"\$0\" 0 777 \"\$1\" & exit 0' $PROGS/exitafter $MARK" \
		"ready_seconds = 10"
	for try in 1 2 3; do
		run sv web start
		echo "try $try"
		show
		[ "$status" -eq 1 ]
		[[ "$output" == *"exited with status 0"* ]]
		no_marked_left
		refute_file "$SB/run/web.pid"
	done
	run sv web status
	[ "$status" -eq 3 ]
}

# leftover_service: a leader that forks a marked child and dies after 2 s,
# well after its ready window; waits until it died and sets LEADER and CHILD
leftover_service() {
	make_service web "exec = /bin/sh -c '\"\$0\" 0 779 \"\$1\" & sleep 2; exit 2' $PROGS/exitafter $MARK"
	sv -q web start
	LEADER=$(pid_of web)
	wait_long is_dead "$LEADER"
	CHILD=$(marked_pids)
	[ -n "$CHILD" ]
	[ "$(marked_pids | wc -l)" -eq 1 ]
}

@test "a dead leader's live group: status dead with the count, start refuses naming them, stop ends them" {
	leftover_service
	run sv web status
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"dead"* ]]
	[[ "$output" == *"1 process of its group"* ]]
	[[ "$output" == *"$CHILD (exitafter)"* ]]
	run sv web status --brief
	show
	[ "$status" -eq 1 ]
	run sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"$CHILD (exitafter)"* ]]
	[[ "$output" == *restart* ]]
	[ "$(marked_pids)" = "$CHILD" ]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$CHILD"
	no_marked_left
	run sv web status
	[ "$status" -eq 3 ]
}

@test "a dead leader's live group: restart ends it and starts afresh" {
	leftover_service
	run sv web restart
	show
	[ "$status" -eq 0 ]
	is_dead "$CHILD"
	new=$(pid_of web)
	[ "$new" != "$LEADER" ]
	is_alive "$new"
}

@test "SIGKILL of svcctl between exec and the pidfile write: the program stays recorded, the next start adds no copy" {
	fast_start_killed_before_pidfile
	first=$prog
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: already running (pid $first)" ]
	[ "$(count_marked)" -eq 1 ]
	[ "$(marked_pids)" = "$(pid_of web)" ]
	[ "$(marked_pids)" = "$first" ]
	run sv web status
	[ "$status" -eq 0 ]
}

@test "SIGKILL of svcctl during the ready window: the program's death in it still ends its whole group" {
	# the leader forks a marked child and exits 1 once the test made $SB/go
	make_service web \
		"exec = /bin/sh -c '\"\$0\" 0 1000 \"\$1\" & until [ -e \"\$2\" ]; do sleep 0.1; done; exit 1'" \
		"    $PROGS/exitafter" "    $MARK" "    $SB/go" "ready_seconds = 30"
	# shellcheck disable=SC2217 # no descriptor of bats may stay open
	"$SVCCTL" -c "$CONF" web start </dev/null >"$SB/start.out" 2>&1 3>&- &
	svcctl=$!
	track_pid "$svcctl"
	wait_until test -s "$SB/run/web.pid" || {
		cat "$SB/start.out" "$SB/log/web.log"
		false
	}
	leader=$(pid_of web)
	wait_until marked_count_is 2
	kill -KILL "$svcctl"
	wait "$svcctl" || true
	# the leader exits inside the ready window: its child goes too
	touch "$SB/go"
	wait_long is_dead "$leader"
	wait_long marked_count_is 0
	run sv web status
	show
	[ "$status" -ne 0 ]
}

@test "after a stop, a pidfile nobody rewrites to name a root copy of the program is not trusted by executable" {
	nobody_pidfile_service
	sv -q web start
	sv -q web stop
	# the state file is only the record of the stop, naming no PID: only
	# the executable could vouch for a pidfile written since
	[ "$(state_value web run)" = stopped ]
	[ "$(state_value web pid)" = 0 ]
	start_same_program
	as_nobody sh -c 'rm -f "$1" && echo "$2" >"$1"' sh "$SB/pids/web.pid" "$FOREIGN"
	run sv web status
	show
	[ "$status" -eq 4 ]
	[[ "$output" != *"State: running"* ]]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	run sv web start
	show
	[ "$status" -eq 1 ]
	is_alive "$FOREIGN"
	refute_file "$SB/foreign.signals"
	# and no copy of the service was started beside it
	[ "$(count_marked)" -eq 0 ]
}

@test "a pidfile in root's run_dir naming another copy of the program than the state file is untrusted, never matched by executable" {
	[ "$(id -u)" -eq 0 ] || skip "the unrelated copy must be root's"
	mkdir -p "$SB/bin"
	cp "$PROGS/onsignal" "$SB/bin/onsignal"
	chmod 0755 "$SB/bin" "$SB/bin/onsignal"
	make_service web "exec = $SB/bin/onsignal $SB/web.signals $MARK"
	sv -q web start
	pid=$(pid_of web)
	start_same_program
	echo "$FOREIGN" >"$SB/run/web.pid"
	run sv web status
	show
	[ "$status" -eq 4 ]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	is_alive "$FOREIGN"
	refute_file "$SB/foreign.signals"
	is_alive "$pid"
	echo "$pid" >"$SB/run/web.pid"
	sv -q web stop
	is_dead "$pid"
}
