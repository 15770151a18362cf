# Appended by tests/valgrind/run to its copy of tests/extra_helper.bash.
# shellcheck shell=bash
#
# Under valgrind a monitor's /proc/PID/cmdline is valgrind's command line,
# not its title, and /proc/PID/exe is valgrind's tool: the build for
# valgrind passes the title in SVCCTL_MONITOR as well, so the title of such
# a process is read from /proc/PID/environ. Any other process is read as
# before.

# vg_env_title PID: the SVCCTL_MONITOR of PID when valgrind runs it
vg_env_title() {
	local exe v
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	case "$exe" in
	*/valgrind/*) ;;
	*) return 1 ;;
	esac
	while IFS= read -r -d '' v; do
		case "$v" in
		SVCCTL_MONITOR=*)
			echo "${v#SVCCTL_MONITOR=}"
			return 0
			;;
		esac
	done <"/proc/$1/environ"
	return 1
}

eval "vg_orig_$(declare -f proc_title)"
proc_title() {
	vg_env_title "$1" || vg_orig_proc_title "$1"
}

monitor_candidates() {
	local f pid
	# shellcheck disable=SC2013 # /proc/N/environ: one word each
	for f in $(grep -lzxF -e "SVCCTL_MONITOR=svcctl: supervise $1" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		echo "${pid%/environ}"
	done
	return 0
}
