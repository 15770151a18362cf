#!/usr/bin/env bats
# The monitor (DESIGN 4.8): respawn, backoff, fatal, success codes, control
# through the monitor, a monitor killed, svcctl.conf defaults.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	S=$(uniq_name web)
}

teardown() {
	supervise_teardown
}

# supervised NAME [LINE...]: a marked, long-running service restarted always,
# 0.1 s after an exit
supervised() {
	local name=$1
	shift
	marked_service "$name" "restart = always" "restart_delay = 0.1" "$@"
}

# the monitor of NAME by its state file, checked by its title
monitor_of() {
	local pid
	pid=$(state_value "$1" monitor_pid)
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	[ "$(proc_title "$pid")" = "svcctl: supervise $1" ] || return 1
	echo "$pid"
}

# running_other_than NAME PID: status --json says running, with a PID that
# is not PID
running_other_than() {
	state_is "$1" running || return 1
	local pid
	pid=$(jget pid)
	[ "$pid" != null ] && [ "$pid" != 0 ] && [ "$pid" != "$2" ]
}

# nothing_left NAME: no program (marked process), no monitor, no pidfile
nothing_left() {
	no_marked_left && monitor_count_is "$1" 0 && refute_file "$SB/run/$1.pid"
}

# lines_at_least N FILE: FILE has N lines or more
lines_at_least() {
	[ -f "$2" ] && [ "$(wc -l <"$2")" -ge "$1" ]
}

# jfield_at_least NAME FIELD N: status --json of NAME has FIELD >= N
jfield_at_least() {
	jstatus "$1"
	local v
	v=$(jget "$2")
	[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$3" ]
}

@test "kill -9 of the program: a new one, in the pidfile, restarts 1, exits[0] KILL" {
	supervised "$S"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	old=$(pid_of "$S")
	mon=$(monitor_of "$S")
	kill -KILL "$old"
	wait_for 15 running_other_than "$S" "$old"
	cat "$SB/json"
	[ "$JCODE" -eq 0 ]
	new=$(jget pid)
	[ "$(pid_of "$S")" = "$new" ]
	is_alive "$new"
	is_dead "$old"
	[ "$(ppid_of "$new")" = "$mon" ]
	[ "$(marked_pids)" = "$new" ]
	[ "$(jget restarts)" = 1 ]
	[ "$(jget supervised)" = true ]
	[ "$(jget monitor_pid)" = "$mon" ]
	[ "$(jlen exits)" = 1 ]
	[ "$(jget exits.0.signal)" = KILL ]
	[ "$(jget exits.0.code)" = null ]
	iso_time_ok "$(jget exits.0.time)"
	[[ "$(jget exits.0.run_seconds)" =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]
	# the text block says the same
	run sv "$S" status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *KILL* ]]
}

@test "the monitor is 'svcctl: supervise NAME', the program's parent, a daemon" {
	supervised "$S"
	# the monitor keeps no descriptor of the caller: a piped start ends
	run timeout 30 sh -c "'$SVCCTL' -c '$CONF' '$S' start | cat"
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of "$S")
	mon=$(ppid_of "$pid")
	[ "$(proc_title "$mon")" = "svcctl: supervise $S" ]
	[ "$(monitor_of "$S")" = "$mon" ]
	[ "$(monitor_pids "$S")" = "$mon" ]
	# no controlling terminal, stdin from /dev/null, not a session leader
	# (fork, setsid, fork)
	stat=$(cat "/proc/$mon/stat")
	stat=${stat##*) }
	read -r _ _ _ sid tty _ <<<"$stat"
	[ "$tty" -eq 0 ]
	[ "$sid" -ne "$mon" ]
	[ "$(readlink "/proc/$mon/fd/0")" = /dev/null ]
	jstatus "$S"
	[ "$(jget supervised)" = true ]
	[ "$(jget monitor_pid)" = "$mon" ]
	[ "$(jget pid)" = "$pid" ]
	[ "$(jget restarts)" = 0 ]
}

