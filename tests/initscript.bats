#!/usr/bin/env bats
# Generated LSB init scripts, service(8), insserv, enable/disable.

load test_helper

# runs an init script with a private, empty /run/lock (= /var/lock), so the
# subsys lock it keeps where /var/lock/subsys exists never touches the host's
run_init() {
	if [ "$(id -u)" -eq 0 ]; then
		unshare -m sh -c 'mount -t tmpfs tmpfs /run/lock && exec "$0" "$@"' "$@"
	else
		"$@"
	fi
}

# writes the script for NAME into the sandbox and prints its path
gen_script() {
	sv initscript "$1" >"$SB/$1.init"
	chmod 0755 "$SB/$1.init"
	echo "$SB/$1.init"
}

@test "generated scripts pass shellcheck -s sh, checkbashisms and sh -n" {
	make_service web "description = it's a \"web\" server" "exec = sleep 1000"
	script=$(gen_script web)
	run shellcheck -s sh "$script"
	[ "$status" -eq 0 ]
	run checkbashisms "$script"
	[ "$status" -eq 0 ]
	run sh -n "$script"
	[ "$status" -eq 0 ]
	run shellcheck -s sh "$TOP/init.d/daemon-script"
	[ "$status" -eq 0 ]
	run checkbashisms "$TOP/init.d/daemon-script"
	[ "$status" -eq 0 ]
}

@test "init.d/daemon-script is exactly what svcctl initscript prints" {
	run "$TOP/tests/gen-initscript" "$SVCCTL"
	[ "$status" -eq 0 ]
	diff -u "$TOP/init.d/daemon-script" <(echo "$output")
}

@test "headers: chkconfig line, LSB block from [install], description" {
	make_service web "description = Web front end" "exec = sleep 1000"
	cat >>"$SB/services/web.ini" <<-EOF
		[install]
		runlevels = 35
		start_priority = 85
		stop_priority = 15
		requires = \$network db
		should = \$time
	EOF
	sv initscript web >"$SB/web.init"
	grep -qx '# chkconfig: 35 85 15' "$SB/web.init"
	grep -qx '# description: Web front end' "$SB/web.init"
	grep -qx '# processname: sleep' "$SB/web.init"
	grep -qx "# pidfile: $SB/run/web.pid" "$SB/web.init"
	sed -n '/^### BEGIN INIT INFO$/,/^### END INIT INFO$/p' "$SB/web.init" >"$SB/lsb"
	grep -qE '^# Provides: +web$' "$SB/lsb"
	grep -qE '^# Required-Start: +\$network db$' "$SB/lsb"
	grep -qE '^# Required-Stop: +\$network db$' "$SB/lsb"
	grep -qE '^# Should-Start: +\$time$' "$SB/lsb"
	grep -qE '^# Default-Start: +3 5$' "$SB/lsb"
	grep -qE '^# Default-Stop: +0 1 2 4 6$' "$SB/lsb"
	grep -qE '^# Short-Description: +Web front end$' "$SB/lsb"
}

@test "LSB exit codes of a generated script" {
	make_service web "exec = $PROGS/onsignal $SB/signals"
	script=$(gen_script web)

	run run_init "$script" status
	[ "$status" -eq 3 ]
	[[ "$output" == *"not running"* ]]
	run run_init "$script" stop
	[ "$status" -eq 0 ]
	run run_init "$script" try-restart
	[ "$status" -eq 0 ]
	[ ! -e "$SB/run/web.pid" ]
	run run_init "$script" reload
	[ "$status" -eq 7 ]

	run run_init "$script" start
	[ "$status" -eq 0 ]
	pid=$(pid_of web)
	run run_init "$script" start
	[ "$status" -eq 0 ]
	[ "$(pid_of web)" = "$pid" ]
	run run_init "$script" status
	[ "$status" -eq 0 ]
	[ "$output" = "web is running (pid $pid)" ]
	run run_init "$script" reload
	[ "$status" -eq 0 ]
	wait_until grep -qx HUP "$SB/signals"
	run run_init "$script" restart
	[ "$status" -eq 0 ]
	[ "$(pid_of web)" != "$pid" ]
	is_dead "$pid"
	run run_init "$script" stop
	[ "$status" -eq 0 ]
	run run_init "$script" status
	[ "$status" -eq 3 ]
}

