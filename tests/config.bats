#!/usr/bin/env bats
# NAME.ini and svcctl.conf: every problem is an error with FILE:LINE, never
# ignored, and nothing is started from an invalid configuration.

load test_helper
load extra_helper

# expect_invalid NAME LINE: check and start of NAME exit 6, stderr names
# NAME.ini:LINE, and nothing was started
expect_invalid() {
	local name=$1 line=$2 action
	for action in check start; do
		run --separate-stderr sv "$name" "$action"
		show
		[ "$status" -eq 6 ]
		[[ "$stderr" == *"$SB/services/$name.ini:$line: "* ]]
	done
	no_marked_left
	refute_file "$SB/run/$name.pid"
}

@test "a valid service: check exits 0 and says ok" {
	marked_service web "description = Web server"
	run sv web check
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: ok" ]
}

@test "an unknown key: check and start exit 6 with NAME.ini:LINE" {
	marked_service web "description = x" "colour = blue"
	expect_invalid web 4
	[[ "$stderr" == *colour* ]]
}

@test "an unknown key in [install] and an invalid [environment] name are errors" {
	marked_service web
	printf '[install]\nbogus = 1\n' >>"$SB/services/web.ini"
	expect_invalid web 4
	marked_service web
	printf '[environment]\nNOT-A-NAME = 1\n' >>"$SB/services/web.ini"
	expect_invalid web 4
}

@test "a duplicate key: exit 6, both lines named" {
	marked_service web "description = one" "description = two"
	expect_invalid web 4
	[[ "$stderr" == *"line 3"* ]]
}

@test "an unknown section: exit 6 with its line, even when it holds no key" {
	marked_service web
	printf '[services]\nexec = sleep 1\n' >>"$SB/services/web.ini"
	expect_invalid web 3
	[[ "$stderr" == *services* ]]
	marked_service web
	printf '[bogus]\n' >>"$SB/services/web.ini"
	expect_invalid web 3
}

@test "a key outside any section, and a line that is not key = value, are errors" {
	printf 'exec = %s\n[service]\n' "$PROGS/exitafter 0 1000 $MARK" >"$SB/services/web.ini"
	expect_invalid web 1
	marked_service web "just some words"
	expect_invalid web 3
}

@test "a line over 198 bytes: exit 6 with its line number; 198 bytes is fine" {
	long=$(printf '%*s' 184 '' | tr ' ' x)
	marked_service web "description = $long"
	[ "$(sed -n 3p "$SB/services/web.ini" | tr -d '\n' | wc -c)" -eq 198 ]
	run sv web check
	show
	[ "$status" -eq 0 ]
	marked_service web "description = ${long}y"
	expect_invalid web 3
	[[ "$stderr" == *"longer than"* ]]
	marked_service web "description = ${long}${long}${long}"
	expect_invalid web 3
}

@test "a long line never becomes two: what follows the limit is not read as a key" {
	pad=$(printf '%*s' 250 '' | tr ' ' x)
	marked_service web "description = ${pad}reload_signal = none"
	run --separate-stderr sv web check
	show
	[ "$status" -eq 6 ]
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ]
}

@test "a long exec split over indented continuation lines: the program gets the joined argv" {
	make_service web \
		"exec = $PROGS/argdump $SB/args" \
		"    --first 'two words'" \
		"	--third ; a comment, not an argument" \
		"    \"--name=my agent\" \$HOME" \
		"description = after the continuation"
	run sv web start
	show
	[ "$status" -eq 0 ]
	wait_dump "$SB/args"
	cat "$SB/args"
	[ "$(cat "$SB/args")" = "arg:--first
arg:two words
arg:--third
arg:--name=my agent
arg:\$HOME
done" ]
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "web - after the continuation"* ]]
}

@test "a quoted program path with blanks works, and status verifies it" {
	mkdir -p "$SB/dir with blanks"
	cp "$PROGS/exitafter" "$SB/dir with blanks/prog"
	make_service web "exec = '$SB/dir with blanks/prog' 0 1000 $MARK"
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 1 ]
	track_pid "$(pid_of web)"
	rm "$SB/run/web.state"
	run sv web status
	show
	[ "$status" -eq 0 ]
}

