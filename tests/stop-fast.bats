#!/usr/bin/env bats
# stop without a pass over /proc: a program that leads its own process group
# (pgid = its PID, pinned by its pidfd) has its group signalled with one
# kill(-pgid); once it is gone, kill(-pgid, 0) saying "no such group" ends
# the stop. What must still hold on that path: members that ignore TERM get
# SIGKILL, a leader that left its group gets the signal itself, a group
# whose number is not the leader's PID is still found through /proc, and a
# dead leader nobody reaps (still a member) does not hide a live member.

load test_helper
load extra_helper

# group_service CHILD LEADER [LINE...]: a service whose program (a shell
# script that execs LEADER, so the recorded PID leads the group) first
# starts CHILD in the background and writes its PID to $SB/child.pid
group_service() {
	local child=$1 leader=$2
	shift 2
	write_script group.sh <<-EOF
		$child &
		echo \$! >$SB/child.pid
		exec $leader
	EOF
	make_service web "exec = $SB/group.sh $MARK" "$@"
}

# waits for $SB/child.pid and sets child to it (tracked for teardown)
read_child() {
	wait_until test -s "$SB/child.pid"
	child=$(cat "$SB/child.pid")
	track_pid "$child"
	is_alive "$child"
}

# stop_group CHILD LEADER [LINE...]: starts a group_service, stops it with
# a plain stop, and checks it said so and left neither process; the
# output is in $output
stop_group() {
	group_service "$@"
	sv -q web start
	pid=$(pid_of web)
	read_child
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	is_dead "$child"
}

@test "fast path: a TERM-ignoring member of the leader's group gets SIGKILL after stop_timeout" {
	group_service "$PROGS/ignoreterm $MARK" "$PROGS/sigstamp $SB/stamps 0 $MARK" \
		"stop_timeout = 1"
	sv -q web start
	pid=$(pid_of web)
	read_child
	# the program leads its group: the recorded pgid is its PID
	[ "$(state_value web pgid)" = "$pid" ]
	[ "$child" != "$pid" ]
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	# the leader got TERM and went at once; the member had its grace period
	grep -q '^TERM ' "$SB/stamps"
	[ "$ms" -ge 900 ]
	[ "$ms" -lt 20000 ]
	is_dead "$pid"
	is_dead "$child"
	no_marked_left
}

@test "fast path: a leader and a member that both ignore TERM both get SIGKILL" {
	stop_group "$PROGS/ignoreterm $MARK" "$PROGS/ignoreterm $MARK" "stop_timeout = 1"
	no_marked_left
}

@test "a leader that left its group (setpgid) gets the stop signal itself, and its group is stopped" {
	# the leader forks a member that stays in the leader's group, and a
	# second child that makes a group of its own, which the leader then
	# joins: the recorded group (the leader's PID) holds only the member
	cat >"$SB/leaver.py" <<-'EOF'
		import os, signal, sys, time
		stamps, out = sys.argv[1], sys.argv[2]
		def stamp(path):
		    def on_term(sig, frame):
		        with open(path, "a") as f:
		            f.write("TERM\n")
		        os._exit(0)
		    return on_term
		member = os.fork()
		if member == 0:
		    signal.signal(signal.SIGTERM, stamp(stamps + ".member"))
		    while True:
		        signal.pause()
		other = os.fork()
		if other == 0:
		    os.setpgid(0, 0)
		    while True:
		        signal.pause()
		signal.signal(signal.SIGTERM, stamp(stamps))
		while os.getpgid(other) != other:
		    time.sleep(0.01)
		os.setpgid(0, other)
		with open(out + ".tmp", "w") as f:
		    f.write("%d %d\n" % (member, other))
		os.rename(out + ".tmp", out)
		while True:
		    signal.pause()
	EOF
	write_script leaver.sh <<-EOF
		exec $(command -v python3) $SB/leaver.py $SB/stamps $SB/children "\$@"
	EOF
	make_service web "exec = $SB/leaver.sh $MARK" "stop_timeout = 20"
	sv -q web start
	pid=$(pid_of web)
	wait_until test -s "$SB/children"
	read -r member other <"$SB/children"
	track_pid "$member"
	track_pid "$other"
	[ "$(state_value web pgid)" = "$pid" ]
	# the leader is no longer in the group it leads; the member is
	[ "$(awk '{ sub(/.*\) /, ""); print $3 }' "/proc/$pid/stat")" = "$other" ]
	[ "$(awk '{ sub(/.*\) /, ""); print $3 }' "/proc/$member/stat")" = "$pid" ]
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	is_dead "$member"
	# both got TERM, not the SIGKILL of stop_timeout's end
	grep -qx TERM "$SB/stamps"
	grep -qx TERM "$SB/stamps.member"
	[[ "$output" != *SIGKILL* ]]
	kill -KILL "$other"
}

@test "pgid other than the leader's PID (a forking daemon's group): stop still ends the group's member" {
	mkdir -p "$SB/pid"
	# forker -c: the daemon is the grandchild in the group of the session
	# leader that forked it (gone by now), with a child of its own
	make_service web "exec = $PROGS/forker -c $SB/pid/web.pid $MARK" "type = forking" \
		"pidfile = $SB/pid/web.pid" "start_timeout = 10"
	sv -q web start
	pid=$(cat "$SB/pid/web.pid")
	[ "$(state_value web pgid)" != "$pid" ]
	wait_until marked_count_is 2
	run sv web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	no_marked_left
}

@test "a dead leader nobody reaps (a zombie in its group) does not hide a live member: it gets SIGKILL" {
	group_service "$PROGS/ignoreterm $MARK" "$PROGS/sigstamp $SB/stamps 0 $MARK" \
		"stop_timeout = 1"
	start_reaped_late web
	pid=$(pid_of web)
	read_child
	elapsed_ms ms sv -q web stop
	echo "stop took $ms ms"
	[ "$status" -eq 0 ]
	# the leader is a zombie (its reaper never reaps), still in its group
	[ "$(proc_state "$pid")" = Z ]
	grep -q '^TERM ' "$SB/stamps"
	[ "$ms" -ge 900 ]
	is_dead "$child"
	no_marked_left
}

@test "a TERM-responsive program alone in its group: stop ends it and its child, no SIGKILL" {
	stop_group "$PROGS/sigstamp $SB/child.stamps 0 $MARK" \
		"$PROGS/sigstamp $SB/stamps 0 $MARK" "stop_timeout = 20"
	grep -q '^TERM ' "$SB/stamps"
	grep -q '^TERM ' "$SB/child.stamps"
	[[ "$output" != *SIGKILL* ]]
	no_marked_left
}
