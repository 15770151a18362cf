#!/usr/bin/env bats
# The manual page docs/svcctl.8: lint-clean mdoc, its SYNOPSIS the usage
# lines of svcctl --help, every action of --help and its options in it.

load test_helper
load extra_helper

MAN8=$TOP/docs/svcctl.8

setup() {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	sandbox_setup
}

# render: the page as plain text, wide enough that no line wraps
render() {
	mandoc -Tascii -O width=400 "$MAN8" | sed 's/.\x08//g'
}

# section TITLE: the rendered lines of one section, without its title
section() {
	render | awk -v t="$1" '/^[A-Z]/ { on = ($0 == t); next } on'
}

# squeeze: blanks trimmed and squeezed, empty lines dropped
squeeze() {
	sed 's/[[:space:]]\+/ /g; s/^ //; s/ $//' | sed '/^$/d'
}

# help_usage: the usage lines of svcctl --help ("usage: " taken off), one a
# line
help_usage() {
	"$SVCCTL" --help | awk '
		/^[Uu]sage: / { on = 1; sub(/^[Uu]sage: /, ""); print; next }
		on && /^[[:space:]]+svcctl/ { print; next }
		{ on = 0 }' | squeeze
}

# help_actions: the actions --help names: the words of its "actions:" list
# and the action words of its usage lines
help_actions() {
	{
		"$SVCCTL" --help | awk '/^actions:/ { on = 1; next } /^[^[:space:]]/ { on = 0 } on && NF { print $1 }'
		help_usage | tr ' |[]' '\n\n\n\n' | grep -E '^[a-z][a-z-]+$' | grep -vx svcctl
	} | sort -u
}

@test "manpage: svcctl.8 and every docs/*.5 are mandoc -Tlint clean" {
	local page
	for page in "$MAN8" "$TOP"/docs/*.5; do
		[ -f "$page" ] || continue
		run mandoc -Tlint -Wwarning "$page"
		show
		[ "$status" -eq 0 ]
		[ -z "$output" ]
	done
}

@test "manpage: the SYNOPSIS lines are the usage lines of svcctl --help" {
	run help_usage
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 2 ]
	diff <(help_usage) <(section SYNOPSIS | squeeze)
}

@test "manpage: every action of svcctl --help is described, with an exit status" {
	local a n=0
	mapfile -t actions < <(help_actions)
	[ "${#actions[@]}" -ge 13 ]
	for a in "${actions[@]}"; do
		# an item of the action list ...
		grep -qE "^\.It (.* )?Cm $a( |\$)" "$MAN8" || {
			echo "no item for $a"
			return 1
		}
		# ... and a line in EXIT STATUS
		section 'EXIT STATUS' | grep -qw -- "$a" || {
			echo "no exit status for $a"
			return 1
		}
		n=$((n + 1))
	done
	[ "$n" -eq "${#actions[@]}" ]
}

@test "manpage: every option of svcctl --help is in the page, with its action" {
	local o
	mapfile -t opts < <("$SVCCTL" --help | grep -oE -- '(^|[][ ,|])--?[a-zA-Z][a-z-]*' |
		sed 's/^[][ ,|]//' | sort -u)
	[ "${#opts[@]}" -ge 10 ]
	for o in "${opts[@]}"; do
		render | grep -q -- "$o" || {
			echo "option $o is not in the page"
			return 1
		}
	done
	# the per-action options are in the item of their action
	section DESCRIPTION | grep -qE '^ +status \[-a \| --all\] \[--json \| --brief\]$'
	section DESCRIPTION | grep -qE '^ +logs \[-n N\] \[-f\]$'
	section DESCRIPTION | grep -qE '^ +initscript \[--script-svcctl PATH\] \[--script-config PATH\]$'
	section DESCRIPTION | grep -qE '^ +enable \[--script-svcctl PATH\] \[--script-config PATH\]$'
	section DESCRIPTION | grep -qE '^ +start \[-a \| --all\]$'
}

@test "manpage: the sections, the environment, the files and the pages it refers to" {
	local s
	for s in NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES 'EXIT STATUS' EXAMPLES \
		'SEE ALSO' STANDARDS; do
		render | grep -qx "$s" || {
			echo "no section $s"
			return 1
		}
	done
	for s in SVCCTL_CONFIG XDG_CONFIG_HOME XDG_RUNTIME_DIR HOME NO_COLOR NOTIFY_SOCKET; do
		section ENVIRONMENT | grep -qE "^ +$s " || {
			echo "$s is not in ENVIRONMENT"
			return 1
		}
	done
	for s in svcctl.conf NAME.ini NAME.pid NAME.state NAME.lock NAME.notify NAME.log \
		XDG_RUNTIME_DIR .local/state/svcctl/log; do
		section FILES | grep -qF -- "$s" || {
			echo "$s is not in FILES"
			return 1
		}
	done
	for s in 'svcctl.conf(5)' 'svcctl.ini(5)' 'start-stop-daemon(8)' 'update-rc.d(8)' \
		'chkconfig(8)' 'service(8)'; do
		section 'SEE ALSO' | grep -qF -- "$s" || {
			echo "$s is not in SEE ALSO"
			return 1
		}
	done
	# every state status can show
	for s in starting running backoff fatal dead stale stopped unknown invalid; do
		grep -qE "^\.It Cm $s\$" "$MAN8" || {
			echo "state $s is not described"
			return 1
		}
	done
}
