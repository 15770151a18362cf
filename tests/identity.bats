#!/usr/bin/env bats
# Which PID is the service: svcctl signals only a PID it has verified.

load test_helper
load extra_helper

@test "a pidfile naming an unrelated live process: status 1, stop spares it, start starts the real one" {
	marked_service web
	start_foreign
	plant_pidfile web "$FOREIGN"$'\n'
	run sv web status
	show
	[ "$status" -eq 1 ]
	[[ "$output" != *"State: running"* ]]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_alive "$FOREIGN"
	plant_pidfile web "$FOREIGN"$'\n'
	run sv web start
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	[ "$pid" != "$FOREIGN" ]
	is_alive "$pid"
	[ "$(count_marked)" -eq 1 ]
	[ "$(marked_pids)" = "$pid" ]
	is_alive "$FOREIGN"
	run sv web stop
	[ "$status" -eq 0 ]
	is_dead "$pid"
	is_alive "$FOREIGN"
}

@test "a recycled PID (state start time differs) is stale even when the program is the same" {
	make_service web "exec = sleep 1000"
	start_foreign
	boot=$(cat /proc/sys/kernel/random/boot_id)
	plant_pidfile web "$FOREIGN"$'\n'
	printf 'pid=%s\nstarttime=1\nboot_id=%s\nmonitor_pid=0\nstarted_at=1\nrestarts=0\nlast_exit=-\nexec=%s\n' \
		"$FOREIGN" "$boot" "$(readlink -f "$(command -v sleep)")" >"$SB/run/web.state"
	run sv web status
	show
	[ "$status" -eq 1 ]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_alive "$FOREIGN"
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$(pid_of web)" != "$FOREIGN" ]
	is_alive "$FOREIGN"
}

@test "a state file from an earlier boot: the PID is not the service" {
	make_service web "exec = sleep 1000"
	start_foreign
	starttime=$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$FOREIGN/stat")
	plant_pidfile web "$FOREIGN"$'\n'
	printf 'pid=%s\nstarttime=%s\nboot_id=00000000-1111-2222-3333-444444444444\nmonitor_pid=0\nstarted_at=1\nrestarts=0\nlast_exit=-\nexec=/bin/sleep\n' \
		"$FOREIGN" "$starttime" >"$SB/run/web.state"
	run sv web status
	show
	[ "$status" -eq 1 ]
	run sv web stop
	[ "$status" -eq 0 ]
	is_alive "$FOREIGN"
}

@test "without a state file, a PID running the configured program is trusted" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	track_pid "$pid"
	rm "$SB/run/web.state"
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"verified: executable matches"* ]]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
}

@test "garbage in the pidfile: status 4, stop 1, nothing is signalled" {
	marked_service web
	start_foreign
	for content in "hello" "" "12abc" "$FOREIGN"$'\n'"junk" " $FOREIGN" "0" "99999999999" "-$FOREIGN"; do
		plant_pidfile web "$content"
		run sv web status
		echo "content='$content' status=$status output=$output"
		[ "$status" -eq 4 ]
		[[ "$output" != *"State: running"* ]]
		run sv web stop
		echo "stop: $status $output"
		[ "$status" -eq 1 ]
		is_alive "$FOREIGN"
	done
	no_marked_left
}

@test "the service's own PID with trailing junk is not a PID: status 4, stop 1, nothing signalled" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	# only the parser can reject these: the PID, its state file and its
	# executable are all the real service's
	for content in "${pid}junk" "$pid"$'\n'"junk" "${pid}x"$'\n' "$pid $pid" "${pid}.0" "$pid"$'\t'"1"; do
		plant_pidfile web "$content"
		run sv web status
		echo "content='$content' status=$status output=$output"
		[ "$status" -eq 4 ]
		[[ "$output" != *"State: running"* ]]
		run sv web stop
		echo "stop: $status $output"
		[ "$status" -eq 1 ]
		is_alive "$pid"
	done
	# the same PID, written cleanly, is the running service
	plant_pidfile web "$pid"$'\n'
	run sv web status
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 1 ]
}

@test "a FIFO at the pidfile's place: status 4, stop and start 1, nothing is signalled" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	rm "$SB/run/web.pid"
	mkfifo "$SB/run/web.pid"
	run timeout 10 "$SVCCTL" -c "$CONF" web status
	show
	[ "$status" -eq 4 ]
	run timeout 10 "$SVCCTL" -c "$CONF" web stop
	show
	[ "$status" -eq 1 ]
	is_alive "$pid"
	run timeout 10 "$SVCCTL" -c "$CONF" web start
	show
	[ "$status" -eq 1 ]
	is_alive "$pid"
	[ "$(count_marked)" -eq 1 ]
}

@test "a symlinked pidfile is not trusted: status 4, stop and start 1, nothing signalled" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	mv "$SB/run/web.pid" "$SB/real.pid"
	ln -s "$SB/real.pid" "$SB/run/web.pid"
	run sv web status
	show
	[ "$status" -eq 4 ]
	[[ "$output" != *"State: running"* ]]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	is_alive "$pid"
	run sv web start
	show
	[ "$status" -eq 1 ]
	[ "$(count_marked)" -eq 1 ]
	is_alive "$pid"
}

@test "svcctl never writes through a symlink at the pidfile's place" {
	marked_service web
	echo precious >"$SB/victim"
	mkdir -p "$SB/run"
	ln -s "$SB/victim" "$SB/run/web.pid"
	run sv web start
	show
	[ "$status" -eq 1 ]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	run sv web status
	[ "$status" -eq 4 ]
	[ "$(cat "$SB/victim")" = precious ]
	[ -L "$SB/run/web.pid" ]
	no_marked_left
}

