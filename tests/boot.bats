#!/usr/bin/env bats
# Boot paths as root: enable/disable as one locked, all-or-nothing
# transaction that never follows a user's link, helpers run from the
# standard PATH, header rules shared with chkconfig and insserv, logs, and
# the paths a generated script embeds.

load test_helper
load extra_helper

# gives away DIR to nobody, the way a careless admin would
give_to_nobody() {
	mkdir -p "$1"
	chown nobody:nogroup "$1"
}

# every rcN.d entry for NAME, sorted, as "rcN.d/ENTRY"
links_of() {
	(cd "$SB/rc" 2>/dev/null && find . -name "[SK][0-9][0-9]$1" | sed 's|^\./||' | sort)
}

# no link under rc_dir points nowhere
no_dangling_links() {
	[ -z "$(find "$SB/rc" -xtype l 2>/dev/null)" ]
}

@test "enable runs update-rc.d from the standard PATH with a clean environment, not the caller's" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/evil" "$SB/initd" "$SB/fake"
	printf '#!/bin/sh\necho evil >>%s/ran\n' "$SB" >"$SB/evil/update-rc.d"
	printf '#!/bin/sh\necho "real $*" >>%s/ran\nenv >%s/env\n' "$SB" "$SB" \
		>"$SB/fake/update-rc.d"
	chmod 0755 "$SB/evil/update-rc.d" "$SB/fake/update-rc.d"
	printf 'initd_dir = "/etc/init.d"\nrc_dir = "/etc"\n' >>"$CONF"
	# a private mount namespace: /etc/init.d is the sandbox's, and the
	# system's update-rc.d is the recording stand-in
	[ -x /usr/sbin/update-rc.d ] || touch "$SB/needs-update-rc.d"
	[ ! -e "$SB/needs-update-rc.d" ]
	run env PATH="$SB/evil:$PATH" SECRET=caller unshare -m sh -c "
		mount --bind '$SB/initd' /etc/init.d &&
		mount --bind '$SB/fake/update-rc.d' /usr/sbin/update-rc.d &&
		if command -v chkconfig >/dev/null; then mount --bind /bin/false \"\$(command -v chkconfig)\"; fi &&
		'$SVCCTL' -c '$CONF' enable web"
	show
	[ "$status" -eq 0 ]
	[ "$(cat "$SB/ran")" = "real web defaults" ]
	refute grep -q SECRET "$SB/env"
	grep -qx "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$SB/env"
}

@test "logs -f is done in C: no tail from the caller's PATH; follows appends, rotation and truncation" {
	marked_service web
	mkdir -p "$SB/log" "$SB/evil"
	printf 'one\n' >"$SB/log/web.log"
	printf '#!/bin/sh\necho evil >%s/ran\nexec sleep 1000\n' "$SB" >"$SB/evil/tail"
	chmod 0755 "$SB/evil/tail"
	PATH="$SB/evil:$PATH" "$SVCCTL" -c "$CONF" logs -f web </dev/null >"$SB/out" 2>&1 3>&- &
	follower=$!
	track_pid "$follower"
	wait_until grep -qx one "$SB/out"
	printf 'two\n' >>"$SB/log/web.log"
	wait_until grep -qx two "$SB/out"
	# rotated: renamed away, a new file in its place
	printf 'three\n' >>"$SB/log/web.log"
	mv "$SB/log/web.log" "$SB/log/web.log.1"
	printf 'four\n' >"$SB/log/web.log"
	wait_until grep -qx four "$SB/out"
	# truncated in place (and shorter than what was read: a rewrite as long
	# as the old content within one look reads as an append, as with tail -F)
	: >"$SB/log/web.log"
	printf 'v\n' >>"$SB/log/web.log"
	wait_until grep -qx v "$SB/out"
	kill "$follower"
	[ ! -e "$SB/ran" ]
	[ "$(cat "$SB/out")" = "$(printf 'one\ntwo\nthree\nfour\nv')" ]
}

@test "a failed enable is rolled back: read-only rc3.d leaves no script and no link, and names rc3.d" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/rc/rc3.d"
	run unshare -m sh -c "mount --bind '$SB/rc/rc3.d' '$SB/rc/rc3.d' &&
		mount -o remount,ro,bind '$SB/rc/rc3.d' &&
		'$SVCCTL' -c '$CONF' enable web"
	show
	[ "$status" -ne 0 ]
	[[ "$output" == *"$SB/rc/rc3.d/S50web"* ]]
	[[ "$output" == *"Read-only file system"* ]]
	refute_file "$SB/init.d/web"
	[ -z "$(links_of web)" ]
	run sv is-enabled web
	[ "$status" -eq 1 ]
	# directories enable made for itself are gone too
	refute_file "$SB/rc/rc2.d"
}

