#!/usr/bin/env bats
# type = forking: the program is a launcher that daemonizes (progs/forker:
# fork, setsid, fork, the grandchild writes the pidfile). The launcher must
# exit 0 and the pidfile must name, within start_timeout, a live process of
# the configured program that the launcher started; it is then recorded by
# start time and handled like any other service. Any failure leaves nothing
# running. Every forker process carries $MARK, so teardown finds them all.

load test_helper
load extra_helper

# forking_service NAME FORKER-OPTIONS START-TIMEOUT [LINE...]: a forking
# service whose pidfile is $SB/pid/NAME.pid
forking_service() {
	local name=$1 opts=$2 timeout=$3
	shift 3
	mkdir -p "$SB/pid"
	# shellcheck disable=SC2086 # the options are words
	make_service "$name" "exec = $PROGS/forker $opts $SB/pid/$name.pid $MARK" \
		"type = forking" "pidfile = $SB/pid/$name.pid" "start_timeout = $timeout" "$@"
}

# field N of /proc/PID/stat, counted after the command name (3: state)
stat_field() {
	awk -v n="$2" '{ sub(/.*\) /, ""); print $(n - 2) }' "/proc/$1/stat"
}

# state_field_is NAME KEY VALUE: the state file says so
state_field_is() {
	[ "$(state_value "$1" "$2")" = "$3" ]
}

# after a failed start: nothing of it runs, no state file, no pidfile
nothing_left() {
	no_marked_left
	refute_file "$SB/run/$1.state"
	refute_file "$SB/pid/$1.pid"
}

@test "forking: start records the daemon the pidfile names, status verifies it, reload signals it, stop ends its group" {
	forking_service web "-c" 10
	run --separate-stderr sv web start
	show
	[ "$status" -eq 0 ]
	pid=$(cat "$SB/pid/web.pid")
	[[ "$output" == *"started (pid $pid)"* ]]
	# the grandchild: neither the launcher nor the session leader it forked
	[ "$(stat_field "$pid" 6)" != "$pid" ]
	[ "$(stat_field "$pid" 5)" != "$pid" ]
	# recorded with its start time, boot id, own group and session
	[ "$(state_value web pid)" = "$pid" ]
	[ "$(state_value web starttime)" = "$(proc_starttime "$pid")" ]
	[ "$(state_value web boot_id)" = "$(cat /proc/sys/kernel/random/boot_id)" ]
	[ "$(state_value web pgid)" = "$(stat_field "$pid" 5)" ]
	[ "$(state_value web sid)" = "$(stat_field "$pid" 6)" ]
	# the daemon and the child it forked into its group
	[ "$(count_marked)" -eq 2 ]

	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"running"* ]]
	[[ "$output" == *"start time and boot id match"* ]]

	run sv web start
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"already running (pid $pid)"* ]]
	[ "$(count_marked)" -eq 2 ]

	run sv web reload
	show
	[ "$status" -eq 0 ]
	wait_until grep -q "daemon got HUP" "$SB/log/web.log"
	is_alive "$pid"

	run sv web stop
	show
	[ "$status" -eq 0 ]
	wait_until marked_count_is 0
	is_dead "$pid"
	run sv web status
	[ "$status" -eq 3 ]
}

@test "forking: restart ends the old daemon and records a new one" {
	forking_service web "" 10 "reload_signal = none"
	run sv web start
	show
	[ "$status" -eq 0 ]
	old=$(cat "$SB/pid/web.pid")
	run sv web restart
	show
	[ "$status" -eq 0 ]
	new=$(cat "$SB/pid/web.pid")
	[ "$new" != "$old" ]
	is_dead "$old"
	is_alive "$new"
	[ "$(state_value web pid)" = "$new" ]
	[ "$(count_marked)" -eq 1 ]
	run sv web status
	[ "$status" -eq 0 ]
}

@test "forking: a launcher that exits 1 fails the start, and what it forked is killed" {
	forking_service web "-x 1 -c" 10
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"launcher exited with status 1"* ]]
	# the log tail, as for a simple service
	[[ "$stderr" == *"forker: launcher"*"exits with 1"* ]]
	nothing_left web
	run sv web status
	[ "$status" -eq 3 ]
}

@test "forking: a launcher that never exits within start_timeout fails the start, nothing left" {
	forking_service web "-H" 1
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"launcher did not exit within 1s"* ]]
	nothing_left web
}

@test "forking: no pidfile within start_timeout fails the start; the daemon that never wrote it is killed" {
	forking_service web "-n -c" 1
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no pidfile $SB/pid/web.pid within 1s"* ]]
	nothing_left web
}

@test "forking: a daemon that dies right after writing its pidfile fails the start, no pidfile left" {
	forking_service web "-D" 10
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not running"* || "$stderr" == *"daemon "*" exited with status 0"* ]]
	nothing_left web
}

@test "forking: a pidfile naming a foreign process fails the start, and that process is untouched" {
	start_foreign
	forking_service web "-w $FOREIGN" 1
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pid $FOREIGN in $SB/pid/web.pid is not $PROGS/forker"* ]]
	no_marked_left
	refute_file "$SB/run/web.state"
	is_alive "$FOREIGN"
	# nothing later takes it for the service
	run sv web status
	[ "$status" -ne 0 ]
	run sv web stop
	[ "$status" -eq 0 ]
	is_alive "$FOREIGN"
}

@test "forking: a pidfile naming PID 1 fails the start" {
	forking_service web "-w 1" 1
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$SB/pid/web.pid"* ]]
	no_marked_left
	refute_file "$SB/run/web.state"
	is_alive 1
}