@test "signal names: TERM, SIGTERM, sigterm and 15 all send the same signal" {
	local stop_sig reload_sig i
	local stops=(TERM SIGTERM sigterm 15 INT SIGINT sigint 2)
	local reloads=(USR2 SIGUSR2 usr2 12 HUP SIGHUP hup 1)
	local stop_want=(TERM TERM TERM TERM INT INT INT INT)
	local reload_want=(USR2 USR2 USR2 USR2 HUP HUP HUP HUP)
	for i in "${!stops[@]}"; do
		stop_sig=${stops[$i]}
		reload_sig=${reloads[$i]}
		echo "--- stop_signal = $stop_sig, reload_signal = $reload_sig"
		make_service web "exec = $PROGS/sigstamp $SB/stamps 0 $MARK" \
			"stop_signal = $stop_sig" "reload_signal = $reload_sig"
		run sv web check
		show
		[ "$status" -eq 0 ]
		rm -f "$SB/stamps"
		sv -q web start
		run sv -q web reload
		[ "$status" -eq 0 ]
		wait_until test -s "$SB/stamps"
		run sv -q web stop
		[ "$status" -eq 0 ]
		cat "$SB/stamps"
		# what the program got, in order: the reload signal, then the stop signal
		[ "$(cut -d' ' -f1 "$SB/stamps" | paste -sd' ')" = "${reload_want[$i]} ${stop_want[$i]}" ]
	done
	no_marked_left
}

@test "an indented line that continues no key is an error" {
	printf '[service]\n    exec = sleep 1000\n' >"$SB/services/web.ini"
	expect_invalid web 2
}

@test "comments: whole-line ; and #, and ' ;' inside a value" {
	make_service web \
		"; a comment" \
		"# another" \
		"description = Web server ; the front end" \
		"exec = $PROGS/argdump $SB/args a;b ; c"
	run sv web start
	show
	[ "$status" -eq 0 ]
	wait_dump "$SB/args"
	[ "$(cat "$SB/args")" = "arg:a;b
done" ]
	run sv web status
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "web - Web server"$'\n'* ]]
}

@test "bad values are errors with their line" {
	local bad
	for bad in "type = bogus" "umask = 999" "umask = abc" "stop_signal = FOO" "nice = 50" \
		"nice = -21" "kill_mode = bogus" "restart = sometimes" "ready_seconds = -1" \
		"ready_seconds = soon" "stop_timeout = 1e9" "limit_nofile = lots" \
		"limit_nofile = 200:100" "stdout = relative/path" "stderr = journal" \
		"directory = relative" "pidfile = run/x.pid" "reload_signal = NOPE" \
		"success_exit_codes = 300" "log_max_bytes = big" "environment_file = env"; do
		echo "--- $bad"
		marked_service web "$bad"
		expect_invalid web 3
	done
}

@test "exec: a relative path, an unterminated quote, an empty program name, or none at all is an error" {
	make_service web "exec = bin/prog"
	expect_invalid web 2
	make_service web 'exec = ""'
	expect_invalid web 2
	make_service web "exec = '' arg"
	expect_invalid web 2
	make_service web "exec = sleep 'unterminated"
	expect_invalid web 2
	make_service web "description = no exec"
	run --separate-stderr sv web check
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"web.ini"*exec* ]]
}

@test "an unknown user or group: exit 6 with the line" {
	marked_service web "user = svcctl-no-such-user"
	expect_invalid web 3
	[[ "$stderr" == *svcctl-no-such-user* ]]
	marked_service web "group = svcctl-no-such-group"
	expect_invalid web 3
}

@test "every error in a file is reported, not only the first" {
	marked_service web "colour = blue" "nice = 50" "type = bogus"
	run --separate-stderr sv web check
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"web.ini:3:"* ]]
	[[ "$stderr" == *"web.ini:4:"* ]]
	[[ "$stderr" == *"web.ini:5:"* ]]
}

@test "svcctl.conf: an unknown option exits 6 with svcctl.conf:LINE" {
	marked_service web
	echo "bogus_option = 1" >>"$CONF"
	line=$(wc -l <"$CONF")
	for action in check start; do
		run --separate-stderr sv web "$action"
		show
		[ "$status" -eq 6 ]
		[[ "$stderr" == *"svcctl.conf:$line:"* ]]
	done
	run sv web status
	[ "$status" -eq 4 ]
	no_marked_left
}

@test "svcctl.conf: a bad value exits 6 with its line" {
	marked_service web
	echo "stop_timeout = -5" >>"$CONF"
	line=$(wc -l <"$CONF")
	run --separate-stderr sv web check
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"svcctl.conf:$line:"* ]]
}

@test "a missing -c file exits 6 for start and check, 4 for status" {
	marked_service web
	for action in start check; do
		run --separate-stderr "$SVCCTL" -c "$SB/missing.conf" web "$action"
		show
		[ "$status" -eq 6 ]
		[[ "$stderr" == *"$SB/missing.conf"* ]]
	done
	run "$SVCCTL" -c "$SB/missing.conf" web status
	[ "$status" -eq 4 ]
	no_marked_left
}

