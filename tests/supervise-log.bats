#!/usr/bin/env bats
# The monitor owns the program's output (DESIGN 4.8): whole lines to the log,
# rotation at log_max_bytes, reopen on SIGHUP, nothing lost when the program
# writes fast or exits at once, long lines split, syslog with the service's
# name as ident.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	S=$(uniq_name web)
	LOG=$SB/log/$S.log
}

teardown() {
	supervise_teardown
}

# the program and the monitor of NAME are both gone (the monitor drains the
# pipe before it records the exit and leaves)
all_gone() {
	no_marked_left && monitor_count_is "$1" 0
}

# the log files of NAME, oldest first: NAME.log.N .. NAME.log.1, NAME.log
log_files() {
	local i
	for i in $(seq 100 -1 1); do
		[ ! -f "$SB/log/$1.log.$i" ] || echo "$SB/log/$1.log.$i"
	done
	[ ! -f "$SB/log/$1.log" ] || echo "$SB/log/$1.log"
}

# all_logs_have LINE NAME: one of NAME's log files has LINE
all_logs_have() {
	local f
	for f in $(log_files "$2"); do
		grep -qx "$1" "$f" && return 0
	done
	return 1
}

# lines_at_least N FILE: FILE has N lines or more
lines_at_least() {
	[ -f "$2" ] && [ "$(wc -l <"$2")" -ge "$1" ]
}

# the numbers of the "tick N" lines in the files given, in file order
ticks() {
	cat "$@" | sed -n 's/^tick \([0-9][0-9]*\)$/\1/p'
}

@test "100,000 lines written fast: every line once, in order, across rotated files of 1M at most" {
	make_service "$S" "exec = $PROGS/linespew 100000 60 1000 $MARK" \
		"log_max_bytes = 1M" "log_backups = 10"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	last="0100000 $(printf '%*s' 52 '' | tr ' ' x)"
	wait_for 60 all_logs_have "$last" "$S"
	mapfile -t files < <(log_files "$S")
	ls -l "${files[@]}"
	# 6.1 MB in files of 1 MiB: at least five rotations, none past .10
	[ "${#files[@]}" -ge 6 ]
	refute_file "$LOG.11"
	for f in "${files[@]}"; do
		[ "$(stat -c %s "$f")" -le 1048576 ]
	done
	# nothing but whole lines, each exactly as written
	cat "${files[@]}" >"$SB/all"
	[ "$(grep -cvE '^[0-9]{7} x{52}$' "$SB/all")" -eq 0 ]
	cut -d' ' -f1 "$SB/all" >"$SB/got"
	seq -f %07g 1 100000 >"$SB/want"
	cmp "$SB/got" "$SB/want"
	# the monitor still runs the program
	jstatus "$S"
	[ "$(jget state)" = running ]
	[ "$(jget supervised)" = true ]
}

@test "a program that prints and exits at once (restart = no): every line kept" {
	make_service "$S" "exec = $PROGS/linespew 20000 60 0 $MARK" \
		"restart = no" "log_max_bytes = 100M" "ready_seconds = 0"
	run sv "$S" start
	show
	wait_for 30 all_gone "$S"
	# once the monitor is gone, the log is complete: no waiting for it
	[ "$(wc -l <"$LOG")" -eq 20000 ]
	[ "$(grep -cvE '^[0-9]{7} x{52}$' "$LOG")" -eq 0 ]
	cut -d' ' -f1 "$LOG" >"$SB/got"
	seq -f %07g 1 20000 >"$SB/want"
	cmp "$SB/got" "$SB/want"
	run sv "$S" status
	show
	[ "$status" -ne 0 ]
	jstatus "$S"
	[ "$(jget exits.0.code)" = 0 ]
}

@test "a line of 10,000 bytes without a newline, then exit: split into 4096-byte pieces, nothing lost" {
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "%c", 97 + i % 26 }' >"$SB/blob"
	[ "$(stat -c %s "$SB/blob")" -eq 10000 ]
	write_script prog <<-EOF
		cat $SB/blob
	EOF
	make_service "$S" "exec = $SB/prog $MARK" \
		"restart = no" "log_max_bytes = 1M" "ready_seconds = 0"
	run sv "$S" start
	show
	wait_for 30 all_gone "$S"
	awk '{ print length($0) }' "$LOG" >"$SB/lengths"
	cat "$SB/lengths"
	[ "$(tr '\n' ' ' <"$SB/lengths")" = "4096 4096 1808 " ]
	tr -d '\n' <"$LOG" | cmp - "$SB/blob"
}

@test "mv the log away and SIGHUP the monitor: new lines go to a new log, the old one gets no more" {
	write_script prog <<-'EOF'
		i=0
		while :; do
			i=$((i + 1))
			echo "tick $i"
			sleep 0.05
		done
	EOF
	make_service "$S" "exec = $SB/prog $MARK" \
		"restart = always" "restart_delay = 0.1" "log_max_bytes = 10M"
	run sv "$S" start
	show
	[ "$status" -eq 0 ]
	mon=$(state_value "$S" monitor_pid)
	[ "$(proc_title "$mon")" = "svcctl: supervise $S" ]
	wait_for 15 lines_at_least 5 "$LOG"
	mv "$LOG" "$SB/log/moved"
	kill -HUP "$mon"
	wait_for 15 lines_at_least 1 "$LOG"
	size=$(stat -c %s "$SB/log/moved")
	n=$(wc -l <"$LOG")
	wait_for 15 lines_at_least $((n + 10)) "$LOG"
	[ "$(stat -c %s "$SB/log/moved")" -eq "$size" ]
	# the monitor lived through SIGHUP and the program was not restarted
	is_alive "$mon"
	jstatus "$S"
	[ "$(jget restarts)" = 0 ]
	[ "$(jget monitor_pid)" = "$mon" ]
	run sv "$S" stop
	[ "$status" -eq 0 ]
	# no line lost or doubled at the switch
	ticks "$SB/log/moved" "$LOG" >"$SB/got"
	seq 1 "$(tail -1 "$SB/got")" >"$SB/want"
	cmp "$SB/got" "$SB/want"
	[ "$(ticks "$SB/log/moved" | wc -l)" -ge 5 ]
}

