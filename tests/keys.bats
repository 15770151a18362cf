#!/usr/bin/env bats
# One table of service keys (src/keys.def): check -v prints the effective
# configuration from it, as an INI file that loads as the same service, and
# the key lists of the docs are written from it.

load test_helper
load extra_helper

# the [service] and [install] keys of the table, one per line
table_keys() {
	sed -n 's/^KEY([A-Z]*, \([a-z_]*\),.*/\1/p' "$TOP/src/keys.def"
}

# joined: stdin with the continuation lines joined to the line they continue
joined() {
	sed -e ':a' -e 'N' -e '$!ba' -e 's/\n\t/ /g'
}

# values NAME: check -v NAME's INI without the header and the origins
values() {
	sv check -v "$1" 2>/dev/null | sed -e 1,2d -e '/^; /d' -e 's/ ; [^;]*$//'
}

@test "check without -v prints only NAME: ok" {
	marked_service web
	run --separate-stderr sv check web
	show
	[ "$status" -eq 0 ]
	[ "$output" = "web: ok" ]
}

@test "check -v prints every key of the table once, under its section" {
	marked_service web
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "web: ok" ]
	[ "$(table_keys | wc -l)" -gt 30 ]
	for key in $(table_keys); do
		[ "$(grep -c "^$key =" <<<"$output")" -eq 1 ] || {
			echo "key $key not printed once"
			return 1
		}
	done
	# the sections in order, [install] keys after [install]
	[ "$(grep '^\[' <<<"$output" | tr '\n' ' ')" = "[service] [environment] [install] " ]
	sed -n '/^\[install\]/,$p' <<<"$output" | grep -q '^start_priority = 50 ; default$'
}

@test "check -v: a key of the INI shows its value, defaults their origin, derived paths resolved" {
	marked_service web "kill_mode = process" "success_exit_codes = 0 3 TERM" \
		"ready_seconds = 0.25"
	printf '[environment]\nGREETING = hello world\n' >>"$SB/services/web.ini"
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 0 ]
	output=$(joined <<<"$output")
	grep -qxF "exec = $PROGS/exitafter 0 1000 $MARK ; web.ini" <<<"$output"
	grep -qx 'kill_mode = process ; web.ini' <<<"$output"
	grep -qx 'success_exit_codes = 0 3 TERM ; web.ini' <<<"$output"
	grep -qx 'ready_seconds = 0.25 ; web.ini' <<<"$output"
	grep -qx 'GREETING = hello world ; web.ini' <<<"$output"
	# the sandbox's svcctl.conf sets stop_timeout; restart_max it does not
	grep -qx 'stop_timeout = 5 ; svcctl.conf' <<<"$output"
	grep -qx 'restart_max = 5 ; default' <<<"$output"
	grep -qx 'stop_signal = TERM ; default' <<<"$output"
	grep -qx 'description = web ; default' <<<"$output"
	grep -qxF "pidfile = $SB/run/web.pid ; default" <<<"$output"
	grep -qxF "stdout = $SB/log/web.log ; default" <<<"$output"
	grep -qx 'ready_fd = ; default' <<<"$output"
}

@test "check -v: a default from svcctl.conf is marked, an INI key overrides it" {
	printf 'restart = on-failure\nlog_max_bytes = 1M\n' >>"$CONF"
	marked_service web "log_max_bytes = 2K"
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 0 ]
	grep -qx 'restart = on-failure ; svcctl.conf' <<<"$output"
	grep -qx 'log_max_bytes = 2048 ; web.ini' <<<"$output"
	grep -qx 'restart_delay = 1 ; default' <<<"$output"
}

@test "check -v: the output read back by check is the same service" {
	marked_service web "user = nobody" "umask = 027" "limit_nofile = 64:128" \
		"environment_file = -/nonexistent/env" "stderr = null" \
		"reload_signal = none" "restart = always" "restart_delay = 2.5"
	printf '[environment]\nEMPTY =\nA = b\n[install]\nrunlevels = 35\nshould = other\n' \
		>>"$SB/services/web.ini"
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 0 ]
	sed 1d <<<"$output" >"$SB/services/copy.ini"
	run --separate-stderr sv check copy
	show
	[ "$status" -eq 0 ]
	[ "$output" = "copy: ok" ]
	# same values, now every key from copy.ini
	[ "$(values web | sed 's|/copy\.|/web.|')" = "$(values copy | sed 's|/copy\.|/web.|')" ]
	[ "$(values copy | grep -c .)" -gt 30 ]
	run --separate-stderr sv check -v copy
	[ "$(grep -c ' ; copy\.ini$' <<<"$output")" -eq "$(grep -c ' = ' <<<"$output")" ]
}