@test "SVCCTL_CONFIG is used when there is no -c" {
	marked_service web
	SVCCTL_CONFIG=$CONF run "$SVCCTL" web start
	show
	[ "$status" -eq 0 ]
	is_alive "$(pid_of web)"
}

@test "relative paths in svcctl.conf are relative to its directory" {
	marked_service web
	cat >"$CONF" <<-EOF
		services_dir = "services"
		run_dir = "run"
		log_dir = "log"
		ready_seconds = 0.3
	EOF
	cd /
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ -f "$SB/run/web.pid" ]
	[ -f "$SB/log/web.log" ]
}

@test "status of an unknown service exits 4; start and check of it exit 6" {
	run sv nosuch status
	show
	[ "$status" -eq 4 ]
	run --separate-stderr sv nosuch start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"svcctl: "*nosuch* ]]
	run sv nosuch check
	[ "$status" -eq 6 ]
}

@test "check with no names checks every service and exits 6 if any is invalid" {
	marked_service good1
	marked_service good2
	run sv check
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"good1: ok"* ]]
	[[ "$output" == *"good2: ok"* ]]
	marked_service bad "colour = blue"
	run --separate-stderr sv check
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"bad.ini:3:"* ]]
	[[ "$output" == *"good1: ok"* ]]
	[[ "$output" == *"good2: ok"* ]]
	run sv check --all
	[ "$status" -eq 6 ]
}

@test "supervision keys start a monitor; a plain service runs without one" {
	local key
	for key in "restart = on-failure" "restart = always" "log_max_bytes = 1M"; do
		echo "--- $key"
		marked_service web "$key"
		run sv web check
		[ "$status" -eq 0 ]
		run sv web start
		show
		[ "$status" -eq 0 ]
		[ "$(tr '\0' ' ' </proc/"$(ps -o ppid= -p "$(cat "$SB/run/web.pid")" | tr -d ' ')"/cmdline)" = "svcctl: supervise web " ]
		run sv web stop
		[ "$status" -eq 0 ]
		no_marked_left
	done
	marked_service web "restart = no"
	run sv web start
	[ "$status" -eq 0 ]
	[ "$(ps -o ppid= -p "$(cat "$SB/run/web.pid")" | tr -d ' ')" != "$$" ]
	! grep -q 'supervise' /proc/"$(ps -o ppid= -p "$(cat "$SB/run/web.pid")" | tr -d ' ')"/cmdline
}

@test "log_max_bytes = 0 and restart = no are accepted" {
	marked_service web "log_max_bytes = 0" "restart = no"
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 1 ]
}

@test "type = forking without pidfile = is a configuration error" {
	marked_service web "type = forking"
	run sv web check
	[ "$status" -eq 6 ]
}

@test "as root, a service file others can write is refused" {
	[ "$(id -u)" -eq 0 ] || skip "the rule is about files root would trust"
	marked_service web
	chmod 0666 "$SB/services/web.ini"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"web.ini"* ]]
	no_marked_left
	chmod 0644 "$SB/services/web.ini"
	chown nobody "$SB/services/web.ini"
	run sv web start
	[ "$status" -eq 6 ]
	no_marked_left
	run sv web status
	[ "$status" -eq 4 ]
}

@test "as root, a world-writable svcctl.conf is refused" {
	[ "$(id -u)" -eq 0 ] || skip "the rule is about files root would trust"
	marked_service web
	chmod 0666 "$CONF"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"svcctl.conf"* ]]
	no_marked_left
}

@test "as root, a service file or svcctl.conf writable by a non-root group is refused" {
	[ "$(id -u)" -eq 0 ] || skip "the rule is about files root would trust"
	getent group nogroup >/dev/null || skip "no group nogroup"
	marked_service web
	chgrp nogroup "$SB/services/web.ini"
	chmod 0664 "$SB/services/web.ini"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"web.ini"* ]]
	no_marked_left
	run sv web check
	[ "$status" -eq 6 ]
	chmod 0644 "$SB/services/web.ini"
	chgrp nogroup "$CONF"
	chmod 0664 "$CONF"
	run --separate-stderr sv web start
	show
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"svcctl.conf"* ]]
	no_marked_left
	# the same files, not group-writable, are fine
	chmod 0644 "$CONF"
	run sv web start
	show
	[ "$status" -eq 0 ]
	[ "$(count_marked)" -eq 1 ]
}