@test "svcctl.conf sets log_max_bytes and log_backups for services without them" {
	printf 'log_max_bytes = 4K\nlog_backups = 2\n' >>"$CONF"
	B=$(uniq_name plain)
	make_service "$S" "exec = $PROGS/linespew 200 60 1000 $MARK"
	make_service "$B" "exec = $PROGS/linespew 200 60 1000 $MARK" "log_max_bytes = 0"
	sv -q "$S" start
	sv -q "$B" start
	last="0000200 $(printf '%*s' 52 '' | tr ' ' x)"
	wait_for 30 all_logs_have "$last" "$S"
	wait_for 30 all_logs_have "$last" "$B"
	# 12,200 bytes in files of 4 KiB, two backups kept: the oldest lines go
	mapfile -t files < <(log_files "$S")
	ls -l "${files[@]}"
	[ "${#files[@]}" -eq 3 ]
	[ "${files[0]}" = "$LOG.2" ]
	for f in "${files[@]}"; do
		[ "$(stat -c %s "$f")" -le 4096 ]
	done
	cat "${files[@]}" | cut -d' ' -f1 >"$SB/got"
	first=$(head -1 "$SB/got")
	seq -f %07g "$((10#$first))" 200 >"$SB/want"
	cmp "$SB/got" "$SB/want"
	# log_max_bytes = 0 in the INI: no monitor, no rotation
	[ "$(wc -l <"$SB/log/$B.log")" -eq 200 ]
	refute_file "$SB/log/$B.log.1"
	monitor_count_is "$B" 0
	jstatus "$B"
	[ "$(jget supervised)" = false ]
}

# syslog_start NAME: starts NAME in a mount namespace whose /dev holds only
# null, zero, urandom and, as log, the socket of a dgramsink writing to
# $SB/syslog. The real /dev/log is never touched.
syslog_start() {
	mkdir -p "$SB/dev"
	touch "$SB/dev/null" "$SB/dev/zero" "$SB/dev/urandom" "$SB/dev/log"
	: >"$SB/syslog"
	"$PROGS/dgramsink" "$SB/sock" "$SB/syslog" </dev/null >/dev/null 2>&1 3>&- &
	SINK=$!
	track_pid "$SINK"
	disown "$SINK"
	wait_until test -S "$SB/sock"
	run unshare -m sh -c "
		for n in null zero urandom; do
			mount --bind /dev/\$n '$SB/dev/'\$n || exit 90
		done
		mount --bind '$SB/sock' '$SB/dev/log' || exit 91
		mount --rbind '$SB/dev' /dev || exit 92
		exec '$SVCCTL' -c '$CONF' '$1' start"
	show
	[ "$status" -eq 0 ]
}

# syslog_has PRI TEXT: a datagram "<PRI>Mmm dd hh:mm:ss NAME[PID]: TEXT" came
syslog_has() {
	grep -qE "^<$1>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] $S\[[0-9]+\]: $2\$" \
		"$SB/syslog"
}

# the number of datagrams with the service's ident
syslog_count() {
	grep -c " $S\[[0-9]*\]: " "$SB/syslog" || true
}

# the PIDs in the idents of the datagrams, one per distinct value
syslog_pids() {
	sed -n "s/^<[0-9]*>.\{15\} $S\[\([0-9]*\)\]: .*/\1/p" "$SB/syslog" | sort -u
}

@test "stdout = syslog, stderr = syslog: lines at daemon.info and daemon.err, ident the service" {
	write_script prog <<-EOF
		echo out-one
		echo err-one >&2
		echo out-two
		exec $PROGS/onsignal $SB/got "\$1"
	EOF
	make_service "$S" "exec = $SB/prog $MARK" \
		"stdout = syslog" "stderr = syslog"
	syslog_start "$S"
	wait_for 15 syslog_has 30 out-two
	wait_for 15 syslog_has 27 err-one
	cat "$SB/syslog"
	syslog_has 30 out-one
	refute syslog_has 30 err-one
	refute syslog_has 27 out-one
	[ "$(syslog_count)" -eq 3 ]
	# the PID is the program's or its monitor's
	pid=$(pid_of "$S")
	mon=$(state_value "$S" monitor_pid)
	for p in $(syslog_pids); do
		[ "$p" = "$pid" ] || [ "$p" = "$mon" ]
	done
	# no log file was made for it
	refute_file "$LOG"
}

@test "stdout = syslog with stderr = stdout: both streams at daemon.info" {
	write_script prog <<-EOF
		echo out-one
		echo err-one >&2
		exec $PROGS/onsignal $SB/got "\$1"
	EOF
	make_service "$S" "exec = $SB/prog $MARK" \
		"stdout = syslog"
	syslog_start "$S"
	wait_for 15 syslog_has 30 out-one
	wait_for 15 syslog_has 30 err-one
	cat "$SB/syslog"
	refute grep -q '^<27>' "$SB/syslog"
	[ "$(syslog_count)" -eq 2 ]
}
