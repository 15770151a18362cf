#!/usr/bin/env bats
# The monitor lives for months: what it holds must not grow with respawns.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	S=$(uniq_name web)
}

teardown() {
	supervise_teardown
}

@test "the monitor's descriptors after 200 respawns are those after one" {
	# run 1 lives 2 s, runs 2 to 199 exit at once, run 200 stays: the
	# monitor is looked at while a run is up, first and last
	write_script prog <<-EOF
		n=\$(cat $SB/count 2>/dev/null || echo 0)
		n=\$((n + 1))
		echo \$n >$SB/count
		[ \$n -eq 1 ] && exec $PROGS/exitafter 0 2 "\$1"
		[ \$n -ge 200 ] && exec $PROGS/exitafter 0 1000 "\$1"
		exec $PROGS/exitafter 0 0 "\$1"
	EOF
	make_service "$S" "exec = $SB/prog $MARK" "restart = always" \
		"restart_delay = 0" "restart_max = 0" "ready_seconds = 0.2" "log_max_bytes = 1M"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	[ "$(state_value "$S" restarts)" = 0 ]
	fds_stable "$S" 199 180
	run sv "$S" stop
	[ "$status" -eq 0 ]
}

@test "a run of 60 s or more resets the count of quick runs: restart_max = 2 gives up only after two quick runs in a row (takes a minute)" {
	# runs: 0.5 s, 61 s, 0.5 s, 0.5 s, each exiting 1. Without the reset the
	# long run would count, or leave the count at 1: fatal after 2 or 3 exits
	write_script prog <<-EOF
		n=\$(cat $SB/count 2>/dev/null || echo 0)
		n=\$((n + 1))
		echo \$n >$SB/count
		[ \$n -eq 2 ] && exec $PROGS/exitafter 1 61 "\$1"
		exec $PROGS/exitafter 1 0.5 "\$1"
	EOF
	make_service "$S" "exec = $SB/prog $MARK" "restart = always" \
		"restart_delay = 0.1" "restart_max = 2" "ready_seconds = 0.2"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	wait_for 120 state_is "$S" fatal
	jstatus "$S"
	cat "$SB/json"
	[ "$(cat "$SB/count")" -eq 4 ]
	[ "$(state_value "$S" restarts)" -eq 3 ]
	[ "$(grep -c '^exit=' "$SB/run/$S.state")" -eq 4 ]
}
