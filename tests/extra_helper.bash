# Helpers shared by the behaviour tests, on top of test_helper.bash: a
# marker argument unique to the test, so the processes a test caused can be
# counted by scanning /proc/*/cmdline (never by name alone), and a foreign
# process to plant in pidfiles.
# shellcheck shell=bash
# shellcheck disable=SC2120 # the scans take a word, $MARK by default
# shellcheck disable=SC2154 # output and stderr come from bats' run

bats_require_minimum_version 1.5.0

# a word no process outside this test carries in its argv
MARK="svcctl-test-mark:$BATS_TEST_TMPDIR"

# count_marked [WORD]: live (non-zombie) processes with WORD, default $MARK,
# as one whole argument
count_marked() {
	marked_pids "$@" | wc -l
}

# PIDs of the live processes carrying WORD (default $MARK), one a line
marked_pids() {
	local want=${1:-$MARK} f pid
	# one grep over every cmdline (-z: its NUL-separated arguments, -x: one
	# of them is exactly want): a shell loop over /proc is slow under bats
	# shellcheck disable=SC2013 # /proc/N/cmdline: one word each
	for f in $(grep -lzxF -e "$want" /proc/[0-9]*/cmdline 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		is_alive "$pid" && echo "$pid"
	done
	# a process that exited while /proc was read (its cmdline gone, or
	# the last one found dead) is no failure of the listing
	return 0
}

no_marked_left() {
	[ "$(count_marked "$@")" -eq 0 ]
}

# marked_service NAME [LINE...]: a long-running, TERM-responsive service
# whose argv carries $MARK
marked_service() {
	local name=$1
	shift
	make_service "$name" "exec = $PROGS/exitafter 0 1000 $MARK" "$@"
}

# start_foreign: starts a process svcctl has nothing to do with, sets
# FOREIGN to its PID and registers it for teardown
start_foreign() {
	# shellcheck disable=SC2217 # no descriptor of bats may stay open
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	FOREIGN=$!
	track_pid "$FOREIGN"
	disown "$FOREIGN"
	wait_until is_alive "$FOREIGN"
}

# plant_pidfile NAME CONTENT: writes run/NAME.pid as someone else would
plant_pidfile() {
	mkdir -p "$SB/run"
	printf '%s' "$2" >"$SB/run/$1.pid"
}

# Predicates for wait_until, which runs its command again on every poll: an
# argument like "$(proc_state $pid)" would be computed only once.

# proc_state_is PID LETTER
proc_state_is() {
	[ "$(proc_state "$1")" = "$2" ]
}

# marked_count_is N: N live processes carry $MARK
marked_count_is() {
	[ "$(count_marked "$MARK")" -eq "$1" ]
}

# grep_count_is N GREP-ARGS...: grep -c finds N lines
grep_count_is() {
	local n=$1
	shift
	[ "$(grep -c "$@")" -eq "$n" ]
}

# teardown: what test_helper does, and then every live process that still
# carries this test's marker (one whose state file a test removed, say)
extra_teardown() {
	local pid
	sandbox_teardown
	for pid in $(marked_pids "$MARK"); do
		kill_pid "$pid"
	done
	sanitizer_check
}

teardown() {
	extra_teardown
}

# waits until the envdump/argdump output FILE is complete
wait_dump() {
	wait_until grep -qx 'done' "$1"
}

# the value of KEY=... in an envdump file
dump_value() {
	sed -n "s/^$2=//p" "$1"
}

# elapsed_ms VAR CMD...: runs CMD, stores its exit code in status and the
# milliseconds it took in VAR
elapsed_ms() {
	local var=$1 t0 t1
	shift
	t0=$(now_ms)
	status=0
	"$@" || status=$?
	t1=$(now_ms)
	printf -v "$var" '%s' $((t1 - t0))
}

# refute CMD...: fails when CMD succeeds ("! CMD" does not fail a bats test)
refute() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

# assert that FILE does not exist, saying which one when it does
refute_file() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		echo "unexpected file: $1" >&2
		return 1
	fi
}

# prints output/stderr of the last run on failure
show() {
	echo "status=$status"
	echo "output=<<$output>>"
	[ -z "${stderr+x}" ] || echo "stderr=<<$stderr>>"
}

# start_reaped_late NAME: starts NAME from under a child subreaper that never
# reaps (progs/lazyreaper), so the program, once dead, stays a zombie the way
# it does under a PID 1 that reaps late. Sets REAPER; fails unless the start
# exited 0.
start_reaped_late() {
	"$PROGS/lazyreaper" "$SB/reaper.status" "$SVCCTL" -c "$CONF" -q "$1" start \
		</dev/null >/dev/null 2>&1 3>&- &
	REAPER=$!
	track_pid "$REAPER"
	disown "$REAPER"
	wait_until test -s "$SB/reaper.status"
	[ "$(cat "$SB/reaper.status")" = 0 ]
	[ "$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$(pid_of "$1")/stat")" = "$REAPER" ]
}

