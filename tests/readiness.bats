#!/usr/bin/env bats
# Readiness (DESIGN 4.11): type = notify (NOTIFY_SOCKET, READY=1, STATUS=,
# MAINPID=, the sender check) and ready_fd = N, with and without a monitor.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	S=$(uniq_name rdy)
}

teardown() {
	supervise_teardown
}

# notify_service NAME [NOTIFIER-OPTION...] -- [LINE...]: a type = notify
# service whose program is progs/notifier with the options (through a script
# that execs it: an INI line has a length limit), then a marked,
# long-running exitafter
notify_service() {
	local name=$1 opts=""
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=" $(printf '%q' "$1")"
		shift
	done
	[ $# -eq 0 ] || shift
	write_script "prog-$name" <<-EOF
		exec $PROGS/notifier$opts -- $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$name" "exec = $SB/prog-$name" "type = notify" "$@"
}

# all_gone NAME: no program, no monitor, no pidfile (a stop, or fatal: the
# monitor's state file stays, saying so)
all_gone() {
	no_marked_left && monitor_count_is "$1" 0 && refute_file "$SB/run/$1.pid"
}

# nothing_left NAME: a failed start: all gone, and no state file either
nothing_left() {
	all_gone "$1" && refute_file "$SB/run/$1.state"
}

# start_bg NAME: "svcctl start NAME" in the background; its exit code goes
# to $SB/start.code, its stderr to $SB/start.err
start_bg() {
	(
		code=0
		"$SVCCTL" -c "$CONF" "$1" start >/dev/null 2>"$SB/start.err" || code=$?
		echo "$code" >"$SB/start.code"
	) 3>&- &
}

start_done() {
	[ -s "$SB/start.code" ]
}

@test "notify: start returns 0 once READY=1 arrives, and not before" {
	notify_service "$S" --delay 1 -- "start_timeout = 20"
	elapsed_ms ms sv "$S" start
	[ "$status" -eq 0 ]
	[ "$ms" -ge 1000 ]
	state_is "$S" running
	[ "$(jget pid)" = "$(pid_of "$S")" ]
	[ "$(jget notify_state)" = ready ]
	# the socket is the monitor's, in run_dir, the program's only
	[ -S "$SB/run/$S.notify" ]
	[ "$(stat -c %a "$SB/run/$S.notify")" = 600 ]
	run sv "$S" stop
	[ "$status" -eq 0 ]
	wait_for 10 all_gone "$S"
	refute_file "$SB/run/$S.notify"
}

@test "notify: a program that dies before READY=1 fails the start; nothing is left" {
	write_script prog <<-EOF
		$PROGS/exitafter 0 1000 $MARK &
		sleep 0.3
		echo "about to fail"
		exit 1
	EOF
	make_service "$S" "exec = $SB/prog" "type = notify" "start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"exited with status 1 after"* ]]
	[[ "$output" == *"about to fail"* ]]
	wait_for 10 nothing_left "$S"
}

@test "notify: silence past start_timeout fails the start; nothing is left" {
	notify_service "$S" --no-ready --status waiting -- "start_timeout = 1"
	run sv "$S" start
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ready within 1s"* ]]
	[[ "$output" == *"notifier: pid"* ]]
	wait_for 10 nothing_left "$S"
}

@test "notify: STATUS= is shown by status and --json, also one sent after READY=1" {
	notify_service "$S" --status "warming up" --after "serving 3 clients" -- \
		"start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	wait_for 10 grep -qx 'status_text=serving 3 clients' "$SB/run/$S.state"
	jstatus "$S"
	[ "$JCODE" -eq 0 ]
	[ "$(jget status_text)" = "serving 3 clients" ]
	run sv "$S" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: serving 3 clients"* ]]
	[[ "$output" == *"Notify: ready"* ]]
}

@test "notify: READY=1 from a process that is not the service's is ignored" {
	notify_service "$S" --no-ready -- "start_timeout = 4"
	start_bg "$S"
	wait_for 10 test -S "$SB/run/$S.notify"
	# the test's own process, root like the service, but no process of it
	NOTIFY_SOCKET=$SB/run/$S.notify "$PROGS/notifier" --status forged
	wait_for 20 start_done
	cat "$SB/start.err"
	[ "$(cat "$SB/start.code")" -eq 1 ]
	grep -q "not ready within 4s" "$SB/start.err"
	wait_for 10 nothing_left "$S"
}

@test "notify: MAINPID= of the program's own child is accepted; stop stops it" {
	notify_service "$S" --mainpid-child -- "start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of "$S")
	# the child runs the marked exitafter: the pidfile names it
	wait_for 10 marked_count_is 1
	[ "$(marked_pids)" = "$pid" ]
	[[ "$output" == *"(pid $pid)"* ]]
	state_is "$S" running
	[ "$(jget pid)" = "$pid" ]
	[ "$(state_value "$S" pid)" = "$pid" ]
	run sv "$S" stop
	[ "$status" -eq 0 ]
	wait_for 10 all_gone "$S"
}

@test "notify: MAINPID= of a foreign process is refused" {
	start_foreign
	notify_service "$S" --mainpid "$FOREIGN" -- "start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of "$S")
	[ "$pid" != "$FOREIGN" ]
	[ "$(marked_pids)" = "$pid" ]
	[ "$(state_value "$S" notify_ignored)" -ge 1 ]
	run sv "$S" stop
	[ "$status" -eq 0 ]
	wait_for 10 all_gone "$S"
	is_alive "$FOREIGN"
}

@test "notify: systemd-notify from a shell program works" {
	command -v systemd-notify >/dev/null # tests/install-deps check installs it
	write_script prog <<-EOF
		sleep 0.2
		systemd-notify --ready --status="listening from sh"
		exec $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "type = notify" "start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	state_is "$S" running
	[ "$(jget status_text)" = "listening from sh" ]
}

@test "notify: the socket path too long for sun_path becomes an abstract address" {
	local long
	long=$SB/$(printf 'r%.0s' $(seq 90))
	sed -i "s|^run_dir = .*|run_dir = \"$long\"|" "$CONF"
	notify_service "$S" --status abstract -- "start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	state_is "$S" running
	[ "$(jget status_text)" = abstract ]
	refute_file "$long/$S.notify"
	grep -q '^status_text=abstract$' "$long/$S.state"
	run sv "$S" stop
	[ "$status" -eq 0 ]
}

@test "ready_fd: a newline on descriptor 3 completes the start" {
	write_script prog <<-EOF
		sleep 0.5
		printf '\n' >&3
		exec $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "ready_fd = 3" "start_timeout = 20"
	elapsed_ms ms sv "$S" start
	[ "$status" -eq 0 ]
	[ "$ms" -ge 500 ]
	state_is "$S" running
	[ "$(jget supervised)" = false ]
	run sv "$S" stop
	[ "$status" -eq 0 ]
	wait_for 10 all_gone "$S"
}

@test "ready_fd: any descriptor above 3 works, and 3 stays closed" {
	write_script prog <<-EOF
		if [ -e /proc/self/fd/3 ]; then exit 3; fi
		printf 'ready\n' >&7
		exec $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "ready_fd = 7" "start_timeout = 20"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	state_is "$S" running
}

@test "ready_fd: a program that closes it without a newline fails at once" {
	write_script prog <<-EOF
		exec 3>&-
		exec $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "ready_fd = 3" "start_timeout = 30"
	elapsed_ms ms sv "$S" start
	echo "ms=$ms"
	[ "$status" -eq 1 ]
	[ "$ms" -lt 15000 ]
	run sv "$S" start
	[ "$status" -eq 1 ]
	[[ "$output" == *"closed ready_fd 3 without signalling readiness"* ]]
	wait_for 10 nothing_left "$S"
}

@test "ready_fd: a program that never writes times out; nothing is left" {
	make_service "$S" "exec = $PROGS/exitafter 0 1000 $MARK" "ready_fd = 3" \
		"start_timeout = 1"
	run sv "$S" start
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ready within 1s"* ]]
	wait_for 10 nothing_left "$S"
}

@test "ready_fd: status says starting while the start waits, running after" {
	write_script prog <<-EOF
		while [ ! -e "$SB/go" ]; do sleep 0.05; done
		printf '\n' >&3
		exec $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "ready_fd = 3" "start_timeout = 30"
	start_bg "$S"
	wait_for 10 state_is "$S" starting
	[ "$JCODE" -eq 0 ]
	refute start_done
	touch "$SB/go"
	wait_for 20 start_done
	[ "$(cat "$SB/start.code")" -eq 0 ]
	state_is "$S" running
}

@test "ready_fd under a monitor: each respawn waits for the newline" {
	write_script prog <<-EOF
		if [ -e "$SB/ran" ]; then
			while [ ! -e "$SB/go" ]; do sleep 0.05; done
		fi
		: >"$SB/ran"
		printf '\n' >&3
		exec $PROGS/exitafter 0 1000 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "ready_fd = 3" "start_timeout = 30" \
		"restart = always" "restart_delay = 0.1"
	run sv "$S" start
	[ "$status" -eq 0 ]
	first=$(pid_of "$S")
	kill -KILL "$first"
	wait_for 15 state_is "$S" starting
	touch "$SB/go"
	wait_for 15 state_is "$S" running
	[ "$(jget pid)" != "$first" ]
	[ "$(jget restarts)" -eq 1 ]
}

@test "notify under a monitor: a respawn is starting until READY=1, then running" {
	notify_service "$S" --flag "$SB/flag" 4 --status "run done" -- \
		"start_timeout = 30" "restart = always" "restart_delay = 0.1"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	first=$(pid_of "$S")
	kill -KILL "$first"
	wait_for 15 state_is "$S" starting
	[ "$JCODE" -eq 0 ]
	[ "$(jget status_text)" = null ]
	wait_for 20 state_is "$S" running
	[ "$(jget pid)" != "$first" ]
	[ "$(jget status_text)" = "run done" ]
}

@test "notify under a monitor: a respawn not ready within start_timeout is a failed run" {
	notify_service "$S" --flag "$SB/flag" 1000 -- "start_timeout = 1" \
		"restart = always" "restart_delay = 0.1" "restart_max = 2"
	run sv "$S" start
	[ "$status" -eq 0 ]
	kill -KILL "$(pid_of "$S")"
	# the respawn stays silent: killed after 1 s, then fatal (2 quick runs)
	wait_for 20 state_is "$S" fatal
	[[ "$(jget reason)" == *"not ready within 1s"* ]]
	wait_for 10 all_gone "$S"
}

@test "notify: stop while a respawn is starting stops it" {
	notify_service "$S" --flag "$SB/flag" 1000 -- "start_timeout = 60" \
		"restart = always" "restart_delay = 0.1"
	run sv "$S" start
	[ "$status" -eq 0 ]
	kill -KILL "$(pid_of "$S")"
	wait_for 15 state_is "$S" starting
	run sv "$S" stop
	[ "$status" -eq 0 ]
	wait_for 10 all_gone "$S"
}

@test "check: ready_fd 0..2, and ready_fd with type = forking or notify, are errors" {
	make_service a "exec = /bin/true" "ready_fd = 1"
	run sv check a
	[ "$status" -eq 6 ]
	[[ "$output" == *"ready_fd must be a descriptor 3..1023"* ]]
	make_service b "exec = /bin/true" "type = forking" "pidfile = $SB/b.pid" \
		"ready_fd = 3"
	run sv check b
	[ "$status" -eq 6 ]
	[[ "$output" == *"b.ini:5: ready_fd is for type = simple"* ]]
	make_service c "exec = /bin/true" "type = notify" "ready_fd = 4"
	run sv check c
	[ "$status" -eq 6 ]
	[[ "$output" == *"ready_fd is for type = simple"* ]]
	make_service d "exec = /bin/true" "type = notify" "ready_fd = 9"
	sed -i '/ready_fd/d' "$SB/services/d.ini"
	run sv check d
	[ "$status" -eq 0 ]
	make_service e "exec = /bin/true" "ready_fd = 1024"
	run sv check e
	[ "$status" -eq 6 ]
}

# respawn_fds SIGNAL-LINE KEY...: 20 runs that each signal readiness with
# SIGNAL-LINE; the monitor's descriptors after them are those after one
respawn_fds() {
	local signal=$1
	shift
	write_script prog <<-EOF
		n=\$(cat $SB/count 2>/dev/null || echo 0)
		n=\$((n + 1))
		echo \$n >$SB/count
		$signal
		[ \$n -eq 1 ] && exec $PROGS/exitafter 0 2 $MARK
		[ \$n -ge 20 ] && exec $PROGS/exitafter 0 1000 $MARK
		exec $PROGS/exitafter 0 0 $MARK
	EOF
	make_service "$S" "exec = $SB/prog" "restart = always" "restart_delay = 0" \
		"restart_max = 0" "start_timeout = 20" "$@"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	fds_stable "$S" 19 120
	run sv "$S" stop
	[ "$status" -eq 0 ]
}

@test "notify: the monitor's descriptors after 20 runs (with BARRIER=1 descriptors) are those after one" {
	command -v systemd-notify >/dev/null # tests/install-deps check installs it
	respawn_fds 'systemd-notify --ready --status="run $n"' "type = notify"
}

@test "ready_fd: the monitor's descriptors after 20 runs are those after one" {
	respawn_fds "printf '\\n' >&3" "ready_fd = 3"
}