@test "init script: stale pidfile gives status 1, then start 0" {
	make_service web "exec = sleep 1000"
	script=$(gen_script web)
	# a live process that is not the service's program
	tail -f /dev/null &
	other=$!
	track_pid "$other"
	mkdir -p "$SB/run"
	echo "$other" >"$SB/run/web.pid"
	run run_init "$script" status
	[ "$status" -eq 1 ]
	[[ "$output" != *stop* ]]
	run run_init "$script" start
	[ "$status" -eq 0 ]
	is_alive "$other"
	[ "$(pid_of web)" != "$other" ]
	is_alive "$(pid_of web)"
}

@test "init script: unknown or missing action exits 2 with a usage line" {
	make_service web "exec = sleep 1000"
	script=$(gen_script web)
	run run_init "$script" bogus
	[ "$status" -eq 2 ]
	[[ "$output" == Usage:* ]]
	run run_init "$script"
	[ "$status" -eq 2 ]
	[[ "$output" == Usage:* ]]
}

@test "init script: missing program 5, broken INI 6" {
	make_service web "exec = /nonexistent/prog"
	script=$(gen_script web)
	run run_init "$script" start
	[ "$status" -eq 5 ]
	make_service web "exec = sleep 1000" "bogus_key = 1"
	run run_init "$script" start
	[ "$status" -eq 6 ]
	[[ "$output" == *"web.ini:3"* ]]
}

@test "init script: a user= service started by non-root exits 4" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run the script as another user"
	sandbox_for_nobody
	make_service web "exec = sleep 1000" "user = root"
	script=$(gen_script web)
	run as_nobody "$script" start
	echo "status=$status output=$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"needs root"* ]]
	[ ! -e "$SB/run/web.pid" ]
}

@test "service(8) restarts the example service, with an emptied environment" {
	[ "$(id -u)" -eq 0 ] || skip "service(8) and mount namespaces need root"
	make_service daemon-script "exec = sleep 1000"
	mkdir -p "$SB/initd"
	sv initscript daemon-script >"$SB/initd/daemon-script"
	chmod 0755 "$SB/initd/daemon-script"
	# a private mount namespace: the real /etc/init.d is never touched
	run unshare -m sh -c "mount --bind '$SB/initd' /etc/init.d &&
		service daemon-script start && service daemon-script restart &&
		service daemon-script status"
	# service(8) empties the environment, sanitizer options too: a report
	# there shows as a non-zero status with the report in the output
	echo "status=$status output=$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"daemon-script is running (pid $(pid_of daemon-script))"* ]]
	pid=$(pid_of daemon-script)
	is_alive "$pid"
	run unshare -m sh -c "mount --bind '$SB/initd' /etc/init.d && service daemon-script stop"
	[ "$status" -eq 0 ]
	is_dead "$pid"
}

@test "service start through a pipe ends: the daemon keeps no caller fd" {
	make_service web "exec = sleep 1000"
	script=$(gen_script web)
	run timeout 10 sh -c "'$script' start | cat"
	[ "$status" -eq 0 ]
	is_alive "$(pid_of web)"
}

@test "insserv accepts the headers and orders by requires" {
	command -v insserv >/dev/null || skip "insserv is not installed"
	mkdir -p "$SB/initd" "$SB/over" "$SB/insserv"
	make_service db "exec = sleep 1000"
	make_service web "exec = sleep 1000"
	printf '[install]\nrequires = $local_fs db\n' >>"$SB/services/web.ini"
	printf '[install]\nrequires = $local_fs\n' >>"$SB/services/db.ini"
	sv initscript db >"$SB/initd/db"
	sv initscript web >"$SB/initd/web"
	chmod 0755 "$SB/initd/db" "$SB/initd/web"
	cat >"$SB/insserv.conf" <<-'EOF'
		$local_fs +mountall
		$remote_fs $local_fs
		$syslog
		$network
		$time
	EOF
	run insserv -n -v -p "$SB/initd" -c "$SB/insserv.conf" -o "$SB/over" -i "$SB/insserv" db web
	[ "$status" -eq 0 ]
	[[ "$output" != *FATAL* ]]
	run insserv -n -s -p "$SB/initd" -c "$SB/insserv.conf" -o "$SB/over" -i "$SB/insserv" db web
	[ "$status" -eq 0 ]
	db_seq=$(echo "$output" | awk -F: '$1 == "S" && $4 == "db" { print $2 }' | head -1)
	web_seq=$(echo "$output" | awk -F: '$1 == "S" && $4 == "web" { print $2 }' | head -1)
	[ -n "$db_seq" ]
	[ -n "$web_seq" ]
	[ "$((10#$db_seq))" -lt "$((10#$web_seq))" ]
	# and stops in the reverse order
	db_k=$(echo "$output" | awk -F: '$1 == "K" && $4 == "db" { print $2 }' | head -1)
	web_k=$(echo "$output" | awk -F: '$1 == "K" && $4 == "web" { print $2 }' | head -1)
	[ "$((10#$web_k))" -lt "$((10#$db_k))" ]
	# a requirement that nothing provides is caught: the headers are read
	printf '[service]\nexec = sleep 1000\n[install]\nrequires = $local_fs nosuch\n' \
		>"$SB/services/web.ini"
	sv initscript web >"$SB/initd/web"
	run insserv -n -p "$SB/initd" -c "$SB/insserv.conf" -o "$SB/over" -i "$SB/insserv" db web
	[ "$status" -ne 0 ]
	[[ "$output" == *"nosuch"* ]]
}

