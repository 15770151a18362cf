#!/usr/bin/env bats
# User mode (DESIGN 3): a user with nothing but
# ~/.config/svcctl/services/NAME.ini, no -c and no SVCCTL_CONFIG, can check,
# start, see, follow, reload, restart and stop it; enable and disable need
# root unless initd_dir and rc_dir are the user's own.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	# nobody must reach its HOME: BATS_TEST_TMPDIR's parents are root's
	# only, so the home is a directory of its own under /tmp, removed in
	# teardown like sandbox_for_nobody's
	U=$(mktemp -d /tmp/svcctl-user.XXXXXX)
	echo "$U" >"$BATS_TEST_TMPDIR/public-sandbox"
	chmod 0755 "$U"
	H=$U/home
	mkdir -p "$H/.config/svcctl/services" "$U/bin"
	cp "$SVCCTL" "$U/bin/svcctl"
	cp "$PROGS/onsignal" "$U/bin/onsignal"
	chmod 0755 "$U/bin" "$U/bin/svcctl" "$U/bin/onsignal"
	cat >"$H/.config/svcctl/services/web.ini" <<-EOF
		[service]
		description = user web
		exec = $U/bin/onsignal $H/signals $MARK
		ready_seconds = 0.3
		stop_timeout = 5
	EOF
	chown -R nobody:nogroup "$H"
}

teardown() {
	supervise_teardown
}

# usv ARGS...: svcctl as nobody with HOME (and XDG_RUNTIME_DIR when set in
# XDG), no -c, no SVCCTL_CONFIG
usv() {
	as_nobody env HOME="$H" ${XDG:+XDG_RUNTIME_DIR="$XDG"} "$U/bin/svcctl" "$@"
}

# every action a user needs, with run_dir RUN
user_actions_work() {
	local run=$1
	run usv web check
	show
	[ "$status" -eq 0 ]
	run usv web start
	show
	[ "$status" -eq 0 ]
	pid=$(cat "$run/web.pid")
	[ "$(stat -c %U "/proc/$pid")" = nobody ]
	# run_dir is the user's alone
	[ "$(stat -c '%U %a' "$run")" = "nobody 700" ]
	run usv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"PID: $pid"* ]]
	run usv status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *web*running* ]]
	echo "a line" >>"$H/.local/state/svcctl/log/web.log"
	run usv web logs -n 1
	show
	[ "$status" -eq 0 ]
	[ "$output" = "a line" ]
	run usv web reload
	show
	[ "$status" -eq 0 ]
	wait_for 20 grep -q HUP "$H/signals"
	run usv web restart
	show
	[ "$status" -eq 0 ]
	[ "$(cat "$run/web.pid")" != "$pid" ]
	run usv web initscript
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"### BEGIN INIT INFO"* ]]
	run usv web stop
	show
	[ "$status" -eq 0 ]
	no_marked_left
	run usv web status
	[ "$status" -eq 3 ]
}

@test "a user with only ~/.config/svcctl/services/web.ini: every action works, no -c (no XDG_RUNTIME_DIR)" {
	XDG=
	user_actions_work "$H/.local/state/svcctl/run"
}

@test "a user with XDG_RUNTIME_DIR: run_dir is \$XDG_RUNTIME_DIR/svcctl, 0700" {
	XDG=$U/xdg
	mkdir -m 0700 "$XDG"
	chown nobody:nogroup "$XDG"
	user_actions_work "$XDG/svcctl"
	refute_file "$H/.local/state/svcctl/run"
}

@test "logs -f as a user follows the user's log" {
	XDG=
	usv -q web start
	echo before >>"$H/.local/state/svcctl/log/web.log"
	# setpriv execs svcctl: $! is the follower itself
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env \
		env ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" HOME="$H" \
		"$U/bin/svcctl" web logs -f -n 1 </dev/null >"$U/out" 2>&1 3>&- &
	follower=$!
	track_pid "$follower"
	wait_for 20 grep -qx before "$U/out"
	echo followed >>"$H/.local/state/svcctl/log/web.log"
	wait_for 20 grep -qx followed "$U/out"
	kill -TERM "$follower"
	rc=0
	wait "$follower" || rc=$?
	[ "$rc" -eq 0 ]
	usv -q web stop
}

@test "enable and disable as a user with the system's boot directories: exit 4, saying what to set, nothing written" {
	XDG=
	run --separate-stderr usv web enable
	show
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"enable needs root, or initd_dir and rc_dir that you own: set them in ~/.config/svcctl/svcctl.conf"* ]]
	[ ! -e /etc/init.d/web ] || [ "$(stat -c %U /etc/init.d/web)" = root ]
	run --separate-stderr usv web disable
	show
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"disable needs root, or initd_dir and rc_dir that you own"* ]]
	# only asking is fine
	run usv web is-enabled
	[ "$status" -eq 1 ]
}

@test "enable and disable as a user with initd_dir and rc_dir of the user's own" {
	XDG=
	cat >"$H/.config/svcctl/svcctl.conf" <<-EOF
		initd_dir = "$H/boot/init.d"
		rc_dir = "$H/boot"
	EOF
	chown nobody:nogroup "$H/.config/svcctl/svcctl.conf"
	run usv web enable
	show
	[ "$status" -eq 0 ]
	[ -x "$H/boot/init.d/web" ]
	[ "$(readlink "$H/boot/rc3.d/S50web")" = "../init.d/web" ] ||
		[ "$(readlink "$H/boot/rc3.d/S50web")" = "$H/boot/init.d/web" ]
	run usv web is-enabled
	[ "$status" -eq 0 ]
	run usv web disable
	show
	[ "$status" -eq 0 ]
	[ ! -e "$H/boot/init.d/web" ]
	run usv web is-enabled
	[ "$status" -eq 1 ]
}

@test "a user with no services directory: status lists nothing, exit 0, and says where services go" {
	XDG=
	rm -rf "$H/.config"
	run --separate-stderr usv status
	show
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no services: write one as $H/.config/svcctl/services/NAME.ini"* ]]
	run --separate-stderr usv web status
	show
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"no such service"* ]]
	run usv check
	[ "$status" -eq 0 ]
}

@test "a fork refused by the process limit is said, with the step, never as a closed pipe; nothing is left running" {
	cat >"$H/.config/svcctl/services/sup.ini" <<-EOF
		[service]
		exec = $U/bin/onsignal $H/signals $MARK
		restart = always
		ready_seconds = 0.3
	EOF
	chown nobody:nogroup "$H/.config/svcctl/services/sup.ini"
	# lower and lower process limits: somewhere the fork of the monitor
	# itself is refused, then the fork of the first middle process
	# (LeakSanitizer needs a thread at exit, which the limit refuses too)
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
		run as_nobody env HOME="$H" SV="$U/bin/svcctl" sh -c '
		for k in 0 1 2 3; do
			n=$(ps -u nobody --no-headers | wc -l)
			prlimit --nproc=$((n - k)) "$SV" sup start 2>&1
			echo "rc=$?"
			"$SV" sup stop >/dev/null 2>&1
		done'
	show
	[[ "$output" != *"Broken pipe"* ]]
	[[ "$output" == *"sup: fork monitor: Resource temporarily unavailable"* ]]
	# every start either started or failed with 1, nothing else
	[ "$(grep -c '^rc=' <<<"$output")" -eq 4 ]
	[ "$(grep '^rc=' <<<"$output" | grep -cv '^rc=[01]$')" -eq 0 ]
	[ "$(count_marked)" -eq 0 ]
}
