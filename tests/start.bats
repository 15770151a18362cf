#!/usr/bin/env bats
# start, restart, try-restart, reload, force-reload; how a start fails.

load test_helper
load extra_helper

# --- the lifecycle -----------------------------------------------------------

@test "start, status, stop, status: 0, 0, 0, 3, and the files come and go" {
	marked_service web
	run sv web start
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	[[ "$output" == "web: started (pid $pid)" ]]
	is_alive "$pid"
	[ -f "$SB/run/web.state" ]
	grep -qx "pid=$pid" "$SB/run/web.state"
	[ "$(count_marked)" -eq 1 ]
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"State: running since"* ]]
	[[ "$output" == *"PID: $pid (exitafter)"* ]]
	[[ "$output" != *stop* ]]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: stopped" ]
	is_dead "$pid"
	no_marked_left
	refute_file "$SB/run/web.pid"
	# the state file stays as the record of the stop, naming no process
	grep -qx "run=stopped" "$SB/run/web.state"
	grep -qx "pid=0" "$SB/run/web.state"
	run sv web status
	show
	[ "$status" -eq 3 ]
	[[ "$output" == *"State: stopped since"* ]]
	run sv web stop
	[ "$status" -eq 0 ]
	[ "$output" = "web: not running" ]
}

@test "a second start exits 0, says already running and keeps the PID" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: already running (pid $pid)" ]
	[ "$(pid_of web)" = "$pid" ]
	is_alive "$pid"
	[ "$(count_marked)" -eq 1 ]
}

@test "start waits ready_seconds before it reports success" {
	marked_service web "ready_seconds = 0.6"
	elapsed_ms ms sv -q web start
	echo "start took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -ge 600 ]
	[ "$ms" -lt 5000 ]
}

@test "with ready_seconds = 0 a program that lives is started at once" {
	# the global default is 5 s: a start that did not honour the service's 0
	# would take that long, a loaded machine never does
	echo "ready_seconds = 5" >>"$CONF"
	marked_service web "ready_seconds = 0"
	elapsed_ms ms sv -q web start
	echo "start took $ms ms"
	[ "$status" -eq 0 ]
	[ "$ms" -lt 4000 ]
	is_alive "$(pid_of web)"
	[ "$(count_marked)" -eq 1 ]
}

@test "restart gives a new PID and the old process is gone" {
	marked_service web
	sv -q web start
	old=$(pid_of web)
	run sv web restart
	show
	[ "$status" -eq 0 ]
	new=$(pid_of web)
	[ "$new" != "$old" ]
	is_dead "$old"
	is_alive "$new"
	[ "$(count_marked)" -eq 1 ]
	[[ "$output" == *"web: stopped"* ]]
	[[ "$output" == *"web: started (pid $new)"* ]]
}

@test "restart of a stopped service starts it" {
	marked_service web
	run sv web restart
	show
	[ "$status" -eq 0 ]
	is_alive "$(pid_of web)"
	[ "$(count_marked)" -eq 1 ]
}

@test "try-restart and condrestart of a stopped service exit 0 and start nothing" {
	marked_service web
	for action in try-restart condrestart; do
		run sv web "$action"
		show
		[ "$status" -eq 0 ]
		refute_file "$SB/run/web.pid"
		no_marked_left
		run sv web status
		[ "$status" -eq 3 ]
	done
}

@test "try-restart of a running service restarts it" {
	marked_service web
	sv -q web start
	old=$(pid_of web)
	run sv web try-restart
	show
	[ "$status" -eq 0 ]
	new=$(pid_of web)
	[ "$new" != "$old" ]
	is_dead "$old"
	is_alive "$new"
	[ "$(count_marked)" -eq 1 ]
}

@test "reload sends HUP to the program and exits 0, keeping the PID" {
	make_service web "exec = $PROGS/onsignal $SB/signals"
	sv -q web start
	pid=$(pid_of web)
	run sv web reload
	show
	[ "$status" -eq 0 ]
	wait_until grep -qx HUP "$SB/signals"
	[ "$(pid_of web)" = "$pid" ]
	is_alive "$pid"
	run sv web reload
	[ "$status" -eq 0 ]
	wait_until grep_count_is 2 -x HUP "$SB/signals"
}