@test "stop while running: program and monitor gone, no respawn a second later" {
	supervised "$S"
	sv -q "$S" start
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	run sv "$S" stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	is_dead "$mon"
	nothing_left "$S"
	sleep 1 # a window for a respawn that must not come
	nothing_left "$S"
	run sv "$S" status
	show
	[ "$status" -eq 3 ]
	jstatus "$S"
	[ "$(jget state)" = stopped ]
	[ "$(jget supervised)" = false ]
}

@test "backoff: status 3 with the next attempt; stop in backoff ends it, no respawn" {
	# the program exits 1 after 1 s; the next attempt is 30 s later
	make_service "$S" "exec = $PROGS/exitafter 1 1 $MARK" "restart = always" \
		"restart_delay = 30" "restart_max = 5"
	sv -q "$S" start
	wait_for 15 state_is "$S" backoff
	cat "$SB/json"
	[ "$JCODE" -eq 3 ]
	[ "$(jget supervised)" = true ]
	mon=$(jget monitor_pid)
	is_alive "$mon"
	[ "$(proc_title "$mon")" = "svcctl: supervise $S" ]
	next=$(jget next_attempt)
	iso_time_ok "$next"
	last=$(jget exits.0.time)
	[ "$(jget exits.0.code)" = 1 ]
	# about restart_delay after the exit, generously
	gap=$(($(date -d "$next" +%s) - $(date -d "$last" +%s)))
	[ "$gap" -ge 25 ]
	[ "$gap" -le 35 ]
	run sv "$S" status
	show
	[ "$status" -eq 3 ]
	[[ "$output" == *backoff* ]]
	[[ "$output" == *"next attempt"* ]]
	run sv status
	show
	grep -qE "^$S +backoff " <<<"$output"
	elapsed_ms took sv "$S" stop
	[ "$status" -eq 0 ]
	# it did not wait for the 30 s delay
	[ "$took" -lt 10000 ]
	is_dead "$mon"
	nothing_left "$S"
	sleep 1
	nothing_left "$S"
	run sv "$S" status
	[ "$status" -eq 3 ]
}

@test "stop racing a program that exits every few ms: 20 rounds, nothing respawns" {
	# the first run lives 1 s, for start to see it up; then a run every
	# few ms, each printing a line
	write_script race <<-EOF
		if [ -e $SB/first ]; then exec $PROGS/exitafter 1 0.003 "\$1"; fi
		touch $SB/first
		exec $PROGS/exitafter 1 1 "\$1"
	EOF
	make_service "$S" "exec = $SB/race $MARK" \
		"restart = always" "restart_delay = 0" "restart_max = 1000"
	log=$SB/log/$S.log
	for round in $(seq 20); do
		echo "--- round $round"
		n=0
		[ ! -f "$log" ] || n=$(wc -l <"$log")
		rm -f "$SB/first"
		sv -q "$S" start
		# a few quick runs, so the stop meets the monitor mid-respawn
		wait_for 15 lines_at_least $((n + 4)) "$log"
		mon=$(state_value "$S" monitor_pid)
		run sv "$S" stop
		show
		[ "$status" -eq 0 ]
		[ -z "$mon" ] || is_dead "$mon"
		nothing_left "$S"
		n=$(wc -l <"$log")
		sleep 1
		nothing_left "$S"
		# not even a run that came and went
		[ "$(wc -l <"$log")" -eq "$n" ]
	done
}

@test "restart_max = 3: three quick exits recorded, two restarts, then fatal" {
	# each run lives 1 s (start sees the first one up), then exits 1
	make_service "$S" "exec = $PROGS/exitafter 1 1 $MARK" "restart = always" \
		"restart_delay = 0.1" "restart_max = 3"
	sv -q "$S" start
	wait_for 20 state_is "$S" fatal
	# the monitor records why, then leaves
	wait_for 10 monitor_count_is "$S" 0
	jstatus "$S"
	cat "$SB/json"
	[ "$JCODE" -eq 1 ]
	[ "$(jlen exits)" = 3 ]
	[ "$(jget restarts)" = 2 ]
	for i in 0 1 2; do
		[ "$(jget "exits.$i.code")" = 1 ]
		[ "$(jget "exits.$i.signal")" = null ]
		iso_time_ok "$(jget "exits.$i.time")"
	done
	reason=$(jget reason)
	[ "$reason" != null ]
	[ -n "$reason" ]
	[ "$(jget supervised)" = false ]
	[ "$(jget next_attempt)" = null ]
	nothing_left "$S"
	# no fourth run comes
	sleep 1
	jstatus "$S"
	[ "$(jlen exits)" = 3 ]
	[ "$(jget state)" = fatal ]
	run sv "$S" status
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *fatal* ]]
	[[ "$output" == *"$reason"* ]]
	run sv status
	show
	grep -qE "^$S +fatal " <<<"$output"
}