@test "a failed re-enable restores the links and script it replaced" {
	make_service web "exec = sleep 1000"
	printf '[install]\nstart_priority = 20\n' >>"$SB/services/web.ini"
	sv -q enable web
	before=$(links_of web)
	cp "$SB/init.d/web" "$SB/web.before"
	sed -i 's/start_priority = 20/start_priority = 30/' "$SB/services/web.ini"
	run unshare -m sh -c "mount --bind '$SB/rc/rc5.d' '$SB/rc/rc5.d' &&
		mount -o remount,ro,bind '$SB/rc/rc5.d' &&
		'$SVCCTL' -c '$CONF' enable web"
	show
	[ "$status" -ne 0 ]
	[ "$(links_of web)" = "$before" ]
	cmp "$SB/init.d/web" "$SB/web.before"
	no_dangling_links
}

# race N: N enables and N disables of web, held at a barrier (a FIFO whose
# last writer closes) and let go together, so they overlap for real
race() {
	local n=$1 i w r
	local pids=()
	mkfifo "$SB/go"
	exec {w}<>"$SB/go"
	exec {r}<"$SB/go"
	for i in $(seq "$n"); do
		for action in enable disable; do
			(
				exec {w}>&-
				read -r -u "$r" _ || true
				exec {r}<&-
				exec "$SVCCTL" -c "$CONF" -q "$action" web
			) 3>&- 2>/dev/null &
			pids+=($!)
		done
	done
	exec {w}>&- {r}<&-
	rm -f "$SB/go"
	for i in "${pids[@]}"; do
		wait "$i" || true
	done
}

@test "enable and disable racing leave no dangling link and a consistent state" {
	make_service web "exec = sleep 1000"
	deadline=$((SECONDS + 60))
	for _ in $(seq 1 40); do
		[ "$SECONDS" -lt "$deadline" ] || break
		race 4
		no_dangling_links
		if [ -e "$SB/init.d/web" ]; then
			[ "$(links_of web | wc -l)" -eq 7 ]
		else
			[ -z "$(links_of web)" ]
		fi
	done
}

@test "enable refuses a symlink a user planted for rc3.d, and writes nothing through it" {
	make_service web "exec = sleep 1000"
	give_to_nobody "$SB/rc"
	mkdir -p "$SB/elsewhere"
	ln -s "$SB/elsewhere" "$SB/rc/rc3.d"
	chown -h nobody:nogroup "$SB/rc/rc3.d"
	run sv enable web
	show
	[ "$status" -eq 4 ]
	[[ "$output" == *"$SB/rc"* ]]
	[ -z "$(ls -A "$SB/elsewhere")" ]
	refute_file "$SB/init.d/web"
	# rc_dir root's again: a link there that is not root's is still not followed
	chown root:root "$SB/rc"
	chmod 0755 "$SB/rc"
	run sv enable web
	show
	[ "$status" -eq 4 ]
	[[ "$output" == *"$SB/rc/rc3.d"* ]]
	[ -z "$(ls -A "$SB/elsewhere")" ]
	refute_file "$SB/init.d/web"
}

@test "enable refuses a symlink a user planted for initd_dir" {
	make_service web "exec = sleep 1000"
	give_to_nobody "$SB/pub"
	mkdir -p "$SB/rootonly"
	ln -s "$SB/rootonly" "$SB/pub/init.d"
	chown -h nobody:nogroup "$SB/pub/init.d"
	sed -i "s|^initd_dir = .*|initd_dir = \"$SB/pub/init.d\"|" "$CONF"
	run sv enable web
	show
	[ "$status" -eq 4 ]
	[[ "$output" == *"symbolic link"* ]]
	[ -z "$(ls -A "$SB/rootonly")" ]
	[ -z "$(links_of web)" ]
}

@test "enable refuses a symlink planted as initd_dir/NAME and leaves its target alone" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/init.d"
	printf 'precious\n' >"$SB/precious"
	ln -s "$SB/precious" "$SB/init.d/web"
	run sv enable web
	show
	[ "$status" -ne 0 ]
	[ "$(cat "$SB/precious")" = precious ]
	[ -z "$(links_of web)" ]
}