@test "enable creates S and K links, is-enabled answers, disable removes them" {
	make_service web "exec = sleep 1000"
	printf '[install]\nrunlevels = 2345\nstart_priority = 80\nstop_priority = 20\n' \
		>>"$SB/services/web.ini"
	run sv is-enabled web
	[ "$status" -eq 1 ]
	run sv enable web
	[ "$status" -eq 0 ]
	[ -x "$SB/init.d/web" ]
	for l in 2 3 4 5; do
		[ -L "$SB/rc/rc$l.d/S80web" ]
		[ "$(readlink -f "$SB/rc/rc$l.d/S80web")" = "$(readlink -f "$SB/init.d/web")" ]
	done
	for l in 0 1 6; do
		[ -L "$SB/rc/rc$l.d/K20web" ]
	done
	run sv is-enabled web
	[ "$status" -eq 0 ]
	run sv disable web
	[ "$status" -eq 0 ]
	[ ! -e "$SB/init.d/web" ]
	[ -z "$(find "$SB/rc" -name '*web*')" ]
	run sv is-enabled web
	[ "$status" -eq 1 ]
}

@test "disable leaves other links alone; enable refuses a foreign init script" {
	make_service web "exec = sleep 1000"
	mkdir -p "$SB/rc/rc2.d" "$SB/init.d"
	ln -s /bin/true "$SB/rc/rc2.d/S10other"
	sv -q enable web
	sv -q disable web
	[ -L "$SB/rc/rc2.d/S10other" ]
	printf '#!/bin/sh\necho hand-written\n' >"$SB/init.d/web"
	run sv enable web
	[ "$status" -eq 1 ]
	[[ "$output" == *"not generated by svcctl"* ]]
	grep -q hand-written "$SB/init.d/web"
	run sv disable web
	[ "$status" -eq 1 ]
	grep -q hand-written "$SB/init.d/web"
}

@test "make install and install-example put svcctl, config and init script in DESTDIR with installed paths" {
	dest=$BATS_TEST_TMPDIR/dest
	run make -C "$TOP" --no-print-directory install install-example BUILD="$BATS_TEST_TMPDIR/build" \
		DESTDIR="$dest" PREFIX=/opt/sv SYSCONFDIR=/opt/etc
	[ "$status" -eq 0 ]
	[ -x "$dest/opt/sv/sbin/svcctl" ]
	[ -f "$dest/opt/etc/svcctl/svcctl.conf" ]
	grep -q '"/opt/etc/svcctl/services"' "$dest/opt/etc/svcctl/svcctl.conf"
	[ -f "$dest/opt/etc/svcctl/services/daemon-script.ini" ]
	grep -qx "SVCCTL='/opt/sv/sbin/svcctl'" "$dest/opt/etc/init.d/daemon-script"
	grep -qx "CONFIG='/opt/etc/svcctl/svcctl.conf'" "$dest/opt/etc/init.d/daemon-script"
	[ -f "$dest/opt/sv/share/man/man8/svcctl.8" ]
}

@test "init script keeps the Red Hat subsys lock where /var/lock/subsys exists" {
	[ "$(id -u)" -eq 0 ] || skip "mount namespaces need root"
	make_service web "exec = sleep 1000"
	script=$(gen_script web)
	# a private /var/lock with a subsys directory; the real one is untouched
	run unshare -m sh -c "mount -t tmpfs tmpfs /var/lock && mkdir /var/lock/subsys &&
		'$script' start && test -e /var/lock/subsys/web && echo locked &&
		'$script' stop && test ! -e /var/lock/subsys/web && echo unlocked"
	[ "$status" -eq 0 ]
	[[ "$output" == *locked*unlocked* ]]
}
