#!/usr/bin/env bats
# Order (DESIGN 4.12): start --all follows [install] requires and should,
# independent services start in parallel, a failed requirement keeps its
# dependents down, stop --all goes in reverse; check reports missing
# requirements and cycles.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	REC=$SB/record
	: >"$REC"
	# rec NAME LOG STOPDELAY MARK: records "NAME start MS" when it starts;
	# on TERM "NAME stopping", then after STOPDELAY seconds "NAME stop"
	# (bash: the time is taken without a fork, at once after exec)
	cat >"$SB/rec" <<-'EOF'
		#!/bin/bash
		name=$1 log=$2 delay=$3
		now=${EPOCHREALTIME/./}
		echo "$name start $((now / 1000))" >>"$log"
		trap 'echo "$name stopping" >>"$log"; sleep "$delay"; echo "$name stop" >>"$log"; exit 0' TERM
		while :; do
			sleep 1000 &
			wait $!
		done
	EOF
	chmod 0755 "$SB/rec"
}

# svc NAME READY [INSTALL-LINE...]: a recording service, ready after READY s
svc() {
	local name=$1 ready=$2
	shift 2
	{
		echo "[service]"
		echo "exec = $SB/rec $name $REC ${STOP_DELAY:-0} $MARK"
		echo "ready_seconds = $ready"
		echo "[install]"
		printf '%s\n' "$@"
	} >"$SB/services/$name.ini"
}

# the time NAME recorded at its start (ms), empty when it did not start
started_at() {
	sed -n "s/^$1 start //p" "$REC"
}

# the line number of a line of the record
line_of() {
	grep -nx "$1" "$REC" | cut -d: -f1
}

running() {
	run sv "$1" status
	[ "$status" -eq 0 ]
}

not_running() {
	run sv "$1" status
	[ "$status" -eq 3 ]
	[ -z "$(started_at "$1")" ]
}

@test "a chain a <- b <- c starts a, then b once a is up, then c" {
	svc c 1 "requires = b"
	svc b 1 "requires = a"
	svc a 1 "requires = \$local_fs"
	run sv start --all
	echo "$output"
	cat "$REC"
	[ "$status" -eq 0 ]
	a=$(started_at a) b=$(started_at b) c=$(started_at c)
	[ -n "$a" ]
	[ -n "$b" ]
	[ -n "$c" ]
	# each one after its requirement's ready_seconds (less what its own
	# start took before it recorded the time)
	[ $((b - a)) -ge 500 ]
	[ $((c - b)) -ge 500 ]
	running a
	running b
	running c
}

@test "fan-out: four services requiring one start together once it is up" {
	svc x 1
	for i in 1 2 3 4; do
		svc "y$i" 1 "requires = x"
	done
	t0=$(now_ms)
	run sv start --all
	t1=$(now_ms)
	echo "$output"
	cat "$REC"
	[ "$status" -eq 0 ]
	x=$(started_at x)
	for i in 1 2 3 4; do
		y=$(started_at "y$i")
		[ -n "$y" ]
		[ $((y - x)) -ge 500 ]
		running "y$i"
	done
	# the critical path is 1 + 1 s; one after the other would be 5 s
	echo "took $((t1 - t0)) ms"
	[ $((t1 - t0)) -lt 4000 ]
}

@test "a failed requirement keeps its dependents down, not what only should it" {
	make_service broken "exec = $SB/no-such-program"
	svc needs 0 "requires = broken"
	svc needs2 0 "requires = needs"
	svc wants 0 "should = broken"
	svc alone 0
	run sv start --all
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"svcctl: needs: not started: dependency broken failed"* ]]
	[[ "$output" == *"svcctl: needs2: not started: dependency needs failed"* ]]
	not_running needs
	not_running needs2
	running wants
	running alone
}

@test "\$facility words are ignored by check and start --all" {
	svc a 0 "requires = \$local_fs \$remote_fs \$syslog" "should = \$network \$time"
	svc b 0 "requires = \$local_fs a"
	run sv check
	echo "$output"
	[ "$status" -eq 0 ]
	run sv start --all
	echo "$output"
	[ "$status" -eq 0 ]
	running a
	running b
}

@test "a requires of no service: check exits 6 naming it, start --all starts the rest" {
	svc a 0
	svc b 0 "requires = a nosuch"
	svc c 0 "requires = b"
	svc d 0 "should = alsonosuch"
	run sv check
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"svcctl: b: requires 'nosuch', which is no service ($SB/services/b.ini)"* ]]
	[[ "$output" != *alsonosuch* ]]
	run sv check b
	[ "$status" -eq 6 ]
	[[ "$output" == *"b: requires 'nosuch'"* ]]
	run sv check a
	[ "$status" -eq 0 ]
	run sv start --all
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"requires 'nosuch', which is no service"* ]]
	running a
	running d
	not_running b
	not_running c
}

@test "a cycle: check exits 6 naming its members, start --all starts the others" {
	svc a 0 "requires = b"
	svc b 0 "should = a"
	svc c 0
	svc d 0 "should = a"
	run sv check
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"svcctl: dependency cycle: a -> b -> a"* ]]
	run sv check b
	[ "$status" -eq 6 ]
	[[ "$output" == *"dependency cycle: a -> b -> a"* ]]
	run sv check c
	[ "$status" -eq 0 ]
	run sv start --all
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"dependency cycle: a -> b -> a"* ]]
	running c
	running d
	not_running a
	not_running b
}

@test "a service that requires itself is a cycle" {
	svc a 0 "requires = a"
	run sv check
	[ "$status" -eq 6 ]
	[[ "$output" == *"dependency cycle: a -> a"* ]]
}

@test "stop --all stops dependents before their requirements" {
	STOP_DELAY=0.3
	svc a 0 "requires = \$local_fs"
	svc b 0 "requires = a"
	svc c 0 "should = b"
	sv -q start --all
	running a
	running b
	running c
	run sv stop --all
	echo "$output"
	cat "$REC"
	[ "$status" -eq 0 ]
	# each one's TERM only after what needs it has finished stopping
	[ "$(line_of "c stop")" -lt "$(line_of "b stopping")" ]
	[ "$(line_of "b stop")" -lt "$(line_of "a stopping")" ]
	run sv a status
	[ "$status" -eq 3 ]
}

@test "restart --all stops in reverse order, then starts in order" {
	STOP_DELAY=0.3
	svc a 1
	svc b 1 "requires = a"
	sv -q start --all
	: >"$REC"
	run sv restart --all
	echo "$output"
	cat "$REC"
	[ "$status" -eq 0 ]
	[ "$(line_of "b stop")" -lt "$(line_of "a stopping")" ]
	a=$(started_at a) b=$(started_at b)
	[ -n "$a" ]
	[ -n "$b" ]
	[ $((b - a)) -ge 500 ]
}

@test "start NAME starts only NAME, never its requirement" {
	svc a 0
	svc b 0 "requires = a"
	run sv start b
	echo "$output"
	[ "$status" -eq 0 ]
	running b
	not_running a
}

@test "start with several names orders the named ones" {
	svc a 1
	svc b 1 "requires = a"
	svc c 1 "requires = b"
	run sv start b a
	echo "$output"
	cat "$REC"
	[ "$status" -eq 0 ]
	a=$(started_at a) b=$(started_at b)
	[ -n "$a" ]
	[ -n "$b" ]
	[ $((b - a)) -ge 500 ]
	not_running c
}
