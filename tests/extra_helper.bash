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
	local want=${1:-$MARK} n=0 f pid arg
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		while IFS= read -r -d '' arg; do
			if [ "$arg" = "$want" ]; then
				is_alive "$pid" && n=$((n + 1))
				break
			fi
		done <"$f" 2>/dev/null
	done
	echo "$n"
}

# PIDs of the live processes carrying WORD (default $MARK), one a line
marked_pids() {
	local want=${1:-$MARK} f pid arg
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		while IFS= read -r -d '' arg; do
			if [ "$arg" = "$want" ]; then
				is_alive "$pid" && echo "$pid"
				break
			fi
		done <"$f" 2>/dev/null
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