@test "reload_signal = USR1 is the signal reload sends" {
	make_service web "exec = $PROGS/onsignal $SB/signals" "reload_signal = USR1"
	sv -q web start
	run sv web reload
	show
	[ "$status" -eq 0 ]
	wait_until grep -qx USR1 "$SB/signals"
	refute grep -qx HUP "$SB/signals"
}

@test "reload of a stopped service exits 7" {
	make_service web "exec = $PROGS/onsignal $SB/signals"
	run sv web reload
	show
	[ "$status" -eq 7 ]
	refute_file "$SB/run/web.pid"
}

@test "reload with reload_signal = none exits 3 and sends nothing" {
	make_service web "exec = $PROGS/onsignal $SB/signals" "reload_signal = none"
	sv -q web start
	pid=$(pid_of web)
	run sv web reload
	show
	[ "$status" -eq 3 ]
	is_alive "$pid"
	refute_file "$SB/signals"
}

@test "force-reload reloads when a reload signal is configured" {
	make_service web "exec = $PROGS/onsignal $SB/signals"
	sv -q web start
	pid=$(pid_of web)
	run sv web force-reload
	show
	[ "$status" -eq 0 ]
	wait_until grep -qx HUP "$SB/signals"
	[ "$(pid_of web)" = "$pid" ]
	is_alive "$pid"
}

@test "force-reload restarts when reload_signal = none" {
	marked_service web "reload_signal = none"
	sv -q web start
	old=$(pid_of web)
	run sv web force-reload
	show
	[ "$status" -eq 0 ]
	new=$(pid_of web)
	[ "$new" != "$old" ]
	is_dead "$old"
	is_alive "$new"
	[ "$(count_marked)" -eq 1 ]
}

@test "force-reload of a stopped service with a reload signal exits 7" {
	make_service web "exec = $PROGS/onsignal $SB/signals"
	run sv web force-reload
	show
	[ "$status" -eq 7 ]
	refute_file "$SB/run/web.pid"
}

# --- a start that fails ------------------------------------------------------

@test "a missing program by absolute path exits 5 and leaves no pidfile or state" {
	make_service web "exec = /nonexistent/program --flag"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"svcctl: web: exec /nonexistent/program: No such file or directory"* ]]
	[ -z "$output" ]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
	run sv web status
	[ "$status" -eq 3 ]
}

@test "a bare program name not in PATH exits 5, even when the caller's PATH has it" {
	mkdir -p "$SB/bin"
	cp "$PROGS/exitafter" "$SB/bin/svcctl-test-no-such-prog"
	make_service web "exec = svcctl-test-no-such-prog 0 1000 $MARK"
	PATH="$SB/bin:$PATH" run --separate-stderr sv web start
	show
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"svcctl: web: exec svcctl-test-no-such-prog: No such file or directory"* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
	no_marked_left
}

@test "a bare program name is found in the standard PATH" {
	make_service web "exec = sleep 1000"
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$(readlink "/proc/$(pid_of web)/exe")" = "$(readlink -f "$(command -v sleep)")" ]
}

@test "a program that is not executable or is a directory exits 5" {
	: >"$SB/notexec"
	chmod 0644 "$SB/notexec"
	make_service a "exec = $SB/notexec"
	make_service b "exec = $SB"
	for name in a b; do
		run --separate-stderr sv "$name" start
		show
		[ "$status" -eq 5 ]
		[[ "$stderr" == *"svcctl: $name: exec "* ]]
		refute_file "$SB/run/$name.pid"
	done
}

@test "a program that exits 1 at once: exit 1, the status, its log lines, no pidfile" {
	make_service web "exec = $PROGS/exitafter 1"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"svcctl: web: exited with status 1 after "* ]]
	[[ "$stderr" == *"last lines of its log:"* ]]
	[[ "$stderr" == *"    exitafter: going to end with 1"* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
	run sv web status
	[ "$status" -eq 3 ]
}

@test "a program that exits 0 within ready_seconds is a failed start too" {
	make_service web "exec = $PROGS/exitafter 0"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"exited with status 0"* ]]
	refute_file "$SB/run/web.pid"
}

