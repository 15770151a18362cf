#!/usr/bin/env bats
# Options per action (DESIGN 2): the command table says which options each
# action takes; any other option is exit 2 with that action's usage line.

load test_helper
load extra_helper

# the options each action takes besides -c, -q, -v, as option words
takes() {
	case $1 in
	start | stop | restart | try-restart | condrestart) echo "--all" ;;
	reload | force-reload | disable | is-enabled) echo "" ;;
	status) echo "--all --json --brief" ;;
	check) echo "--all" ;;
	logs) echo "--lines --follow" ;;
	initscript | enable) echo "--script-svcctl --script-config" ;;
	esac
}

# the option words as given on a command line (with an argument if needed)
given() {
	case $1 in
	--lines) echo "-n 3" ;;
	--script-svcctl) echo "--script-svcctl /usr/sbin/svcctl" ;;
	--script-config) echo "--script-config /etc/svcctl/svcctl.conf" ;;
	*) echo "$1" ;;
	esac
}

ACTIONS="start stop restart try-restart condrestart reload force-reload status check logs initscript enable disable is-enabled"
OPTIONS="--all --json --brief --lines --follow --script-svcctl --script-config"

@test "every action refuses every option it does not take: exit 2, the action's usage, nothing done" {
	local action opt n=0
	marked_service web
	for action in $ACTIONS; do
		for opt in $OPTIONS; do
			[[ " $(takes "$action") " == *" $opt "* ]] && continue
			# shellcheck disable=SC2046 # word splitting of the option is wanted
			run --separate-stderr sv web "$action" $(given "$opt")
			echo "web $action $opt: $status $stderr"
			[ "$status" -eq 2 ]
			[ -z "$output" ]
			[ "$(sed -n 1p <<<"$stderr")" = "svcctl: $action does not take $opt" ]
			[[ "$(sed -n 2p <<<"$stderr")" == "usage: svcctl "* ]]
			[[ "$stderr" == *"Try 'svcctl --help'."* ]]
			n=$((n + 1))
		done
	done
	# 14 actions x 7 options, less the 15 taken
	[ "$n" -eq 83 ]
	no_marked_left
	refute_file "$SB/run"
	refute_file "$SB/init.d"
}

@test "the usage line of a refused option is the action's own synopsis line" {
	marked_service web
	run --separate-stderr sv web logs --json
	[ "$status" -eq 2 ]
	[ "$(sed -n 2p <<<"$stderr")" = "usage: svcctl [-c FILE] NAME logs [-n N] [-f]" ]
	run --separate-stderr sv status --follow
	[ "$status" -eq 2 ]
	[ "$(sed -n 2p <<<"$stderr")" = "usage: svcctl [-c FILE] [-q] [-v] status [--json | --brief] [NAME... | --all]" ]
	run --separate-stderr sv web reload --all
	[ "$status" -eq 2 ]
	[ "$(sed -n 2p <<<"$stderr")" = "usage: svcctl [-c FILE] [-q] [-v] NAME reload|force-reload" ]
	run --separate-stderr sv web disable --script-config /x
	[ "$status" -eq 2 ]
	[ "$(sed -n 2p <<<"$stderr")" = "usage: svcctl [-c FILE] NAME disable|is-enabled" ]
	run --separate-stderr sv web enable -f
	[ "$status" -eq 2 ]
	[ "$(sed -n 1p <<<"$stderr")" = "svcctl: enable does not take --follow" ]
	[ "$(sed -n 2p <<<"$stderr")" = "usage: svcctl [-c FILE] NAME initscript|enable [--script-svcctl PATH] [--script-config PATH]" ]
}

@test "svcctl --json --follow -n 3 web start is refused and starts nothing" {
	marked_service web
	run --separate-stderr sv --json --follow -n 3 web start
	show
	[ "$status" -eq 2 ]
	[[ "$stderr" == "svcctl: start does not take --json"* ]]
	no_marked_left
	refute_file "$SB/run/web.pid"
}

@test "options may come anywhere on the line, short or long" {
	marked_service web
	mkdir -p "$SB/log"
	seq 1 5 >"$SB/log/web.log"
	run sv web logs -n 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 3 5)" ]
	run sv -n 2 web logs
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 4 5)" ]
	run sv logs --lines 1 web
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
	run sv -q web logs --lines=1
	[ "$status" -eq 0 ]
}

@test "the global options go with every action" {
	local action
	marked_service web
	for action in $ACTIONS; do
		run --separate-stderr sv -q -v web "$action"
		echo "web $action: $status $stderr"
		[[ "$stderr" != *"does not take"* ]]
		[ "$status" -ne 2 ]
	done
	sv -q web stop
	sv -q web disable
}

@test "accepted combinations: status --json/--brief/--all, check --all, start/stop --all, initscript --script-*" {
	marked_service web
	run sv start --all
	show
	[ "$status" -eq 0 ]
	run sv status --all
	[ "$status" -eq 0 ]
	run sv status --json web
	show
	[ "$status" -eq 0 ]
	[[ "$output" == "{"* ]]
	run sv web status --brief
	[ "$status" -eq 0 ]
	run sv check --all
	[ "$status" -eq 0 ]
	run sv try-restart --all
	[ "$status" -eq 0 ]
	run sv condrestart --all
	[ "$status" -eq 0 ]
	run sv web initscript --script-svcctl /usr/sbin/svcctl --script-config /etc/svcctl/svcctl.conf
	show
	[ "$status" -eq 0 ]
	[[ "$output" == *"/usr/sbin/svcctl"* ]]
	run sv stop --all
	[ "$status" -eq 0 ]
	no_marked_left
}

@test "--help prints the per-action synopsis, then options, then actions" {
	run sv --help
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<<"$output")" = "usage: svcctl [-c FILE] [-q] [-v] NAME start|stop|restart|try-restart" ]
	for line in \
		"svcctl [-c FILE] [-q] [-v] start|stop|restart|try-restart NAME... | --all" \
		"svcctl [-c FILE] [-q] [-v] NAME reload|force-reload" \
		"svcctl [-c FILE] [-q] [-v] status [--json | --brief] [NAME... | --all]" \
		"svcctl [-c FILE] [-q] [-v] check [NAME... | --all]" \
		"svcctl [-c FILE] NAME logs [-n N] [-f]" \
		"svcctl [-c FILE] NAME initscript|enable [--script-svcctl PATH] [--script-config PATH]" \
		"svcctl [-c FILE] NAME disable|is-enabled" \
		"svcctl -h | --help" \
		"svcctl -V | --version"; do
		grep -qxF "       $line" <<<"$output"
	done
	opts=$(grep -n '^options:$' <<<"$output" | cut -d: -f1)
	acts=$(grep -n '^actions:$' <<<"$output" | cut -d: -f1)
	[ "$opts" -gt 10 ]
	[ "$acts" -gt "$opts" ]
}