@test "a foreign rc3.d/S50web or rc0.d/K50web is refused, not replaced, and nothing is left" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/rc/rc3.d" "$SB/rc/rc0.d"
	printf 'foreign\n' >"$SB/rc/rc3.d/S50web"
	run sv enable web
	show
	[ "$status" -ne 0 ]
	[[ "$output" == *"$SB/rc/rc3.d/S50web"* ]]
	[ "$(cat "$SB/rc/rc3.d/S50web")" = foreign ]
	refute_file "$SB/init.d/web"
	[ "$(links_of web)" = "rc3.d/S50web" ]
	rm "$SB/rc/rc3.d/S50web"
	ln -s /bin/true "$SB/rc/rc0.d/K50web"
	run sv enable web
	[ "$status" -ne 0 ]
	[[ "$output" == *"$SB/rc/rc0.d/K50web"* ]]
	[ "$(readlink "$SB/rc/rc0.d/K50web")" = /bin/true ]
	refute_file "$SB/init.d/web"
}

@test "a generated script over 64 KiB can be enabled again and disabled" {
	desc=$(printf 'x%.0s' $(seq 1 150))
	{
		echo "[service]"
		echo "exec = sleep 1000"
		echo "description = start"
		for _ in $(seq 1 500); do echo "  $desc"; done
	} >"$SB/services/web.ini"
	sv -q enable web
	[ "$(stat -c %s "$SB/init.d/web")" -gt 65536 ]
	run sv enable web
	show
	[ "$status" -eq 0 ]
	run sv disable web
	[ "$status" -eq 0 ]
	refute_file "$SB/init.d/web"
	[ -z "$(links_of web)" ]
}

@test "check refuses runlevels chkconfig and insserv read differently, with FILE:LINE" {
	for levels in S2345 2235 7 ""; do
		printf '[service]\nexec = sleep 1000\n[install]\nrunlevels = %s\n' "$levels" \
			>"$SB/services/web.ini"
		run sv check web
		show
		[ "$status" -eq 6 ]
		[[ "$output" == *"web.ini:4"* ]]
		run sv initscript web
		[ "$status" -eq 6 ]
		run sv enable web
		[ "$status" -eq 6 ]
		refute_file "$SB/init.d/web"
	done
}

@test "check refuses a description with a trailing backslash or a control character" {
	printf '[service]\nexec = sleep 1000\ndescription = ends in \\\n' >"$SB/services/web.ini"
	run sv check web
	show
	[ "$status" -eq 6 ]
	[[ "$output" == *"web.ini:3"* ]]
	printf '[service]\nexec = sleep 1000\ndescription = bell\a here\n' >"$SB/services/web.ini"
	run sv check web
	[ "$status" -eq 6 ]
	[[ "$output" == *"web.ini:3"* ]]
}

@test "an empty description becomes the service name, as chkconfig needs one" {
	make_service web "exec = sleep 1000" "description ="
	run sv initscript web
	[ "$status" -eq 0 ]
	grep -qx '# description: web' <<<"$output"
	grep -qE '^# Short-Description: +web$' <<<"$output"
}

@test "runlevels = S: a start link in rcS.d only, no stop links in 0-6" {
	make_service web "exec = sleep 1000"
	printf '[install]\nrunlevels = S\n' >>"$SB/services/web.ini"
	run sv enable web
	show
	[ "$status" -eq 0 ]
	[ "$(links_of web)" = "rcS.d/S50web" ]
	run sv initscript web
	grep -qE '^# Default-Start: +S$' <<<"$output"
	grep -qE '^# Default-Stop: *$' <<<"$output"
	grep -qx '# chkconfig: - 50 50' <<<"$output"
}

# links_by_insserv NAME: insserv's view of the headers as "rcN.d/XNNNAME"
# with svcctl's own priorities, to compare with links_of
links_by_insserv() {
	local kind levels name prio l
	insserv -n -s -p "$SB/initd" -c "$SB/insserv.conf" -o "$SB/over" -i "$SB/insserv" \
		"$1" other 2>/dev/null |
		while IFS=: read -r kind _ levels name; do
			[ "$name" = "$1" ] || continue
			prio=50
			for l in $levels; do
				echo "rc$l.d/$kind$prio$name"
			done
		done | sort
}