@test "as root, a world-writable pidfile is not trusted: status 4, stop and restart 1" {
	[ "$(id -u)" -eq 0 ] || skip "needs root: the rule is about pidfiles root would trust"
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	chmod 0666 "$SB/run/web.pid"
	run sv web status
	show
	[ "$status" -eq 4 ]
	[[ "$output" != *"State: running"* ]]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	is_alive "$pid"
	run sv web restart
	show
	[ "$status" -eq 1 ]
	is_alive "$pid"
	[ "$(count_marked)" -eq 1 ]
}

@test "a state file others can write vouches for nothing: with the pidfile gone the service is not running, in the list too" {
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	rm "$SB/run/web.pid"
	run sv web status
	[ "$status" -eq 0 ]
	chmod 0664 "$SB/run/web.state"
	run sv web status
	show
	[ "$status" -eq 3 ]
	[[ "$output" != *"State: running"* ]]
	run sv status
	show
	[ "$status" -eq 3 ]
	grep -qE '^web +stopped ' <<<"$output"
	chmod 0644 "$SB/run/web.state"
	run sv status
	[ "$status" -eq 0 ]
	grep -qE "^web +running +$pid " <<<"$output"
}

@test "as root, a pidfile owned by another non-root user is not trusted: status 4, stop and start 1" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	marked_service web
	sv -q web start
	pid=$(pid_of web)
	chown nobody "$SB/run/web.pid"
	run sv web status
	show
	[ "$status" -eq 4 ]
	run sv web stop
	show
	[ "$status" -eq 1 ]
	is_alive "$pid"
	run sv web start
	show
	[ "$status" -eq 1 ]
	[ "$(count_marked)" -eq 1 ]
}

@test "status of a zombie program is 1, and start starts a new one" {
	marked_service web
	start_reaped_late web
	pid=$(pid_of web)
	kill -KILL "$pid"
	wait_until proc_state_is "$pid" Z || {
		echo "program state '$(proc_state "$pid")', reaper $REAPER state '$(proc_state "$REAPER")'"
		false
	}
	run sv web status
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *zombie* ]]
	# still a zombie: nobody reaped it while we looked
	[ "$(proc_state "$pid")" = Z ]
	run sv web start
	show
	[ "$status" -eq 0 ]
	new=$(pid_of web)
	[ "$new" != "$pid" ]
	is_alive "$new"
	[ "$(count_marked)" -eq 1 ]
}

@test "reload and try-restart never signal a PID that is not the service" {
	marked_service web
	start_foreign
	plant_pidfile web "$FOREIGN"$'\n'
	run sv web reload
	show
	[ "$status" -eq 7 ]
	run sv web force-reload
	show
	[ "$status" -eq 7 ]
	run sv web try-restart
	show
	[ "$status" -eq 0 ]
	# sleep dies of HUP or TERM: still alive means never signalled
	is_alive "$FOREIGN"
	no_marked_left
}

@test "a pidfile another tool wrote (no state) is trusted when the executable matches" {
	make_service web "exec = sleep 1000"
	start_foreign
	plant_pidfile web "$FOREIGN"$'\n'
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"verified: executable matches"* ]]
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: already running (pid $FOREIGN)" ]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$FOREIGN"
}

@test "the pidfile and state file are not writable by others, and run_dir is 0755 as root" {
	marked_service web
	# the caller's umask hides nothing: svcctl asks for the modes itself
	(
		umask 000
		sv -q web start
	)
	[ "$(stat -c %a "$SB/run/web.pid")" = 644 ]
	[ "$(stat -c %a "$SB/run/web.state")" = 644 ]
	[ "$(stat -c %a "$SB/run/web.lock")" = 644 ]
	if [ "$(id -u)" -eq 0 ]; then
		[ "$(stat -c %a "$SB/run")" = 755 ]
	fi
	# no temporary file left behind
	[ "$(ls "$SB/run" | sort | tr '\n' ' ')" = "web.lock web.pid web.state " ]
}

# the lines strace -f printed for opens and renames of one file, named by
# its path or (openat, renameat) by its name in the directory
traced() {
	grep -E "[\"/]${2##*/}\"" "$1" | grep -E 'open|rename'
}

@test "pidfile and state file are replaced by rename, never written in place" {
	command -v strace >/dev/null || skip "strace is not installed"
	marked_service web
	# no leak check at exit: LeakSanitizer cannot run under a tracer
	for action in start restart; do
		ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 \
			run timeout 60 strace -f -qq --detach-on=execve -o "$SB/trace.$action" -e trace=%file "$SVCCTL" -c "$CONF" -q web "$action"
		show
		[ "$status" -eq 0 ]
		# the files are written relative to the verified run_dir's
		# descriptor, so the trace names them by their base names
		for f in web.pid web.state; do
			traced "$SB/trace.$action" "$f" >"$SB/lines" || true
			cat "$SB/lines"
			# a reader sees the old file or the new one: the name is only
			# ever the target of a rename, and never opened for writing
			grep -Eq 'rename.*"[^"]*\.tmp[0-9]+".*["/]'"${f##*/}"'"' "$SB/lines"
			refute grep -E '["/]'"${f##*/}"'", .*(O_WRONLY|O_RDWR|O_TRUNC|O_CREAT)' "$SB/lines"
		done
	done
	[ "$(count_marked)" -eq 1 ]
}