# The monitor ("svcctl: supervise NAME"), for supervise*.bats. Those tests
# give their services names no other test run uses (uniq_name), so the
# monitors of a test are found by their title alone.

# uniq_name BASE: BASE made unique to this bats run and test
uniq_name() {
	echo "$1-$$-$BATS_TEST_NUMBER"
}

# the title of PID as ps shows it: its arguments joined by spaces, the
# padding NULs at the end cut off; empty when it is gone
proc_title() {
	local args t
	mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 0
	t="${args[*]}"
	while [ "${t% }" != "$t" ]; do
		t=${t% }
	done
	echo "$t"
}

# the parent PID of PID, empty when it is gone
ppid_of() {
	sed -n 's/^PPid:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null || true
}

# monitor_candidates NAME: the PIDs whose command line has the argument
# "svcctl: supervise NAME" (one grep over /proc, not a subshell per process);
# tests/valgrind/helper.bash looks in the environment instead
monitor_candidates() {
	local f pid
	# shellcheck disable=SC2013 # /proc/N/cmdline: one word each
	for f in $(grep -lzxF -e "svcctl: supervise $1" /proc/[0-9]*/cmdline 2>/dev/null); do
		pid=${f#/proc/}
		echo "${pid%/cmdline}"
	done
	return 0
}

# monitor_pids NAME: the live processes titled "svcctl: supervise NAME"
monitor_pids() {
	local pid
	for pid in $(monitor_candidates "$1"); do
		# the title is the whole command line, not one argument of it
		[ "$(proc_title "$pid")" = "svcctl: supervise $1" ] || continue
		is_alive "$pid" && echo "$pid"
	done
	return 0
}

# own_monitor PID: the monitor PID runs on a config of this test's sandbox
# (another test, elsewhere on the machine, may run a service of the same name)
own_monitor() {
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -q "^SVCCTL_CONFIG=$SB/"
}

# monitor_count_is NAME N
monitor_count_is() {
	[ "$(monitor_pids "$1" | wc -l)" -eq "$2" ]
}

# state_value NAME KEY: KEY's value in run/NAME.state, empty without one
state_value() {
	sed -n "s/^$2=//p" "$SB/run/$1.state" 2>/dev/null || true
}

# wait_for SECONDS CMD...: wait_until with a bound of its own
wait_for() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# jstatus NAME: "status NAME --json" into $SB/json, its exit code in JCODE
# shellcheck disable=SC2034 # JCODE is for the tests
jstatus() {
	JCODE=0
	"$SVCCTL" -c "$CONF" "$1" status --json >"$SB/json" 2>"$SB/json.err" || JCODE=$?
}

# jget PATH: a field of $SB/json as text (strings bare, null as "null");
# PATH is dotted, with numbers for array items: exits.0.signal
jget() {
	local part path="" parts
	if command -v jq >/dev/null; then
		IFS=. read -ra parts <<<"$1"
		for part in "${parts[@]}"; do
			if [[ "$part" =~ ^[0-9]+$ ]]; then
				path+="[$part]"
			else
				path+=".$part"
			fi
		done
		jq -r "$path" "$SB/json"
	else
		python3 - "$SB/json" "$1" <<-'PY'
			import json, sys
			v = json.load(open(sys.argv[1]))
			for k in filter(None, sys.argv[2].split(".")):
			    v = (v[int(k)] if int(k) < len(v) else None) if isinstance(v, list) else v.get(k)
			    if v is None:
			        break
			print("null" if v is None else json.dumps(v) if isinstance(v, (bool, dict, list)) else v)
		PY
	fi
}

# jlen PATH: the length of the array at PATH in $SB/json
jlen() {
	if command -v jq >/dev/null; then
		jq -r ".$1 | length" "$SB/json"
	else
		python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
			"$SB/json" "$1"
	fi
}

# state_is NAME STATE...: status --json of NAME says one of the STATEs
state_is() {
	local name=$1 s w
	shift
	jstatus "$name"
	s=$(jget state)
	for w; do
		[ "$s" = "$w" ] && return 0
	done
	return 1
}

# an ISO 8601 time with a UTC offset
iso_time_ok() {
	[[ "$1" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:?[0-9]{2}|Z)$ ]]
}