@test "exits keeps the newest 10, newest first" {
	# run N exits with status N; the first lives 1 s, for start to see it
	write_script count <<-EOF
		n=\$(cat $SB/n 2>/dev/null)
		n=\$((n + 1))
		echo \$n >$SB/n
		[ \$n -gt 1 ] || sleep 1
		exit \$n
	EOF
	make_service "$S" "exec = $SB/count $MARK" \
		"restart = always" "restart_delay = 0" "restart_max = 12"
	sv -q "$S" start
	wait_for 30 state_is "$S" fatal
	cat "$SB/json"
	[ "$(cat "$SB/n")" -eq 12 ]
	[ "$(jget restarts)" = 11 ]
	[ "$(jlen exits)" = 10 ]
	for i in $(seq 0 9); do
		[ "$(jget "exits.$i.code")" = $((12 - i)) ]
	done
}

@test "start and restart of a fatal service start afresh with restarts 0" {
	for verb in start restart; do
		echo "--- $verb"
		make_service "$S" "exec = $PROGS/exitafter 1 1 $MARK" "restart = always" \
			"restart_delay = 0.1" "restart_max = 2"
		sv -q "$S" start
		wait_for 20 state_is "$S" fatal
		[ "$(jget restarts)" = 1 ]
		# the program is fixed; the next start reads the config anew
		supervised "$S"
		run sv "$S" "$verb"
		show
		[ "$status" -eq 0 ]
		wait_for 15 state_is "$S" running
		cat "$SB/json"
		[ "$JCODE" -eq 0 ]
		[ "$(jget restarts)" = 0 ]
		[ "$(jget supervised)" = true ]
		[ "$(jget reason)" = null ]
		[ "$(count_marked)" -eq 1 ]
		[ "$(ppid_of "$(pid_of "$S")")" = "$(monitor_of "$S")" ]
		sv -q "$S" stop
		nothing_left "$S"
	done
}

@test "backoff doubles: restart_delay 0.5 gives waits of about 0.5, 1 and 2 s" {
	write_script stamps <<-EOF
		date +%s%N >>$SB/starts
		sleep 1
		date +%s%N >>$SB/ends
		exit 1
	EOF
	make_service "$S" "exec = $SB/stamps $MARK" \
		"restart = always" "restart_delay = 0.5" "restart_max = 4"
	sv -q "$S" start
	wait_for 40 state_is "$S" fatal
	cat "$SB/json"
	paste "$SB/starts" "$SB/ends"
	[ "$(jlen exits)" = 4 ]
	[ "$(jget restarts)" = 3 ]
	[ "$(wc -l <"$SB/starts")" -eq 4 ]
	# the gaps from the end of a run to the start of the next
	mapfile -t t <"$SB/starts"
	mapfile -t e <"$SB/ends"
	g1=$(((t[1] - e[0]) / 1000000))
	g2=$(((t[2] - e[1]) / 1000000))
	g3=$(((t[3] - e[2]) / 1000000))
	echo "gaps: $g1 $g2 $g3 ms"
	# a delay is never shorter than asked; load only makes it longer
	[ "$g1" -ge 450 ]
	[ "$g2" -ge 950 ]
	[ "$g3" -ge 1900 ]
	# generous upper bounds: the first wait is restart_delay, not twice it
	[ "$g1" -le 3000 ]
	[ "$g2" -le 3500 ]
	[ "$g3" -le 3900 ]
	[ "$g2" -gt "$g1" ]
	[ "$g3" -gt "$g2" ]
	[ $((2 * g3)) -ge $((3 * g1)) ]
}

