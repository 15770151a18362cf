#!/usr/bin/env bats
# Trust boundaries on paths (DESIGN 4.13): svcctl, as root, never creates,
# reads or prints a file through a link that the service's user planted,
# checks a file's owner on the descriptor it then reads, never blocks on a
# FIFO or device where a file should be, and trusts only a run_dir that
# nobody else can write. The attacker is nobody, acting in a directory
# nobody owns; the target is a root-only directory of the test.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	command -v setpriv >/dev/null || skip "setpriv(1) from util-linux is not installed"
	# a sandbox nobody can reach: $BATS_TEST_TMPDIR's parents are root's
	SB=$(mktemp -d /tmp/svcctl-trust.XXXXXX)
	echo "$SB" >"$BATS_TEST_TMPDIR/public-sandbox"
	chmod 0755 "$SB"
	CONF=$SB/svcctl.conf
	mkdir -p "$SB/services" "$SB/run" "$SB/log" "$SB/bin" "$SB/secret"
	chmod 0700 "$SB/secret"
	echo "TOPSECRET root-only line" >"$SB/secret/shadow"
	chmod 0600 "$SB/secret/shadow"
	cp "$PROGS/exitafter" "$PROGS/swapper" "$SB/bin/"
	# the service user's own directory, where it may plant links
	U=$SB/home
	mkdir "$U"
	chown nobody:nogroup "$U"
	cat >"$CONF" <<-EOF
		services_dir = "$SB/services"
		run_dir = "$SB/run"
		log_dir = "$SB/log"
		ready_seconds = 0.3
		stop_timeout = 5
	EOF
}

# the attacker: nobody with no groups, the sanitizer settings kept
evil() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# start_evil CMD...: runs CMD as nobody in the background, sets EVIL_PID
start_evil() {
	# shellcheck disable=SC2217 # no descriptor of bats may stay open
	evil "$@" </dev/null >/dev/null 2>&1 3>&- &
	EVIL_PID=$!
	track_pid "$EVIL_PID"
}

# the root-only directory holds nothing but what the test put there
secret_untouched() {
	[ "$(ls -A "$SB/secret")" = "shadow" ]
}

@test "stdout: a directory on the path swapped for a link to a root-only dir is refused, nothing created there" {
	evil mkdir "$U/logs"
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"stdout = $U/logs/web.log"
	# nobody replaces its directory with a link to root's
	evil rmdir "$U/logs"
	evil ln -s "$SB/secret" "$U/logs"
	run timeout 20 "$SVCCTL" -c "$CONF" web start
	[ "$status" -ne 0 ]
	[[ "$output" == *"web: log $U/logs/web.log: goes through a symbolic link in a directory another user can write"* ]]
	secret_untouched
	no_marked_left
}

@test "stdout: a link the service's user planted as the log itself is refused with a clear message" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"stdout = $U/web.log"
	evil ln -s "$SB/secret/new.log" "$U/web.log"
	run timeout 20 "$SVCCTL" -c "$CONF" web start
	[ "$status" -ne 0 ]
	[[ "$output" == *"is a symbolic link in a directory another user can write"* ]]
	secret_untouched
	no_marked_left
}

@test "pidfile: a directory on a configured pidfile's path swapped for a link to a root-only dir: nothing created there" {
	evil mkdir "$U/pids"
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"pidfile = $U/pids/web.pid"
	evil rmdir "$U/pids"
	evil ln -s "$SB/secret" "$U/pids"
	run timeout 20 "$SVCCTL" -c "$CONF" web start
	[ "$status" -ne 0 ]
	[[ "$output" == *"symbolic link"* ]]
	secret_untouched
	wait_until no_marked_left
}

@test "directory: a link the service's user put at directory = is refused, root's chdir does not follow it" {
	evil mkdir "$U/work"
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"directory = $U/work" "stdout = $SB/log/web.log"
	evil rmdir "$U/work"
	evil ln -s "$SB/secret" "$U/work"
	run timeout 20 "$SVCCTL" -c "$CONF" web start
	[ "$status" -ne 0 ]
	[[ "$output" == *"chdir $U/work: is a symbolic link in a directory another user can write"* ]]
	no_marked_left
}

@test "logs: a log that is the user's link to a root-only file is not printed" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"stdout = $U/web.log"
	evil ln -s "$SB/secret/shadow" "$U/web.log"
	run timeout 20 "$SVCCTL" -c "$CONF" web logs
	[ "$status" -ne 0 ]
	[[ "$output" != *TOPSECRET* ]]
	[[ "$output" == *"is a symbolic link in a directory another user can write"* ]]
}

