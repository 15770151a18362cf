#!/usr/bin/env bats
# What the program inherits: a proper daemon's world, the same from a
# terminal and from boot, whatever state the caller was in.

load test_helper
load extra_helper

STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

setup() {
	sandbox_setup
	DUMP=$SB/env.out
	SHARED=
}

teardown() {
	if [ -n "$SHARED" ]; then
		rm -rf "$SHARED"
	fi
	extra_teardown
}

# envdump_service NAME [LINE...]: a service running envdump into $DUMP
envdump_service() {
	local name=$1
	shift
	make_service "$name" "exec = $PROGS/envdump $DUMP" "$@"
}

started_dump() {
	wait_dump "$DUMP"
	cat "$DUMP"
}

# shared_dir: a directory under /tmp that nobody can use, removed in teardown
shared_dir() {
	SHARED=$(mktemp -d /tmp/svcctl-test.XXXXXX)
	chmod 0755 "$SHARED"
}

# --- umask, signals, descriptors --------------------------------------------

@test "umask is 0022 by default, whatever the caller's umask" {
	envdump_service web
	(
		umask 0000
		sv -q web start
	)
	started_dump
	[ "$(dump_value "$DUMP" umask)" = 0022 ]
	sv -q web stop
	rm "$DUMP"
	(
		umask 0077
		sv -q web start
	)
	started_dump
	[ "$(dump_value "$DUMP" umask)" = 0022 ]
}

@test "umask = 027 gives the program 0027" {
	envdump_service web "umask = 027"
	(
		umask 0000
		sv -q web start
	)
	started_dump
	[ "$(dump_value "$DUMP" umask)" = 0027 ]
}