@test "check -v with no name prints every service's configuration" {
	marked_service aaa
	marked_service bbb "nice = 5"
	run --separate-stderr sv check -v
	show
	[ "$status" -eq 0 ]
	[ "$(grep -c '^\[service\]$' <<<"$output")" -eq 2 ]
	grep -qx 'aaa: ok' <<<"$output"
	grep -qx 'bbb: ok' <<<"$output"
	grep -qx 'nice = 5 ; bbb.ini' <<<"$output"
}

@test "check -v of an invalid service prints no configuration" {
	marked_service web "colour = blue"
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 6 ]
	[ -z "$output" ]
	[[ "$stderr" == *"web.ini:3: unknown key 'colour' in [service]"* ]]
}

# keysdoc_from DIR: builds keysdoc in DIR from src/keysdoc.c and DIR/keys.def
keysdoc_from() {
	cp "$TOP/src/keysdoc.c" "$1/"
	cc -std=c11 -o "$1/keysdoc" "$1/keysdoc.c"
}

@test "the key lists of the docs are what src/keys.def generates" {
	local d=$BATS_TEST_TMPDIR/gen f
	mkdir -p "$d"
	cp "$TOP/src/keys.def" "$d/"
	keysdoc_from "$d"
	for f in docs/svcctl.ini.5 docs/configuration.md; do
		"$d/keysdoc" "$TOP/$f" | diff -u "$TOP/$f" -
	done
	for key in $(table_keys); do
		grep -q "^| \`$key\` |" "$TOP/docs/configuration.md"
		grep -qx ".It Ic $key" "$TOP/docs/svcctl.ini.5"
	done
}

@test "a row added to the table without make docs makes the docs stale" {
	local d=$BATS_TEST_TMPDIR/gen f
	mkdir -p "$d"
	cp "$TOP/src/keys.def" "$d/"
	echo 'KEY(SERVICE, colour, "a colour", "blue", BUILTIN, set_colour, "Paint.")' \
		>>"$d/keys.def"
	keysdoc_from "$d"
	for f in docs/svcctl.ini.5 docs/configuration.md; do
		run diff "$TOP/$f" <("$d/keysdoc" "$TOP/$f")
		[ "$status" -eq 1 ]
		[[ "$output" == *colour* ]]
	done
}

@test "check -v: a value longer than a line is printed on continuation lines that read back" {
	local words
	words=$(printf 'word%02d ' $(seq 1 40))
	marked_service web "description = long"
	# 40 words of 7 bytes: well over the 198 bytes a line may hold
	printf '[environment]\nLONG = %s\n' "$(printf 'word%02d ' $(seq 1 20))" \
		>>"$SB/services/web.ini"
	printf '  %s\n' "$(printf 'word%02d ' $(seq 21 40))" >>"$SB/services/web.ini"
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 0 ]
	[ "$(awk '{ if (length($0) > 198) n++ } END { print n + 0 }' <<<"$output")" -eq 0 ]
	grep -q $'^\tword' <<<"$output"
	sed 1d <<<"$output" >"$SB/services/copy.ini"
	run --separate-stderr sv check copy
	show
	[ "$status" -eq 0 ]
	[ "$(values web)" = "$(values copy)" ]
	# the continuation lines joined with one blank, as the reader joins them
	values copy | joined | grep -qxF "LONG = ${words% }"
}

@test "check -v: a word that fills a line keeps its origin mark off the line, so it reads back" {
	local word
	word=$(printf 'q%.0s' $(seq 1 190))
	marked_service web
	printf '[environment]\nX = %s\n  %s\n' "$(printf 'y%.0s' $(seq 1 150))" "$word" \
		>>"$SB/services/web.ini"
	run --separate-stderr sv check web
	[ "$status" -eq 0 ]
	run --separate-stderr sv check -v web
	show
	[ "$status" -eq 0 ]
	[ "$(awk '{ if (length($0) > 198) n++ } END { print n + 0 }' <<<"$output")" -eq 0 ]
	sed 1d <<<"$output" >"$SB/services/copy.ini"
	run --separate-stderr sv check copy
	show
	[ "$status" -eq 0 ]
	[ "$(values web)" = "$(values copy)" ]
}