@test "on-failure: an exit with a success code stops, exit 4 restarts" {
	make_service "$S" "exec = $PROGS/exitafter 3 2 $MARK" "restart = on-failure" \
		"success_exit_codes = 0 3" "restart_delay = 0.1"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	mon=$(monitor_of "$S")
	wait_for 15 state_is "$S" stopped
	cat "$SB/json"
	[ "$JCODE" -eq 3 ]
	[ "$(jget exits.0.code)" = 3 ]
	[ "$(jget restarts)" = 0 ]
	wait_for 10 is_dead "$mon"
	sleep 1
	nothing_left "$S"
	jstatus "$S"
	[ "$(jget state)" = stopped ]
	[ "$(jlen exits)" = 1 ]

	make_service "$S" "exec = $PROGS/exitafter 4 1 $MARK" "restart = on-failure" \
		"success_exit_codes = 0 3" "restart_delay = 0.1"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	wait_for 15 jfield_at_least "$S" restarts 1
	cat "$SB/json"
	[ "$(jget exits.0.code)" = 4 ]
	[ "$(jget supervised)" = true ]
}

@test "success_exit_codes takes signal names: TERM listed stops, TERM unlisted restarts" {
	marked_service "$S" "restart = on-failure" "success_exit_codes = 0 TERM" \
		"restart_delay = 0.1"
	sv -q "$S" start
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	kill -TERM "$pid"
	wait_for 15 state_is "$S" stopped
	cat "$SB/json"
	[ "$JCODE" -eq 3 ]
	[ "$(jget exits.0.signal)" = TERM ]
	[ "$(jget exits.0.code)" = null ]
	wait_for 10 is_dead "$mon"
	sleep 1
	nothing_left "$S"

	marked_service "$S" "restart = on-failure" "success_exit_codes = 0" \
		"restart_delay = 0.1"
	sv -q "$S" start
	pid=$(pid_of "$S")
	kill -TERM "$pid"
	wait_for 15 running_other_than "$S" "$pid"
	cat "$SB/json"
	[ "$(jget restarts)" = 1 ]
	[ "$(jget exits.0.signal)" = TERM ]
}

@test "restart = always restarts after exit 0 too" {
	make_service "$S" "exec = $PROGS/exitafter 0 1 $MARK" "restart = always" \
		"restart_delay = 0.1"
	sv -q "$S" start
	first=$(pid_of "$S")
	wait_for 15 jfield_at_least "$S" restarts 1
	cat "$SB/json"
	[ "$(jget exits.0.code)" = 0 ]
	[ "$(jget exits.0.signal)" = null ]
	[ "$(jget supervised)" = true ]
	is_dead "$first"
}

@test "monitor killed: the program runs on unsupervised, start adds no copy, stop stops it" {
	supervised "$S"
	sv -q "$S" start
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	kill -KILL "$mon"
	wait_for 10 is_dead "$mon"
	is_alive "$pid"
	run sv "$S" status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *unsupervised* ]]
	jstatus "$S"
	cat "$SB/json"
	[ "$JCODE" -eq 0 ]
	[ "$(jget state)" = running ]
	[ "$(jget supervised)" = false ]
	[ "$(jget monitor_pid)" = 0 ]
	[ "$(jget pid)" = "$pid" ]
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	[ "$(pid_of "$S")" = "$pid" ]
	[ "$(marked_pids)" = "$pid" ]
	run sv "$S" stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	nothing_left "$S"
	run sv "$S" status
	[ "$status" -eq 3 ]
}

@test "monitor killed: restart brings supervision back" {
	supervised "$S"
	sv -q "$S" start
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	kill -KILL "$mon"
	wait_for 10 is_dead "$mon"
	run sv "$S" restart
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
	new=$(pid_of "$S")
	newmon=$(monitor_of "$S")
	[ "$newmon" != "$mon" ]
	[ "$(ppid_of "$new")" = "$newmon" ]
	[ "$(marked_pids)" = "$new" ]
	[ "$(monitor_pids "$S")" = "$newmon" ]
	jstatus "$S"
	[ "$(jget supervised)" = true ]
	[ "$(jget monitor_pid)" = "$newmon" ]
	# and it supervises: a kill -9 is answered
	kill -KILL "$new"
	wait_for 15 running_other_than "$S" "$new"
}