@test "a program killed by a signal: the message says killed by SIGSEGV" {
	make_service web "exec = $PROGS/exitafter -11"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"svcctl: web: killed by SIGSEGV"* ]]
	[[ "$stderr" == *"    exitafter: going to end with -11"* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
}

@test "a program that dies after 0.1 s with ready_seconds = 0.5 fails the start" {
	make_service web "exec = $PROGS/exitafter 3 0.1" "ready_seconds = 0.5"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"svcctl: web: exited with status 3 after 0."* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$SB/run/web.state"
}

@test "the failure shows the last lines of the log, not the whole log" {
	for i in $(seq 1 30); do echo "old line $i"; done >"$SB/prefill"
	mkdir -p "$SB/log"
	cp "$SB/prefill" "$SB/log/web.log"
	make_service web "exec = $PROGS/exitafter 2"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"    exitafter: going to end with 2"* ]]
	[[ "$stderr" != *"old line 1"$'\n'* ]]
	[ "$(grep -c '^    ' <<<"$stderr")" -le 10 ]
}

@test "the output goes to log_dir/NAME.log, created 0640 and appended to" {
	marked_service web
	sv -q web start
	wait_until grep -q "going to end with 0" "$SB/log/web.log"
	[ "$(stat -c %a "$SB/log/web.log")" = 640 ]
	sv -q web stop
	sed -i '1i earlier line' "$SB/log/web.log"
	sv -q web start
	wait_until grep_count_is 2 "going to end with 0" "$SB/log/web.log"
	[ "$(head -n 1 "$SB/log/web.log")" = "earlier line" ]
}

@test "stdout = null and a stdout path are honoured" {
	make_service a "exec = $PROGS/exitafter 0 1000 $MARK" "stdout = null"
	make_service b "exec = $PROGS/exitafter 0 1000 $MARK" "stdout = $SB/b.out"
	sv -q a start
	sv -q b start
	wait_until grep -q "going to end with 0" "$SB/b.out"
	[ "$(readlink "/proc/$(pid_of a)/fd/1")" = /dev/null ]
	refute_file "$SB/log/a.log"
	refute_file "$SB/log/b.log"
}

@test "after a failed start, a good start works" {
	make_service web "exec = $PROGS/exitafter 1"
	run sv web start
	[ "$status" -eq 1 ]
	marked_service web
	run sv web start
	show
	[ "$status" -eq 0 ]
	is_alive "$(pid_of web)"
}

# --- an unusable run_dir or log_dir ------------------------------------------

@test "a run_dir that cannot be created: one clear message, exit 1, nothing running" {
	: >"$SB/afile"
	sed -i "s|^run_dir = .*|run_dir = \"$SB/afile/run\"|" "$CONF"
	marked_service web
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
	[[ "$stderr" == "svcctl: web: "*"$SB/afile/run"*"Not a directory"* ]]
	no_marked_left
}

@test "a log_dir that cannot be created: one clear message, exit 1, nothing running" {
	: >"$SB/afile"
	sed -i "s|^log_dir = .*|log_dir = \"$SB/afile/log\"|" "$CONF"
	marked_service web
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
	[[ "$stderr" == "svcctl: web: "*"$SB/afile/log"* ]]
	no_marked_left
	refute_file "$SB/run/web.pid"
}

@test "a state file that cannot be written: the program is killed, no pidfile is left" {
	mkdir -p "$SB/run/web.state"
	marked_service web
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
	# the message names the file that could not be written
	[[ "$stderr" == "svcctl: web: "*"$SB/run/web.state"* ]]
	wait_until no_marked_left
	refute_file "$SB/run/web.pid"
	# the directory is left where it was, and no temporary name is left
	[ -d "$SB/run/web.state" ]
	[ -z "$(find "$SB/run" -name '*.tmp*')" ]
}

@test "a symlink at the log file's place is not followed" {
	mkdir -p "$SB/log"
	echo precious >"$SB/victim"
	ln -s "$SB/victim" "$SB/log/web.log"
	marked_service web
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == "svcctl: web: "*"$SB/log/web.log"* ]]
	[ "$(cat "$SB/victim")" = precious ]
	no_marked_left
	refute_file "$SB/run/web.pid"
}

@test "a directory that does not exist fails the start with a chdir message" {
	marked_service web "directory = $SB/nowhere"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"svcctl: web: chdir $SB/nowhere: No such file or directory"* ]]
	no_marked_left
	refute_file "$SB/run/web.pid"
}
