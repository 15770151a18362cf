#!/usr/bin/env bats
# logs NAME [-n N] [-f] (DESIGN 2): the tail of the log, and a follow in C
# across appends, rotation (renamed and created anew, by logrotate or by the
# monitor at log_max_bytes), replacement (removed and recreated, or renamed
# over) and truncation (copytruncate); it ends with success on SIGINT,
# SIGTERM and when its reader goes away.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	S=web
	LOG=$SB/log/web.log
	mkdir -p "$SB/log"
	FOLLOWER=
}

teardown() {
	if [ -n "$FOLLOWER" ]; then
		kill -KILL "$FOLLOWER" 2>/dev/null || true
	fi
	supervise_teardown
}

# follow ARGS...: svcctl logs -f in the background, its output in $SB/out,
# its PID in FOLLOWER (killed in teardown)
follow() {
	"$SVCCTL" -c "$CONF" "$@" </dev/null >"$SB/out" 2>"$SB/err" 3>&- &
	FOLLOWER=$!
	track_pid "$FOLLOWER"
}

# has LINE: the follower printed LINE
has() {
	grep -qxF "$1" "$SB/out"
}

# lines_are TEXT: the follower printed exactly TEXT so far
lines_are() {
	[ "$(cat "$SB/out")" = "$1" ]
}

# ended_with CODE: the follower exited with CODE
ended_with() {
	local rc=0
	wait "$FOLLOWER" || rc=$?
	FOLLOWER=
	echo "follower exited $rc"
	[ "$rc" -eq "$1" ]
}

@test "logs -n N prints the last N lines; -n 0 prints nothing" {
	marked_service web
	seq 1 20 >"$LOG"
	run sv web logs -n 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 18 20)" ]
	run sv web logs -n 0
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sv web logs -n 100
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 1 20)" ]
}

@test "logs -f prints the last lines, then each appended line once" {
	marked_service web
	seq 1 5 >"$LOG"
	follow web logs -f -n 2
	wait_for 20 lines_are "$(seq 4 5)"
	for i in 6 7 8; do
		echo "$i" >>"$LOG"
		wait_for 20 has "$i"
	done
	lines_are "$(seq 4 8)"
}

@test "logs -f -n 0 prints nothing old, then follows" {
	marked_service web
	seq 1 5 >"$LOG"
	follow web logs -n 0 -f
	# the follower has the file open once it watches it
	wait_for 20 fd_to_log
	echo new >>"$LOG"
	wait_for 20 has new
	lines_are new
}

