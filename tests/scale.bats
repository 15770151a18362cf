#!/usr/bin/env bats
# Many services at once (issue 11): start/stop --all run their jobs in a few
# workers forked once, not a process per service; each job leaves its
# worker as it found it (the lock released, no descriptor kept); run_dir's
# stale temporary names are swept once, for every name.

load test_helper
load extra_helper

# chain N: services c000 <- c001 <- ... each requiring the one before
chain() {
	local i name prev=
	for ((i = 0; i < $1; i++)); do
		printf -v name 'c%03d' "$i"
		{
			echo "[service]"
			echo "exec = $PROGS/exitafter 0 1000 $MARK"
			echo "ready_seconds = 0"
			if [ -n "$prev" ]; then
				echo "[install]"
				echo "requires = $prev"
			fi
		} >"$SB/services/$name.ini"
		prev=$name
	done
}

# the start time (ms since boot) of the program of NAME, from its state
started_ticks() {
	sed -n 's/^starttime=//p' "$SB/run/$1.state"
}

@test "start --all of 150 services in a chain keeps the order and releases every lock" {
	chain 150
	run sv -q start --all
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 150 ]
	prev=
	for ((i = 0; i < 150; i++)); do
		printf -v name 'c%03d' "$i"
		# no worker holds the lock of a service it started
		flock -n "$SB/run/$name.lock" true
		t=$(started_ticks "$name")
		[ -n "$t" ]
		if [ -n "$prev" ]; then
			[ "$t" -ge "$prev" ] || {
				echo "$name started before the one it requires"
				false
			}
		fi
		prev=$t
	done
	# a start of one right after does not wait for anything
	run timeout 10 "$SVCCTL" -c "$CONF" -q c149 start
	[ "$status" -eq 0 ]
	run sv -q stop --all
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 0 ]
	for ((i = 0; i < 150; i++)); do
		printf -v name 'c%03d' "$i"
		flock -n "$SB/run/$name.lock" true
	done
}

@test "start --all of a chain forks one worker, not a process per service" {
	command -v strace >/dev/null || skip "no strace"
	chain 40
	# the parent alone: its forks are the workers (a leak checker does
	# not run under ptrace)
	export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
	run strace -o "$SB/forks" -e trace=fork,vfork,clone,clone3 \
		"$SVCCTL" -c "$CONF" -q start --all
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 40 ]
	cat "$SB/forks"
	# each service waits for the one before: one worker serves them all
	[ "$(grep -cE '^(fork|vfork|clone|clone3)\(' "$SB/forks")" -le 2 ]
	run strace -o "$SB/forks" -e trace=fork,vfork,clone,clone3 \
		"$SVCCTL" -c "$CONF" -q stop --all
	[ "$status" -eq 0 ]
	[ "$(grep -cE '^(fork|vfork|clone|clone3)\(' "$SB/forks")" -le 2 ]
	[ "$(count_marked)" -eq 0 ]
}

@test "the programs a start --all starts hold only descriptors 0, 1 and 2" {
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		marked_service "p$i" "ready_seconds = 0"
	done
	run sv -q start --all
	echo "$output"
	[ "$status" -eq 0 ]
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		pid=$(pid_of "p$i")
		fds=$(cd "/proc/$pid/fd" && echo *)
		echo "p$i ($pid): $fds"
		[ "$fds" = "0 1 2" ]
	done
	run sv -q stop --all
	[ "$status" -eq 0 ]
}

@test "start --all sweeps the temporary names a killed svcctl left in run_dir, of any service" {
	for i in 1 2 3; do
		marked_service "w$i" "ready_seconds = 0"
	done
	mkdir -p "$SB/run"
	sh -c 'echo $$ >"$1"' sh "$BATS_TEST_TMPDIR/deadpid"
	dead=$(cat "$BATS_TEST_TMPDIR/deadpid")
	wait_until is_dead "$dead"
	# a service since removed, and one of ours
	printf 'half' >"$SB/run/gone.state.tmp$dead"
	printf '12' >"$SB/run/gone.pid.tmp$dead"
	printf 'half' >"$SB/run/w2.state.tmp$dead"
	# a live writer's own is kept
	printf 'half' >"$SB/run/w3.state.tmp$$"
	run sv -q start --all
	echo "$output"
	[ "$status" -eq 0 ]
	ls -la "$SB/run"
	[ ! -e "$SB/run/gone.state.tmp$dead" ]
	[ ! -e "$SB/run/gone.pid.tmp$dead" ]
	[ ! -e "$SB/run/w2.state.tmp$dead" ]
	[ -e "$SB/run/w3.state.tmp$$" ]
	rm -f "$SB/run/w3.state.tmp$$"
	run sv -q stop --all
	[ "$status" -eq 0 ]
}

@test "a failed hard requirement in a long chain skips its dependents with the same message" {
	chain 60
	# c030 cannot start: c031 and everything after it are not started
	make_service c030 "exec = $SB/no-such-program" "ready_seconds = 0" \
		"[install]" "requires = c029"
	run sv start --all
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"svcctl: c031: not started: dependency c030 failed"* ]]
	[[ "$output" == *"svcctl: c059: not started: dependency c058 failed"* ]]
	[ "$(count_marked)" -eq 30 ]
	for ((i = 0; i < 30; i++)); do
		printf -v name 'c%03d' "$i"
		flock -n "$SB/run/$name.lock" true
	done
	run sv -q stop --all
	[ "$(count_marked)" -eq 0 ]
}