@test "svcctl's own links are those insserv derives from the same headers" {
	command -v insserv >/dev/null
	mkdir -p "$SB/initd" "$SB/over" "$SB/insserv"
	printf '$local_fs\n$remote_fs\n$syslog\n' >"$SB/insserv.conf"
	# insserv -s lists a boot-only script only next to another one
	make_service other "exec = sleep 1000"
	printf '[install]\nrequires =\n' >>"$SB/services/other.ini"
	sv initscript other >"$SB/initd/other"
	chmod 0755 "$SB/initd/other"
	for levels in 2345 35 S 0123456 1; do
		rm -rf "$SB/rc"
		make_service web "exec = sleep 1000"
		printf '[install]\nrunlevels = %s\nrequires =\n' "$levels" >>"$SB/services/web.ini"
		sv initscript web >"$SB/initd/web"
		chmod 0755 "$SB/initd/web"
		sv -q enable web
		echo "runlevels=$levels svcctl=<$(links_of web)> insserv=<$(links_by_insserv web)>"
		[ "$(links_of web)" = "$(links_by_insserv web)" ]
	done
}

@test "logs -n 1000 on a large log prints exactly the last 1000 whole lines" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/log"
	# 128-byte lines, a divisor of 64 KiB: the last 1000 span two blocks
	pad=$(printf '%066d' 0)
	seq -f "line %06g of a log that is long enough to need many blocks $pad" 1 50000 \
		>"$SB/log/web.log"
	run sv logs -n 1000 web
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1000 ]
	[ "${lines[0]}" = "line 049001 of a log that is long enough to need many blocks $pad" ]
	[ "${lines[999]}" = "line 050000 of a log that is long enough to need many blocks $pad" ]
}

@test "logs -n prints whole lines where a line crosses the reading buffer" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/log"
	# 201-byte lines do not divide 64 KiB: some line always straddles the
	# end of the buffer logs reads forwards with
	pad=$(printf '%0175d' 0)
	seq -f "line %06g of 201 bytes $pad" 1 50000 >"$SB/log/web.log"
	for n in 330 1000; do
		sv logs -n "$n" web >"$SB/out"
		[ "$(wc -l <"$SB/out")" -eq "$n" ]
		[ -z "$(awk 'length != 200' "$SB/out")" ]
		[ "$(tail -n 1 "$SB/out")" = "line 050000 of 201 bytes $pad" ]
	done
}

@test "logs on an unreadable log exits 1 and says why" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/log/web.log"
	run sv logs web
	show
	[ "$status" -eq 1 ]
	[[ "$output" == *"$SB/log/web.log"* ]]
}

@test "initscript embeds absolute paths: relative options made absolute, a symlinked svcctl kept" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/bin"
	ln -s "$SVCCTL" "$SB/bin/svcctl"
	run "$SB/bin/svcctl" -c "$CONF" initscript web
	[ "$status" -eq 0 ]
	grep -qx "SVCCTL='$SB/bin/svcctl'" <<<"$output"
	run env PATH="$SB/bin:$PATH" svcctl -c "$CONF" initscript web
	[ "$status" -eq 0 ]
	grep -qx "SVCCTL='$SB/bin/svcctl'" <<<"$output"
	run sh -c "cd '$SB' && '$SVCCTL' -c svcctl.conf --script-svcctl bin/svcctl \
		--script-config ./svcctl.conf initscript web"
	[ "$status" -eq 0 ]
	grep -qx "SVCCTL='$SB/bin/svcctl'" <<<"$output"
	grep -qx "CONFIG='$SB/svcctl.conf'" <<<"$output"
}

@test "with svcctl removed, an unknown action still exits 2 with the usage line" {
	make_service web "exec = sleep 1000"
	sv --script-svcctl "$SB/gone/svcctl" initscript web >"$SB/web.init"
	chmod 0755 "$SB/web.init"
	run "$SB/web.init" bogus
	[ "$status" -eq 2 ]
	[[ "$output" == Usage:* ]]
	run "$SB/web.init" start
	[ "$status" -eq 5 ]
}

@test "disable on a read-only rc directory exits 4, names the errno, and keeps every link" {
	make_service web "exec = sleep 1000"
	sv -q enable web
	before=$(links_of web)
	run unshare -m sh -c "mount --bind '$SB/rc/rc3.d' '$SB/rc/rc3.d' &&
		mount -o remount,ro,bind '$SB/rc/rc3.d' &&
		'$SVCCTL' -c '$CONF' disable web"
	show
	[ "$status" -eq 4 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ "$(links_of web)" = "$before" ]
	[ -x "$SB/init.d/web" ]
	run sv is-enabled web
	[ "$status" -eq 0 ]
}

@test "initscript > /dev/full exits 1 with a message" {
	make_service web "exec = sleep 1000"
	run sh -c "'$SVCCTL' -c '$CONF' initscript web >/dev/full"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
}