@test "status: a log that is the user's link to a root-only file is not printed" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"stdout = $U/web.log"
	evil ln -s "$SB/secret/shadow" "$U/web.log"
	run timeout 20 "$SVCCTL" -c "$CONF" web status
	[ "$status" -eq 3 ]
	[[ "$output" != *TOPSECRET* ]]
}

@test "environment_file swapped with RENAME_EXCHANGE in a loop never gets EVIL=1 into a root program" {
	printf 'GOOD=1\n' >"$U/env"
	chmod 0644 "$U/env"
	evil sh -c "printf 'EVIL=1\n' >'$U/evil'"
	make_service web "exec = /bin/sh -c 'echo EVIL=\${EVIL:-no}'" \
		"environment_file = $U/env" "ready_seconds = 0" "stdout = $SB/log/web.log"
	start_evil "$SB/bin/swapper" "$U/env" "$U/evil"
	deadline=$((SECONDS + 15))
	for _ in $(seq 1 60); do
		[ "$SECONDS" -lt "$deadline" ] || break
		"$SVCCTL" -q -c "$CONF" web start >/dev/null 2>"$SB/err" || true
		if grep -q '^EVIL=1$' "$SB/log/web.log" 2>/dev/null; then
			break
		fi
	done
	kill "$EVIL_PID"
	run grep -qs '^EVIL=1$' "$SB/log/web.log"
	[ "$status" -ne 0 ]
	# refused whichever file the name holds: the directory is nobody's
	grep -q "env: is in a directory a user other than root can write" "$SB/err"
}

@test "environment_file: a root-owned file the service's user renamed into place is refused" {
	# the service's own log is root's, 0640, and its content the service's:
	# nobody renames it to the name a root service reads its environment from
	make_service writer "exec = /bin/sh -c 'echo FOO=injected; exec sleep 1000'" \
		"user = nobody" "stdout = $U/out.log" "ready_seconds = 0"
	make_service victim "exec = /bin/sh -c 'echo FOO=\${FOO:-clean}; exec sleep 1000'" \
		"environment_file = -$U/env" "ready_seconds = 0" "stdout = $SB/log/victim.log"
	run timeout 20 "$SVCCTL" -c "$CONF" writer start
	[ "$status" -eq 0 ]
	track_pid "$(cat "$SB/run/writer.pid")"
	wait_until grep -q 'FOO=injected' "$U/out.log"
	[ "$(stat -c %U "$U/out.log")" = root ]
	evil mv "$U/out.log" "$U/env"
	run timeout 20 "$SVCCTL" -c "$CONF" victim start
	show
	[ "$status" -eq 6 ]
	[[ "$output" == *"env: is in a directory a user other than root can write"* ]]
	refute_file "$SB/run/victim.pid"
	run grep -qs 'FOO=injected' "$SB/log/victim.log"
	[ "$status" -ne 0 ]
	timeout 20 "$SVCCTL" -c "$CONF" writer stop
}

@test "svcctl.conf swapped with RENAME_EXCHANGE in a loop is never read from the user's file" {
	mkdir "$SB/evil-services"
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	printf '[service]\nexec = /bin/true\n' >"$SB/evil-services/pwned.ini"
	cp "$CONF" "$U/svcctl.conf"
	chmod 0644 "$U/svcctl.conf"
	evil sh -c "printf 'services_dir = \"$SB/evil-services\"\nrun_dir = \"$SB/run\"\n' >'$U/evil.conf'"
	start_evil "$SB/bin/swapper" "$U/svcctl.conf" "$U/evil.conf"
	seen=no
	deadline=$((SECONDS + 15))
	for _ in $(seq 1 60); do
		[ "$SECONDS" -lt "$deadline" ] || break
		out=$("$SVCCTL" -c "$U/svcctl.conf" status 2>&1 || true)
		if [[ "$out" == *pwned* ]]; then
			seen=yes
			break
		fi
	done
	kill "$EVIL_PID"
	[ "$seen" = no ]
}

@test "a FIFO as NAME.ini: status, check and --all report it invalid instead of hanging" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	mkfifo "$SB/services/x.ini"
	run timeout 20 "$SVCCTL" -c "$CONF" x status
	[ "$status" -eq 4 ]
	[[ "$output" == *"x.ini: is not a regular file"* ]]
	run timeout 20 "$SVCCTL" -c "$CONF" x check
	[ "$status" -eq 6 ]
	[[ "$output" == *"x.ini: is not a regular file"* ]]
	run timeout 20 "$SVCCTL" -c "$CONF" check
	[ "$status" -eq 6 ]
	run timeout 20 "$SVCCTL" -c "$CONF" status
	[ "$status" -eq 3 ]
	[[ "$output" == *"x "*invalid* ]]
}

