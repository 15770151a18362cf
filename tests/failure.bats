#!/usr/bin/env bats
# Bad environments: a full disk, an unwritable log. One clear message, the
# right exit code, nothing half-written, nothing left running.

load test_helper

# a marker argument that lets the test find its own processes in /proc;
# the pattern is written so that grep's own command line does not match
marked_running() {
	grep -lsa -e "${1/-/[-]}" /proc/[0-9]*/cmdline 2>/dev/null | wc -l
}

@test "full disk: start fails with ENOSPC, no pidfile, nothing running" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a small tmpfs needs root"
	marker="full-disk-$$-$RANDOM"
	make_service web "exec = sleep 1000 $marker"
	mkdir -p "$SB/run"
	# run_dir is a 16 KiB tmpfs, filled up, inside a private mount namespace;
	# what is left in it can only be seen from inside, so it is listed there
	run unshare -m sh -c "
		mount -t tmpfs -o size=16k,mode=0755 tmpfs '$SB/run' &&
		touch '$SB/run/web.lock' &&
		dd if=/dev/zero of='$SB/run/filler' bs=4k count=100 2>/dev/null;
		'$SVCCTL' -c '$CONF' web start; rc=\$?
		echo \"left: \$(ls -A '$SB/run' | sort | tr '\\n' ' ')\"
		exit \$rc"
	echo "status=$status output=$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[ "$(marked_running "$marker")" -eq 0 ]
	# the lock and the filler, and no pidfile, state or temporary file
	grep -qx 'left: filler web.lock ' <<<"$output"
}

@test "a log file that cannot be opened: start fails before anything runs" {
	marker="nolog-$$-$RANDOM"
	make_service web "exec = sleep 1000 $marker" "stdout = $SB/missing/dir/web.log"
	run sv web start
	[ "$status" -eq 1 ]
	[[ "$output" == *"$SB/missing/dir/web.log: No such file or directory"* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(marked_running "$marker")" -eq 0 ]
	[ ! -e "$SB/run/web.pid" ]
}

@test "a directory that does not exist: start says chdir and the path" {
	make_service web "exec = sleep 1000" "directory = /nonexistent/dir"
	run sv web start
	[ "$status" -eq 1 ]
	[[ "$output" == *"chdir /nonexistent/dir: No such file or directory"* ]]
	[ ! -e "$SB/run/web.pid" ]
}

@test "a read-only log_dir: start exits 4 with one message, supervised or not, and nothing runs" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a read-only tmpfs needs root"
	marker="rolog-$$-$RANDOM"
	make_service plain "exec = sleep 1000 $marker"
	make_service kept "exec = sleep 1000 $marker" "restart = always"
	make_service rotated "exec = sleep 1000 $marker" "log_max_bytes = 4K"
	mkdir -p "$SB/log"
	run unshare -m sh -c "
		mount -t tmpfs -o size=16k,mode=0755,ro tmpfs '$SB/log' || exit 99
		for s in plain kept rotated; do
			'$SVCCTL' -c '$CONF' \$s start; echo \"\$s exit \$?\"
		done 2>&1"
	echo "status=$status output=$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	for s in plain kept rotated; do
		grep -qx "svcctl: $s: log $SB/log/$s.log: Read-only file system" <<<"$output"
		grep -qx "$s exit 4" <<<"$output"
		[ ! -e "$SB/run/$s.pid" ]
		[ ! -e "$SB/run/$s.state" ]
	done
	[ "$(marked_running "$marker")" -eq 0 ]
}

@test "a full run_dir under a supervised service: a run that cannot be recorded is tried again after a second, not at once" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a small tmpfs needs root"
	marker="fullmon-$$-$RANDOM"
	make_service fullmon "exec = $PROGS/exitafter 1 0.2 $marker" "restart = always" \
		"restart_delay = 0" "restart_max = 0" "ready_seconds = 0.1"
	mkdir -p "$SB/run"
	# two seconds of a full run_dir; restarted at once, each failed
	# attempt a fork, the monitor made thousands
	run unshare -m sh -c "
		mount -t tmpfs -o size=16k,mode=0755 tmpfs '$SB/run' || exit 99
		'$SVCCTL' -c '$CONF' fullmon start || exit 98
		dd if=/dev/zero of='$SB/run/filler' bs=4k count=100 2>/dev/null
		sleep 2
		rm -f '$SB/run/filler'
		before=\$(sed -n 's/^restarts=//p' '$SB/run/fullmon.state')
		i=0
		while [ \$i -lt 200 ]; do
			now=\$(sed -n 's/^restarts=//p' '$SB/run/fullmon.state')
			[ \"\$now\" != \"\$before\" ] && grep -qx run=running '$SB/run/fullmon.state' && break
			sleep 0.05
			i=\$((i + 1))
		done
		echo \"restarts \$now\"
		'$SVCCTL' -c '$CONF' -q fullmon stop"
	echo "status=$status output=$output"
	[ "$status" -eq 0 ]
	restarts=$(sed -n 's/^restarts //p' <<<"$output")
	[ "$restarts" -gt 0 ]
	[ "$restarts" -lt 100 ]
	[ "$(marked_running "$marker")" -eq 0 ]
}