@test "forking: a pidfile naming a copy of the program the launcher did not start fails the start" {
	local other
	"$PROGS/forker" "$SB/other.pid" "$MARK-other" </dev/null >/dev/null 2>&1 3>&-
	wait_until test -s "$SB/other.pid"
	other=$(cat "$SB/other.pid")
	track_pid "$other"
	forking_service web "-w $other" 1
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pid $other in $SB/pid/web.pid was not started by the launcher"* ]]
	no_marked_left
	refute_file "$SB/run/web.state"
	is_alive "$other"
}

@test "forking: a pidfile written late but within start_timeout: started" {
	forking_service web "-d 1500" 20
	elapsed_ms took sv web start
	echo "took ${took} ms"
	[ "$status" -eq 0 ]
	[ "$took" -ge 1400 ]
	pid=$(cat "$SB/pid/web.pid")
	[ "$(state_value web pid)" = "$pid" ]
	run sv web status
	[ "$status" -eq 0 ]
}

@test "forking: svcctl killed while it waits for the pidfile leaves nothing running" {
	forking_service web "-n -c" 60
	"$SVCCTL" -c "$CONF" web start </dev/null >/dev/null 2>&1 3>&- &
	starter=$!
	wait_until grep -q "daemon .* is up" "$SB/log/web.log"
	kill -KILL "$starter"
	wait "$starter" || true
	wait_until marked_count_is 0
	run sv web status
	show
	[ "$status" -eq 3 ]
	forking_service web "" 10
	run sv web start
	show
	[ "$status" -eq 0 ]
}

@test "forking: a pidfile in a directory the service's user owns" {
	[ "$(id -u)" -eq 0 ] || skip "user = needs root"
	sandbox_for_nobody
	# root runs svcctl here: run_dir and log_dir must be root's
	chown root:root "$SB/run" "$SB/log"
	cp "$PROGS/forker" "$SB/bin/forker"
	mkdir -m 0755 "$SB/agent"
	chown nobody:nogroup "$SB/agent"
	make_service web "exec = $SB/bin/forker $SB/agent/web.pid $MARK" "type = forking" \
		"pidfile = $SB/agent/web.pid" "start_timeout = 10" "user = nobody"
	run sv web start
	show
	[ "$status" -eq 0 ]
	pid=$(cat "$SB/agent/web.pid")
	[ "$(stat -c %U "$SB/agent/web.pid")" = nobody ]
	[ "$(sed -n 's/^pid=//p' "$SB/run/web.state")" = "$pid" ]
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"start time and boot id match"* ]]
	run sv web stop
	[ "$status" -eq 0 ]
	wait_until marked_count_is 0
}

@test "forking: a pidfile the launcher made a symbolic link is refused at once, nothing left" {
	mkdir -p "$SB/pid"
	# the paths go in the script: an exec line has a length limit
	cat >"$SB/launch.sh" <<-EOF
		ln -s /etc/hostname "$SB/pid/web.pid"
		"$PROGS/exitafter" 0 1000 "$MARK" </dev/null >/dev/null 2>&1 &
		exit 0
	EOF
	make_service web "exec = /bin/sh $SB/launch.sh $MARK" \
		"type = forking" "pidfile = $SB/pid/web.pid" "start_timeout = 60"
	elapsed_ms took sv web start
	echo "took ${took} ms"
	[ "$status" -eq 1 ]
	[ "$took" -lt 30000 ]
	no_marked_left
	refute_file "$SB/run/web.state"
	# not the start's file to remove: it names no process of the start
	[ -L "$SB/pid/web.pid" ]
}

@test "check: type = forking without pidfile = is exit 6, with FILE:LINE" {
	make_service web "exec = $PROGS/forker $SB/x.pid $MARK" "type = forking"
	run --separate-stderr sv web check
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"web.ini:3: type = forking needs pidfile ="* ]]
	run sv web start
	[ "$status" -eq 6 ]
	no_marked_left
}

@test "forking under a monitor: the daemon is the monitor's child, kill -9 brings a new one, stop ends it all" {
	forking_service web "-c" 10 "restart = always" "restart_delay = 0.1"
	run sv web start
	show
	[ "$status" -eq 0 ]
	pid=$(cat "$SB/pid/web.pid")
	mon=$(state_value web monitor_pid)
	[ -n "$mon" ] && [ "$mon" != 0 ]
	track_pid "$mon"
	[ "$(tr '\0' ' ' <"/proc/$mon/cmdline")" = "svcctl: supervise web " ]
	# re-parented to the monitor, a child subreaper
	[ "$(stat_field "$pid" 4)" = "$mon" ]
	kill -KILL "$pid"
	wait_for 20 state_field_is web restarts 1
	wait_for 20 state_field_is web run running
	new=$(state_value web pid)
	[ "$new" != "$pid" ]
	[ "$(cat "$SB/pid/web.pid")" = "$new" ]
	[ "$(stat_field "$new" 4)" = "$mon" ]
	run sv web status --json
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *'"supervised":true'* ]]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$mon"
	no_marked_left
}

@test "forking under a monitor: a launcher that fails fails the start and leaves no monitor" {
	forking_service web "-x 3" 10 "restart = always"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"launcher exited with status 3"* ]]
	nothing_left web
	# no monitor of this test left behind (monitor_pids: live ones only, a
	# zombie waiting for init's reaping is dead); another test may run a
	# monitor of the same name at the same time
	for p in $(monitor_pids web); do
		if own_monitor "$p"; then
			echo "monitor $p is left"
			false
		fi
	done
}