# Teardown for tests with monitors: the monitors go FIRST, or a program
# killed before its monitor would be respawned. A monitor is this test's when
# a state file of the test names it, when it is the parent of a marked
# process, or when its title names a service of the test (uniq_name).
supervise_teardown() {
	local f name pid _
	[ -n "${SB:-}" ] || return 0
	for _ in 1 2 3; do
		for f in "$SB"/services/*.ini; do
			[ -f "$f" ] || continue
			name=$(basename "$f" .ini)
			pid=$(state_value "$name" monitor_pid)
			if [ -n "$pid" ] && [ "$(proc_title "$pid")" = "svcctl: supervise $name" ]; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
			for pid in $(monitor_pids "$name"); do
				if own_monitor "$pid"; then
					kill -KILL "$pid" 2>/dev/null || true
				fi
			done
		done
		for pid in $(marked_pids "$MARK"); do
			pid=$(ppid_of "$pid")
			case "$(proc_title "$pid")" in
			"svcctl: supervise "*) kill -KILL "$pid" 2>/dev/null || true ;;
			esac
		done
		sandbox_teardown
		for pid in $(marked_pids "$MARK"); do
			kill_pid "$pid"
		done
		# a monitor killed between fork and exec leaves a child that
		# carries the marker only once it has exec'd: look again
		sleep 0.1
	done
	sanitizer_check
}

# write_script NAME: writes stdin to $SB/NAME as an executable sh script (an INI
# line has a length limit; a script has none)
write_script() {
	{
		echo '#!/bin/sh'
		cat
	} >"$SB/$1"
	chmod 0755 "$SB/$1"
}

# concurrently N ARGS...: runs N copies of "svcctl -q ARGS" at once; their
# exit codes, one a line, go to $SB/codes. The copies wait at a barrier (a
# FIFO whose last writer closes) and are let go together, so they race for
# real instead of one after the other as the shell forks them.
concurrently() {
	local n=$1 i w r code
	shift
	local pids=()
	mkfifo "$SB/go"
	exec {w}<>"$SB/go"
	exec {r}<"$SB/go"
	for i in $(seq "$n"); do
		(
			exec {w}>&-
			read -r -u "$r" _ || true
			exec {r}<&-
			exec "$SVCCTL" -c "$CONF" -q "$@"
		) 3>&- &
		pids+=($!)
	done
	exec {w}>&- {r}<&-
	rm -f "$SB/go"
	wait_codes "${pids[@]}"
}

# wait_codes PID...: waits for each of this shell's background jobs, one exit
# code a line in $SB/codes, in the order given
wait_codes() {
	local i code
	: >"$SB/codes"
	for i in "$@"; do
		code=0
		wait "$i" || code=$?
		echo "$code" >>"$SB/codes"
	done
}

# fd_list PID: what the monitor's descriptors name, one a line, sorted (the
# numbers may differ: the start's pipes held two low ones at first)
fd_list() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		readlink "$fd" | sed 's/:\[[0-9]*\]$//'
	done | sort
}

restarts_at_least() {
	local n
	n=$(state_value "$1" restarts)
	[ -n "$n" ] && [ "$n" -ge "$2" ]
}

# fds_stable NAME RUNS SECONDS: the monitor's descriptors once NAME has been
# restarted RUNS times (within SECONDS) and runs again are those it had at
# the first run: a descriptor leaked per run would show
fds_stable() {
	local mon first after
	mon=$(state_value "$1" monitor_pid)
	[ "$(proc_title "$mon")" = "svcctl: supervise $1" ]
	first=$(fd_list "$mon")
	echo "$first"
	wait_for "$3" restarts_at_least "$1" "$2"
	wait_for 20 state_is "$1" running
	after=$(fd_list "$mon")
	echo "$after"
	[ "$first" = "$after" ]
}

# fast_start_killed_before_pidfile: starts the marked service web with no
# ready window under strace, which holds svcctl's first rename (the
# pidfile's: the program renamed the state file into place itself, before
# exec) for 60 s, and SIGKILLs svcctl there. Sets prog to the program's
# PID, recorded in web.state and still running; no web.pid exists.
fast_start_killed_before_pidfile() {
	local tracer killed
	command -v strace >/dev/null || skip "needs strace to hold svcctl before its pidfile write"
	marked_service web "ready_seconds = 0"
	# no -f: svcctl only
	strace -o "$SB/strace.log" -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:delay_enter=60s:when=1 \
		"$SVCCTL" -c "$CONF" web start </dev/null >/dev/null 2>&1 3>&- &
	tracer=$!
	track_pid "$tracer"
	wait_until marked_count_is 1
	wait_until test -s "$SB/run/web.state"
	wait_until grep -q 'web.pid' "$SB/strace.log"
	killed=$(cat "/proc/$tracer/task/$tracer/children")
	[ -n "$killed" ]
	refute_file "$SB/run/web.pid"
	prog=$(marked_pids)
	grep -qx "pid=$prog" "$SB/run/web.state"
	kill -KILL "$killed"
	wait "$tracer" || true
	# recorded before it ran: it stays, and is the service
	is_alive "$prog"
}