@test "reload signals the program, not the monitor" {
	make_service "$S" "exec = $PROGS/onsignal $SB/got $MARK" "restart = always" \
		"restart_delay = 0.1"
	sv -q "$S" start
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	run sv "$S" reload
	show
	[ "$status" -eq 0 ]
	wait_for 10 grep -qx HUP "$SB/got"
	is_alive "$mon"
	is_alive "$pid"
	[ "$(pid_of "$S")" = "$pid" ]
	[ "$(monitor_of "$S")" = "$mon" ]
	jstatus "$S"
	[ "$(jget restarts)" = 0 ]
	[ "$(jlen exits)" = 0 ]
}

@test "stop returns only when the monitor and the program are both gone" {
	# the program takes 700 ms to exit after TERM
	make_service "$S" "exec = $PROGS/sigstamp $SB/stamps 700 $MARK" "restart = always" \
		"restart_delay = 0"
	sv -q "$S" start
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	elapsed_ms took sv -q "$S" stop
	# checked before anything else can happen
	mon_state=$(proc_state "$mon")
	pid_state=$(proc_state "$pid")
	echo "status=$status took=$took monitor=$mon_state program=$pid_state"
	[ "$status" -eq 0 ]
	case "$mon_state" in "" | Z | X) ;; *) false ;; esac
	case "$pid_state" in "" | Z | X) ;; *) false ;; esac
	grep -q '^TERM ' "$SB/stamps"
	[ "$took" -ge 600 ]
	nothing_left "$S"
	sleep 1
	nothing_left "$S"
}

@test "a failed first start (missing program, restart = always) exits 5 and leaves no monitor" {
	make_service "$S" "exec = /nonexistent/svcctl-prog $MARK" "restart = always" \
		"restart_delay = 0"
	run sv "$S" start
	show
	[ "$status" -eq 5 ]
	nothing_left "$S"
	sleep 1
	nothing_left "$S"
	run sv "$S" status
	show
	[ "$status" -ne 0 ]
}

@test "twenty concurrent starts of a supervised service: one monitor, one program" {
	supervised "$S"
	concurrently 20 "$S" start
	cat "$SB/codes"
	[ "$(wc -l <"$SB/codes")" -eq 20 ]
	[ "$(sort -u "$SB/codes")" = 0 ]
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	[ "$(marked_pids)" = "$pid" ]
	[ "$(monitor_pids "$S")" = "$mon" ]
	[ "$(ppid_of "$pid")" = "$mon" ]
	# and no late second one
	sleep 1
	[ "$(marked_pids)" = "$pid" ]
	[ "$(monitor_pids "$S")" = "$mon" ]
}

@test "svcctl.conf sets restart for services without it; an INI key overrides it" {
	printf 'restart = always\nrestart_delay = 0.1\n' >>"$CONF"
	B=$(uniq_name plain)
	make_service "$S" "exec = $PROGS/exitafter 0 1000 $MARK"
	make_service "$B" "exec = $PROGS/exitafter 0 1000 $MARK.b" "restart = no"
	sv -q "$S" start
	sv -q "$B" start
	# the default applies
	pid=$(pid_of "$S")
	mon=$(monitor_of "$S")
	[ "$(ppid_of "$pid")" = "$mon" ]
	kill -KILL "$pid"
	wait_for 15 running_other_than "$S" "$pid"
	[ "$(jget restarts)" = 1 ]
	# the INI key wins
	bpid=$(pid_of "$B")
	jstatus "$B"
	[ "$(jget supervised)" = false ]
	[ "$(jget monitor_pid)" = 0 ]
	monitor_count_is "$B" 0
	kill -KILL "$bpid"
	wait_for 10 is_dead "$bpid"
	sleep 1
	no_marked_left "$MARK.b"
	run sv "$B" status
	show
	[ "$status" -eq 1 ]
}