# sigmask_low FIELD: the bits of SigIgn/SigBlk in $DUMP for signals 1..31 (bit N-1 is signal N)
sigmask_low() {
	local hex
	hex=$(sed -n "s/^$1:\t//p" "$DUMP")
	[ -n "$hex" ]
	echo $((16#$hex & 0x7fffffff))
}

@test "no ignored or blocked signal leaks from the caller into the program" {
	envdump_service web
	# sigwrap: HUP PIPE CHLD TERM ignored, USR1 USR2 INT ALRM blocked
	run "$PROGS/sigwrap" "$SVCCTL" -c "$CONF" web start
	show
	[ "$status" -eq 0 ]
	started_dump
	[ "$(sigmask_low SigIgn)" -eq 0 ]
	[ "$(sigmask_low SigBlk)" -eq 0 ]
}

@test "a shell's trap '' HUP PIPE TERM does not reach the program" {
	envdump_service web
	(
		trap '' HUP PIPE TERM
		sv -q web start
	)
	started_dump
	[ "$(sigmask_low SigIgn)" -eq 0 ]
	[ "$(sigmask_low SigBlk)" -eq 0 ]
}

@test "signals 32 and 33 left ignored by the caller are reset too: SigIgn all zero" {
	# GNU make's children, for one, start with these two ignored; glibc's
	# sigaction() refuses them, so only the raw system call resets them
	envdump_service web
	run "$PROGS/sigwrap" -r "$SVCCTL" -c "$CONF" web start
	show
	[ "$status" -eq 0 ]
	started_dump
	grep -qx $'SigIgn:\t0000000000000000' "$DUMP"
	grep -qx $'SigBlk:\t0000000000000000' "$DUMP"
}

@test "the program has descriptors 0, 1 and 2 only, even when the caller had more open" {
	envdump_service web
	: >"$SB/extra"
	sv -q web start 5<"$SB/extra" 7>>"$SB/extra" 9</dev/zero
	started_dump
	pid=$(pid_of web)
	# envdump has its own output file open (as 3) while it lists them
	[ "$(grep '^fd=' "$DUMP" | sort | tr '\n' ' ')" = "fd=0 fd=1 fd=2 fd=3 " ]
	# and has closed it since
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
}

@test "started with 0, 1 and 2 closed, the program still gets /dev/null and the log" {
	envdump_service web
	"$SVCCTL" -c "$CONF" web start <&- >&- 2>&-
	started_dump
	pid=$(pid_of web)
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$pid/fd/1")" = "$SB/log/web.log" ]
	[ "$(readlink "/proc/$pid/fd/2")" = "$SB/log/web.log" ]
	[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
}

@test "stdin is /dev/null, stdout and stderr the log file" {
	envdump_service web
	sv -q web start </dev/zero
	started_dump
	pid=$(pid_of web)
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$pid/fd/1")" = "$SB/log/web.log" ]
	[ "$(readlink "/proc/$pid/fd/2")" = "$SB/log/web.log" ]
}

@test "stderr = null sends only stderr away" {
	envdump_service web "stderr = null"
	sv -q web start
	started_dump
	pid=$(pid_of web)
	[ "$(readlink "/proc/$pid/fd/1")" = "$SB/log/web.log" ]
	[ "$(readlink "/proc/$pid/fd/2")" = /dev/null ]
}

# --- session, terminal, directory -------------------------------------------

@test "the program has its own session and process group, no terminal, cwd /" {
	envdump_service web
	sv -q web start
	started_dump
	pid=$(pid_of web)
	[ "$(dump_value "$DUMP" pid)" = "$pid" ]
	[ "$(dump_value "$DUMP" pgid)" = "$pid" ]
	sid=$(dump_value "$DUMP" sid)
	my_sid=$(awk '{ sub(/.*\) /, ""); print $4 }' /proc/$$/stat)
	[ "$sid" != "$my_sid" ]
	# fork, setsid, fork: not a session leader, so it can never get a terminal
	[ "$sid" != "$pid" ]
	[ "$(dump_value "$DUMP" tty)" = 0 ]
	[ "$(dump_value "$DUMP" cwd)" = / ]
	# svcctl did not stay around as its parent
	ppid=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$pid/stat")
	[ "$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$pid/stat")" != "$$" ]
	[[ "$(tr '\0' ' ' <"/proc/$ppid/cmdline")" != *svcctl* ]]
}

@test "started from a terminal, the program still has none" {
	command -v script >/dev/null || skip "script(1) from util-linux is not installed"
	envdump_service web
	run script -qec "'$SVCCTL' -c '$CONF' -q web start" /dev/null
	show
	[ "$status" -eq 0 ]
	started_dump
	[ "$(dump_value "$DUMP" tty)" = 0 ]
	pid=$(pid_of web)
	for fd in 0 1 2; do
		[[ "$(readlink "/proc/$pid/fd/$fd")" != /dev/pts/* ]]
	done
}

@test "directory = is the program's working directory" {
	envdump_service web "directory = $SB"
	sv -q web start
	started_dump
	[ "$(dump_value "$DUMP" cwd)" = "$SB" ]
}

@test "nice and limit_nofile are applied" {
	envdump_service web "nice = 5" "limit_nofile = 100:200"
	sv -q web start
	started_dump
	pid=$(pid_of web)
	[ "$(awk '{ sub(/.*\) /, ""); print $17 }' "/proc/$pid/stat")" = 5 ]
	grep -Eq '^Max open files +100 +200 ' "/proc/$pid/limits"
}

# --- environment -------------------------------------------------------------

@test "nothing from the caller's environment leaks in; PATH is the standard one" {
	envdump_service web
	SVCCTL_TEST_LEAK=1 PATH="$SB/bin:$PATH" HOME=/tmp/not-home LC_ALL=C TERM=dumb \
		sv -q web start
	started_dump
	refute grep -q '^env:SVCCTL_TEST_LEAK=' "$DUMP"
	refute grep -q '^env:LC_ALL=' "$DUMP"
	refute grep -q '^env:TERM=' "$DUMP"
	refute grep -q '^env:ASAN_OPTIONS=' "$DUMP"
	grep -qx "env:PATH=$STD_PATH" "$DUMP"
	refute grep -q '^env:HOME=/tmp/not-home' "$DUMP"
	# only the variables the contract names
	extra=$(sed -n 's/^env:\([^=]*\)=.*/\1/p' "$DUMP" | grep -Evx 'PATH|LANG|HOME|USER|LOGNAME|SHELL' || true)
	echo "unexpected: $extra"
	[ -z "$extra" ]
}

@test "the environment is the same from a full shell and from env -i" {
	envdump_service web
	# LANG is the one variable passed on by design
	env -u LANG SVCCTL_TEST_LEAK=1 "$SVCCTL" -c "$CONF" -q web start
	started_dump
	grep '^env:' "$DUMP" >"$SB/from-shell"
	sv -q web stop
	rm "$DUMP"
	env -i ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$SVCCTL" -c "$CONF" -q web start
	started_dump
	grep '^env:' "$DUMP" >"$SB/from-boot"
	diff "$SB/from-shell" "$SB/from-boot"
}

@test "LANG is passed on when set" {
	envdump_service web
	LANG=C.UTF-8 sv -q web start
	started_dump
	grep -qx 'env:LANG=C.UTF-8' "$DUMP"
}

@test "environment_file, then [environment], override in that order" {
	cat >"$SB/env" <<-'EOF'
		# a comment
		FROM_FILE=file
		SHARED=from-file
		export EXPORTED=yes
		QUOTED="a b"
		PATH=/file/bin
	EOF
	envdump_service web "environment_file = $SB/env"
	cat >>"$SB/services/web.ini" <<-'EOF'
		[environment]
		SHARED = from-ini
		FROM_INI = ini value
	EOF
	sv -q web start
	started_dump
	grep -qx 'env:FROM_FILE=file' "$DUMP"
	grep -qx 'env:FROM_INI=ini value' "$DUMP"
	grep -qx 'env:SHARED=from-ini' "$DUMP"
	grep -qx 'env:EXPORTED=yes' "$DUMP"
	grep -qx 'env:QUOTED=a b' "$DUMP"
	grep -qx 'env:PATH=/file/bin' "$DUMP"
	[ "$(grep -c '^env:SHARED=' "$DUMP")" -eq 1 ]
	[ "$(grep -c '^env:PATH=' "$DUMP")" -eq 1 ]
}

@test "[environment] overrides the standard variables too" {
	envdump_service web
	cat >>"$SB/services/web.ini" <<-'EOF'
		[environment]
		PATH = /ini/bin
		HOME = /ini/home
	EOF
	sv -q web start
	started_dump
	grep -qx 'env:PATH=/ini/bin' "$DUMP"
	grep -qx 'env:HOME=/ini/home' "$DUMP"
	[ "$(grep -c '^env:HOME=' "$DUMP")" -eq 1 ]
}

@test "environment_file = -/missing is optional; a missing required one fails the start" {
	envdump_service web "environment_file = -$SB/missing"
	run sv web start
	show
	[ "$status" -eq 0 ]
	started_dump
	sv -q web stop
	rm "$DUMP"
	envdump_service web "environment_file = $SB/missing"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"$SB/missing"* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$DUMP"
}

@test "a malformed environment_file line: exit 6 with FILE:LINE" {
	printf 'GOOD=1\nnot a pair\n' >"$SB/env"
	envdump_service web "environment_file = $SB/env"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"$SB/env:2"* ]]
	refute_file "$SB/run/web.pid"
	refute_file "$DUMP"
}

# --- a piped start -----------------------------------------------------------

@test "a piped start ends: the program does not keep the caller's stdout open" {
	envdump_service web
	run timeout 10 bash -c '"$1" -c "$2" web start | cat' _ "$SVCCTL" "$CONF"
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "web: started (pid "* ]]
}