@test "a FIFO as environment_file: start fails with one message instead of hanging" {
	mkfifo "$SB/env.fifo"
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "environment_file = $SB/env.fifo"
	run timeout 20 "$SVCCTL" -c "$CONF" web start
	[ "$status" -eq 6 ]
	[[ "$output" == *"env.fifo: is not a regular file"* ]]
	no_marked_left
}

@test "a FIFO as stdout: start fails instead of hanging with the lock held" {
	mkfifo "$SB/out.fifo"
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "stdout = $SB/out.fifo"
	run timeout 20 "$SVCCTL" -c "$CONF" web start
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[[ "$output" == *"out.fifo: is not a regular file"* ]]
	# the lock is free again
	run timeout 20 "$SVCCTL" -c "$CONF" web stop
	[ "$status" -eq 0 ]
	no_marked_left
}

@test "-c naming a FIFO, /dev/zero or a directory: exit 6 (status 4) with one clear message" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	mkfifo "$SB/conf.fifo"
	for c in "$SB/conf.fifo" /dev/zero "$SB"; do
		run timeout 20 "$SVCCTL" -c "$c" web start
		[ "$status" -eq 6 ]
		[[ "$output" == "svcctl: $c: is "* ]]
		[[ "$output" != *flex* ]]
		run timeout 20 "$SVCCTL" -c "$c" web status
		[ "$status" -eq 4 ]
		[[ "$output" != *flex* ]]
	done
}

@test "as root, a run_dir another user owns or can write is refused with exit 4" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	chown nobody "$SB/run"
	run "$SVCCTL" -c "$CONF" web start
	[ "$status" -eq 4 ]
	[[ "$output" == *"run_dir $SB/run: is owned by a user other than root"* ]]
	run "$SVCCTL" -c "$CONF" web status
	[ "$status" -eq 4 ]
	chown root "$SB/run"
	chmod 0777 "$SB/run"
	run "$SVCCTL" -c "$CONF" web start
	[ "$status" -eq 4 ]
	[[ "$output" == *"is writable by group or other"* ]]
	no_marked_left
}

@test "as root, a service file in a services_dir other users can write is refused" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	chmod 0777 "$SB/services"
	run "$SVCCTL" -c "$CONF" web start
	[ "$status" -eq 6 ]
	[[ "$output" == *"web.ini: is in a directory a user other than root can write"* ]]
	run "$SVCCTL" -c "$CONF" web status
	[ "$status" -eq 4 ]
	chmod 0755 "$SB/services"
	chown nobody "$SB/services"
	run "$SVCCTL" -c "$CONF" web check
	[ "$status" -eq 6 ]
	no_marked_left
}

@test "as root, the list of a services_dir other users can write reports every service invalid, none read" {
	for name in a b c; do
		make_service "$name" "description = listed $name" "exec = $SB/bin/exitafter 0 1000 $MARK"
	done
	chmod 0777 "$SB/services"
	run "$SVCCTL" -c "$CONF" status
	[ "$status" -eq 3 ]
	for name in a b c; do
		grep -qE "^$name +invalid .*$name.ini: is in a directory a user other than root can write" <<<"$output"
	done
	[[ "$output" != *"listed"* ]]
	run "$SVCCTL" -c "$CONF" --json status
	[ "$status" -eq 3 ]
	[ "$(grep -o '"state":"invalid"' <<<"$output" | wc -l)" -eq 3 ]
	no_marked_left
}

@test "user mode: a foreign 0777 run_dir in a shared XDG_RUNTIME_DIR is refused with exit 4" {
	xdg=$SB/xdg
	mkdir -m 1777 "$xdg"
	# someone else got there first
	mkdir -m 0777 "$xdg/svcctl"
	chmod 0777 "$xdg/svcctl"
	home=$SB/nbhome
	mkdir -p "$home/.config/svcctl/services"
	printf '[service]\nexec = %s\n' "$SB/bin/exitafter 0 1000 $MARK" \
		>"$home/.config/svcctl/services/web.ini"
	chown -R nobody:nogroup "$home"
	cp "$SVCCTL" "$SB/bin/svcctl"
	nb() {
		evil env HOME="$home" XDG_RUNTIME_DIR="$xdg" XDG_CONFIG_HOME="$home/.config" \
			"$SB/bin/svcctl" "$@"
	}
	run nb web start
	[ "$status" -eq 4 ]
	[[ "$output" == *"run_dir $xdg/svcctl: is writable by group or other"* ]]
	run nb web status
	[ "$status" -eq 4 ]
	no_marked_left
	# another user's directory, not writable by the caller's peers, still is not the caller's
	chmod 0755 "$xdg/svcctl"
	chown 12345 "$xdg/svcctl"
	run nb web status
	[ "$status" -eq 4 ]
	[[ "$output" == *"is owned by another user"* ]]
}

