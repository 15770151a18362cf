#!/usr/bin/env bats
# The bash completion (etc/bash-completion/svcctl), sourced into the test's
# shell and called as bash calls it: COMP_WORDS and COMP_CWORD set, the
# answer in COMPREPLY. Service names come from a sandbox config.

load test_helper
load extra_helper

setup() {
	sandbox_setup
	make_service web 'exec = sleep 1000'
	make_service db 'exec = sleep 1000'
	# shellcheck source=../etc/bash-completion/svcctl
	source "$TOP/etc/bash-completion/svcctl"
}

# complete WORD...: completes the last WORD (the one under the cursor) of
# "svcctl WORD..."; COMPREPLY sorted, one a line, in $output
complete_line() {
	COMP_WORDS=("$SVCCTL" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	# set -e (as bats runs tests) off, as in an interactive shell
	_svcctl || return 1
	output=$(if [ ${#COMPREPLY[@]} -gt 0 ]; then printf '%s\n' "${COMPREPLY[@]}"; fi | LC_ALL=C sort)
	printf 'completion of [%s]:\n%s\n' "$*" "$output"
}

# has WORD...: every WORD is in the answer
has() {
	local w
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$output" || {
			echo "missing: $w"
			return 1
		}
	done
}

# lacks WORD...: no WORD is in the answer
lacks() {
	local w
	for w in "$@"; do
		if grep -qxF -- "$w" <<<"$output"; then
			echo "unexpected: $w"
			return 1
		fi
	done
}

ACTIONS=(start stop restart try-restart condrestart reload force-reload status check
	logs initscript enable disable is-enabled)

@test "completion: the first word is an action or a service name" {
	complete_line -c "$CONF" ''
	has "${ACTIONS[@]}" web db
	complete_line -c "$CONF" st
	has start stop status
	lacks web db restart
	complete_line -c "$CONF" w
	[ "$output" = web ]
}

@test "completion: service first gives the actions, verb first the names" {
	complete_line -c "$CONF" web ''
	has "${ACTIONS[@]}"
	lacks web db
	complete_line -c "$CONF" start ''
	diff <(printf '%s\n' db web) <(echo "$output")
	complete_line -c "$CONF" status d
	[ "$output" = db ]
	# a name already given is not offered again; --all takes none
	complete_line -c "$CONF" stop web ''
	[ "$output" = db ]
	complete_line -c "$CONF" start --all ''
	[ -z "$output" ]
	# service first with its action: nothing more to name
	complete_line -c "$CONF" web logs ''
	[ -z "$output" ]
}

@test "completion: the options are those of the action on the line" {
	complete_line -c "$CONF" status --j
	[ "$output" = --json ]
	complete_line -c "$CONF" status --
	has --json --brief --all --config --quiet --verbose
	complete_line -c "$CONF" web logs -
	has -n -f --lines --follow -c -q -v
	lacks --json -a --all
	complete_line -c "$CONF" start -
	has -a --all -c --config -q -v
	lacks --json --brief -n -f --script-svcctl
	complete_line -c "$CONF" start --j
	[ -z "$output" ]
	complete_line -c "$CONF" web enable --script-
	has --script-svcctl --script-config
	complete_line -c "$CONF" web reload -
	lacks -a --all --json -n -f --script-svcctl
	# before an action: the global options and help and version
	complete_line -
	has -c --config -q -v -h --help -V --version
	lacks --json -n
}

@test "completion: -c FILE completes file names, and the config on the line is the one read" {
	touch "$SB/other.conf"
	complete_line -c "$SB/oth"
	[ "$output" = "$SB/other.conf" ]
	complete_line --config "$SB/oth"
	[ "$output" = "$SB/other.conf" ]
	# readline splits --config=FILE at the =
	complete_line --config = "$SB/oth"
	[ "$output" = "$SB/other.conf" ]

	# a second config with other services: its names, not the first one's
	mkdir "$SB/services2"
	printf '[service]\nexec = sleep 1000\n' >"$SB/services2/cache.ini"
	sed "s|$SB/services\"|$SB/services2\"|" "$CONF" >"$SB/other.conf"
	complete_line -c "$SB/other.conf" start ''
	[ "$output" = cache ]
	complete_line --config "$SB/other.conf" ''
	has cache
	lacks web db
	complete_line --config = "$SB/other.conf" status ''
	[ "$output" = cache ]
	complete_line -q -c "$SB/other.conf" -v c
	has cache check condrestart
}

@test "completion: \$SVCCTL_CONFIG is honoured, and a bad config gives no names and no noise" {
	SVCCTL_CONFIG=$CONF complete_line start ''
	diff <(printf '%s\n' db web) <(echo "$output")
	run complete_line -c "$SB/missing.conf" start ''
	[ "$status" -eq 0 ]
	[ "$output" = "completion of [-c $SB/missing.conf start ]:" ]
	# a service file in error is not a name to offer
	printf 'junk\n' >"$SB/services/broken.ini"
	complete_line -c "$CONF" start ''
	diff <(printf '%s\n' db web) <(echo "$output")
}

@test "completion: the script passes shellcheck and registers for svcctl" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	shellcheck -s bash "$TOP/etc/bash-completion/svcctl"
	run complete -p svcctl
	[ "$output" = "complete -F _svcctl svcctl" ]
}

@test "completion: with bash-completion loaded, file names come from its _filedir" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	touch "$SB/other.conf"
	run bash -c 'source /usr/share/bash-completion/bash_completion
		source "$1/etc/bash-completion/svcctl"
		declare -F _filedir >/dev/null || exit 9
		COMP_WORDS=("$2" -c "$3/oth"); COMP_CWORD=2
		COMP_LINE="svcctl -c $3/oth"; COMP_POINT=${#COMP_LINE}
		_svcctl; printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=("$2" -c "$4" start ""); COMP_CWORD=4
		_svcctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP" "$SVCCTL" "$SB" "$CONF"
	show
	[ "$status" -eq 0 ]
	diff <(printf '%s\n' "$SB/other.conf" db web) <(echo "$output" | LC_ALL=C sort)
}