@test "a piped start ends with stderr in the pipe too" {
	make_service web "exec = sleep 1000"
	run timeout 10 bash -c '"$1" -c "$2" web start 2>&1 | cat' _ "$SVCCTL" "$CONF"
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "web: started (pid "* ]]
}

# --- users -------------------------------------------------------------------

@test "as root, user = nobody runs the program as nobody with its HOME, USER, LOGNAME" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
	shared_dir
	chmod 0777 "$SHARED"
	cp "$PROGS/envdump" "$SHARED/envdump"
	chmod 0755 "$SHARED/envdump"
	DUMP=$SHARED/env.out
	make_service web "exec = $SHARED/envdump $DUMP" "user = nobody"
	run sv web start
	show
	[ "$status" -eq 0 ]
	started_dump
	pid=$(pid_of web)
	uid=$(id -u nobody)
	gid=$(id -g nobody)
	grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid\$" "/proc/$pid/status"
	grep -Eq "^Gid:\s+$gid\s+$gid\s+$gid\s+$gid\$" "/proc/$pid/status"
	# root's supplementary groups are gone: the program has nobody's
	[ "$(groups_of "$pid")" = "$(id -G nobody | tr ' ' '\n' | sort -n | paste -sd' ')" ]
	home=$(getent passwd nobody | cut -d: -f6)
	grep -qx "env:HOME=$home" "$DUMP"
	grep -qx 'env:USER=nobody' "$DUMP"
	grep -qx 'env:LOGNAME=nobody' "$DUMP"
	[ "$(stat -c %U "$DUMP")" = nobody ]
	run sv web status
	[ "$status" -eq 0 ]
	run sv web stop
	[ "$status" -eq 0 ]
	is_dead "$pid"
}