# the follower holds the log open
fd_to_log() {
	local fd
	for fd in /proc/"$FOLLOWER"/fd/*; do
		[ "$(readlink "$fd")" = "$LOG" ] && return 0
	done
	return 1
}

@test "logs -f prints only whole lines; an unfinished one after it stood a second" {
	marked_service web
	: >"$LOG"
	follow web logs -f
	wait_for 20 fd_to_log
	printf 'whole\npart' >>"$LOG"
	wait_for 20 has whole
	# the unfinished line shows up on its own, once it has stood a while
	wait_for 20 has part
	lines_are "$(printf 'whole\npart')"
}

@test "logs -f across logrotate's rename and create: the old file finished first" {
	marked_service web
	echo one >"$LOG"
	follow web logs -f
	wait_for 20 has one
	# the writer keeps its descriptor: lines land in the renamed file
	exec 4>>"$LOG"
	echo two >&4
	mv "$LOG" "$LOG.1"
	echo three >&4
	exec 4>&-
	echo four >"$LOG"
	wait_for 20 has four
	echo five >>"$LOG"
	wait_for 20 has five
	lines_are "$(printf 'one\ntwo\nthree\nfour\nfive')"
}

@test "logs -f across removal and re-creation" {
	marked_service web
	echo one >"$LOG"
	follow web logs -f
	wait_for 20 has one
	rm "$LOG"
	echo two >"$LOG"
	wait_for 20 has two
	echo three >>"$LOG"
	wait_for 20 has three
	lines_are "$(printf 'one\ntwo\nthree')"
}

@test "logs -f across a new file renamed over the log" {
	marked_service web
	echo one >"$LOG"
	follow web logs -f
	wait_for 20 has one
	printf 'two\nthree\n' >"$LOG.new"
	mv "$LOG.new" "$LOG"
	wait_for 20 has three
	echo four >>"$LOG"
	wait_for 20 has four
	lines_are "$(printf 'one\ntwo\nthree\nfour')"
}

@test "logs -f across copytruncate: after the truncation it reads from the start" {
	marked_service web
	printf 'one\ntwo\nthree\n' >"$LOG"
	follow web logs -f
	wait_for 20 has three
	cp "$LOG" "$LOG.1"
	: >"$LOG"
	# shorter than what was read: a truncation, not an append
	echo x >>"$LOG"
	wait_for 20 has x
	echo four >>"$LOG"
	wait_for 20 has four
	lines_are "$(printf 'one\ntwo\nthree\nx\nfour')"
}

@test "logs -f across the monitor's rotation: every line seen once, in order" {
	S=$(uniq_name web)
	LOG=$SB/log/$S.log
	write_script count <<-EOF
		i=0
		while [ \$i -lt 400 ]; do
			i=\$((i + 1))
			printf 'line %05d\n' \$i
			sleep 0.01
		done
		exec sleep 1000
	EOF
	make_service "$S" "exec = $SB/count $MARK" "log_max_bytes = 600" "log_backups = 50" \
		"ready_seconds = 0"
	sv -q "$S" start
	wait_for 20 test -f "$LOG"
	follow "$S" logs -f -n 1000
	wait_for 60 has "line 00400"
	# rotated many times while followed
	[ -f "$LOG.5" ]
	seq -f 'line %05g' 1 400 >"$SB/want"
	cmp "$SB/out" "$SB/want"
}

@test "logs -f ends with exit 0 on SIGTERM and on SIGINT" {
	marked_service web
	echo one >"$LOG"
	follow web logs -f
	wait_for 20 has one
	kill -TERM "$FOLLOWER"
	ended_with 0
	follow web logs -f
	wait_for 20 has one
	kill -INT "$FOLLOWER"
	ended_with 0
	[ ! -s "$SB/err" ]
}

@test "logs -f | head -n 3: ends quietly with exit 0 when the reader goes away" {
	marked_service web
	seq 1 2 >"$LOG"
	mkfifo "$SB/pipe"
	head -n 3 <"$SB/pipe" >"$SB/out" 3>&- &
	track_pid $!
	follow_into "$SB/pipe" web logs -f
	wait_for 20 fd_to_log
	echo 3 >>"$LOG"
	# head leaves after its third line; the follower sees its reader gone
	wait_for 20 is_dead "$FOLLOWER"
	ended_with 0
	cat "$SB/err"
	[ ! -s "$SB/err" ]
	lines_are "$(seq 1 3)"
}

# follow_into FILE ARGS...: as follow, the output into FILE
follow_into() {
	local to=$1
	shift
	"$SVCCTL" -c "$CONF" "$@" </dev/null >"$to" 2>"$SB/err" 3>&- &
	FOLLOWER=$!
	track_pid "$FOLLOWER"
}

@test "logs | head: no broken-pipe message" {
	marked_service web
	seq 1 100000 >"$LOG"
	run --separate-stderr bash -c "set -o pipefail; '$SVCCTL' -c '$CONF' web logs -n 100000 | head -n 1"
	show
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	[ -z "$stderr" ]
}

@test "logs with no log file exits 1, with -f too, at once" {
	marked_service web
	run --separate-stderr timeout 20 "$SVCCTL" -c "$CONF" web logs
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"svcctl: web: no log file $LOG"* ]]
	run --separate-stderr timeout 20 "$SVCCTL" -c "$CONF" web logs -f
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no log file"* ]]
}

@test "logs of a service that logs to syslog or discards its output: exit 1 saying so" {
	marked_service web "stdout = syslog"
	run --separate-stderr sv web logs
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == "svcctl: web logs to syslog; see "* ]]
	run --separate-stderr sv web logs -f
	[ "$status" -eq 1 ]
	[[ "$stderr" == "svcctl: web logs to syslog; see "* ]]
	marked_service web "stdout = null"
	run --separate-stderr sv web logs
	show
	[ "$status" -eq 1 ]
	[[ "$stderr" == "svcctl: web discards its output"* ]]
}