@test "files svcctl creates do not depend on the caller's umask" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	rmdir "$SB/run" "$SB/log"
	run sh -c "umask 077 && exec '$SVCCTL' -c '$CONF' -q web start"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$SB/run/web.pid")" = 644 ]
	[ "$(stat -c %a "$SB/run/web.state")" = 644 ]
	[ "$(stat -c %a "$SB/run")" = 755 ]
	[ "$(stat -c '%u %a' "$SB/log/web.log")" = "0 640" ]
	run sh -c "umask 000 && exec '$SVCCTL' -c '$CONF' -q web restart"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$SB/run/web.pid")" = 644 ]
	[ "$(stat -c %a "$SB/run/web.state")" = 644 ]
}

@test "temporary files a killed svcctl left in run_dir are swept by the next write" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK"
	# a PID that no longer runs
	sh -c 'echo $$ >"$1"' sh "$BATS_TEST_TMPDIR/deadpid"
	dead=$(cat "$BATS_TEST_TMPDIR/deadpid")
	wait_until is_dead "$dead"
	printf 'half' >"$SB/run/web.state.tmp$dead"
	printf '12' >"$SB/run/web.pid.tmp$dead"
	run "$SVCCTL" -c "$CONF" -q web start
	[ "$status" -eq 0 ]
	[ ! -e "$SB/run/web.state.tmp$dead" ]
	[ ! -e "$SB/run/web.pid.tmp$dead" ]
	[ -z "$(find "$SB/run" -name '*.tmp*')" ]
}

@test "a pidfile and log in a directory the service's user owns work, and are root's" {
	make_service web "exec = $SB/bin/exitafter 0 1000 $MARK" "user = nobody" \
		"pidfile = $U/web.pid" "stdout = $U/web.log"
	run "$SVCCTL" -c "$CONF" -q web start
	[ "$status" -eq 0 ]
	[ "$(stat -c '%u %a' "$U/web.pid")" = "0 644" ]
	[ "$(stat -c '%u %a' "$U/web.log")" = "0 640" ]
	run "$SVCCTL" -c "$CONF" web status
	[ "$status" -eq 0 ]
	run "$SVCCTL" -c "$CONF" -q web stop
	[ "$status" -eq 0 ]
	wait_until no_marked_left
}

@test "user mode: an environment_file another user swaps with RENAME_EXCHANGE is checked on what is read" {
	# svcctl runs as nobody; the file sits in a directory daemon can write
	# too, and daemon swaps its own file in and out of the name
	D=$SB/shared
	mkdir -m 0777 "$D"
	N=$SB/nb
	mkdir -p "$N/services" "$N/run" "$N/log"
	cp "$SVCCTL" "$SB/bin/svcctl"
	cat >"$N/svcctl.conf" <<-EOF2
		services_dir = "$N/services"
		run_dir = "$N/run"
		log_dir = "$N/log"
	EOF2
	printf '[service]\nexec = /bin/sh -c "echo EVIL=${EVIL:-no}"\nenvironment_file = %s\nready_seconds = 0\n' \
		"$D/env" >"$N/services/web.ini"
	chown -R nobody:nogroup "$N"
	chmod 0700 "$N/run"
	evil sh -c "printf 'GOOD=1\n' >'$D/env'"
	setpriv --reuid=daemon --regid=daemon --clear-groups -- sh -c "printf 'EVIL=1\n' >'$D/evil'"
	# shellcheck disable=SC2217 # no descriptor of bats may stay open
	setpriv --reuid=daemon --regid=daemon --clear-groups -- "$SB/bin/swapper" "$D/env" "$D/evil" \
		</dev/null >/dev/null 2>&1 3>&- &
	EVIL_PID=$!
	track_pid "$EVIL_PID"
	deadline=$((SECONDS + 30))
	for _ in $(seq 1 200); do
		[ "$SECONDS" -lt "$deadline" ] || break
		evil "$SB/bin/svcctl" -q -c "$N/svcctl.conf" web start >/dev/null 2>&1 || true
		if grep -q '^EVIL=1$' "$N/log/web.log" 2>/dev/null; then
			break
		fi
	done
	kill "$EVIL_PID"
	run grep -qs '^EVIL=1$' "$N/log/web.log"
	[ "$status" -ne 0 ]
	# the program did run, with nobody's own file
	grep -q '^EVIL=no$' "$N/log/web.log"
}