# the supplementary groups of PID, sorted, on one line
groups_of() {
	sed -n 's/^Groups:\s*//p' "/proc/$1/status" | tr -s ' \t' '\n' | sed '/^$/d' | sort -n |
		paste -sd' '
}

@test "as root, user = nobody: the program has nobody's groups, not the caller's" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
	# svcctl itself runs with supplementary groups the program must not keep
	make_service web "exec = sleep 1000" "user = nobody"
	run setpriv --groups 4,24,27 -- "$SVCCTL" -c "$CONF" web start
	show
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	echo "groups: '$(groups_of "$pid")', nobody's: '$(id -G nobody)'"
	[ "$(groups_of "$pid")" = "$(id -G nobody | tr ' ' '\n' | sort -n | paste -sd' ')" ]
	grep -Eq "^Uid:\s+$(id -u nobody)\s" "/proc/$pid/status"
}

@test "as root, group = sets the group" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch groups"
	getent group nogroup >/dev/null || skip "no group nogroup"
	make_service web "exec = sleep 1000" "user = nobody" "group = nogroup"
	sv -q web start
	pid=$(pid_of web)
	gid=$(getent group nogroup | cut -d: -f3)
	grep -Eq "^Gid:\s+$gid\s+$gid\s+$gid\s+$gid\$" "/proc/$pid/status"
}

# as_nobody CMD...: runs CMD as nobody:nogroup with no supplementary groups
as_nobody() {
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups -- "$@"
}

# nobody_sandbox: a whole svcctl sandbox owned by nobody, with its own copy
# of svcctl and the programs, so nothing of root's is needed
nobody_sandbox() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become nobody"
	command -v setpriv >/dev/null || skip "setpriv(1) from util-linux is not installed"
	shared_dir
	NB=$SHARED
	mkdir -p "$NB/services" "$NB/bin"
	cp "$SVCCTL" "$NB/bin/svcctl"
	cp "$PROGS/envdump" "$PROGS/exitafter" "$NB/bin/"
	cat >"$NB/svcctl.conf" <<-EOF
		services_dir = "$NB/services"
		run_dir = "$NB/run"
		log_dir = "$NB/log"
		ready_seconds = 0.3
		stop_timeout = 5
	EOF
	chown -R nobody "$NB"
}

nb() {
	as_nobody env HOME="$NB" "$NB/bin/svcctl" -c "$NB/svcctl.conf" "$@"
}

@test "as non-root, a service with user = another user exits 4" {
	nobody_sandbox
	printf '[service]\nexec = %s\nuser = root\n' "$NB/bin/exitafter 0 1000 $MARK" >"$NB/services/web.ini"
	chown nobody "$NB/services/web.ini"
	run --separate-stderr nb web start
	show
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"svcctl: web: "* ]]
	no_marked_left
	refute_file "$NB/run/web.pid"
}

@test "as non-root, group = another group exits 4" {
	nobody_sandbox
	printf '[service]\nexec = %s\ngroup = root\n' "$NB/bin/exitafter 0 1000 $MARK" >"$NB/services/web.ini"
	chown nobody "$NB/services/web.ini"
	run --separate-stderr nb web start
	show
	[ "$status" -eq 4 ]
	no_marked_left
}

@test "as non-root, status without permission to read the pidfile exits 4" {
	nobody_sandbox
	printf '[service]\nexec = %s\n' "$NB/bin/exitafter 0 1000 $MARK" >"$NB/services/web.ini"
	chown nobody "$NB/services/web.ini"
	mkdir -p "$NB/run"
	echo 1 >"$NB/run/web.pid"
	chmod 0700 "$NB/run"
	chown root "$NB/run"
	run nb web status
	show
	[ "$status" -eq 4 ]
}

@test "as non-root, a service of one's own runs, and user = oneself is allowed" {
	nobody_sandbox
	printf '[service]\nexec = %s\nuser = nobody\n' "$NB/bin/envdump $NB/env.out" >"$NB/services/web.ini"
	chown nobody "$NB/services/web.ini"
	run nb web start
	show
	[ "$status" -eq 0 ]
	pid=$(cat "$NB/run/web.pid")
	track_pid "$pid"
	wait_dump "$NB/env.out"
	uid=$(id -u nobody)
	grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid\$" "/proc/$pid/status"
	grep -qx 'env:USER=nobody' "$NB/env.out"
	run nb web status
	show
	[ "$status" -eq 0 ]
	run nb web stop
	show
	[ "$status" -eq 0 ]
	is_dead "$pid"
}
