# Shared by every stress check of this directory (sourced by sandbox.bash
# and faults.bash): scaled counts, figures, the verdict, service files and
# process start times.
# shellcheck shell=bash

: "${SVCCTL:?SVCCTL: the svcctl binary}" "${STRESS_BIN:?STRESS_BIN: the helpers}"
: "${STRESS_TMP:?STRESS_TMP: a private temporary directory}"
STRESS_SCALE=${STRESS_SCALE:-1}
CHECK_NAME=$(basename "$0")
SERVICES=()
# the verdict line, printed by the check's exit trap (sandbox.bash or faults.bash)
export VERDICT=

# scaled N: N times STRESS_SCALE, rounded, at least 1
scaled() {
	awk -v n="$1" -v s="$STRESS_SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'
}

figure() {
	echo "# figure: $1 = $2"
}

# the verdict, printed by the check's exit trap
pass() {
	VERDICT="PASS $CHECK_NAME: $*"
	exit 0
}

fail() {
	VERDICT="FAIL $CHECK_NAME: $*"
	exit 1
}

# make_service NAME LINE...: services/NAME.ini (under $SB) with these
# [service] lines; NAME is added to SERVICES
make_service() {
	local name=$1
	shift
	SERVICES+=("$name")
	{
		echo "[service]"
		printf '%s\n' "$@"
	} >"$SB/services/$name.ini"
}

# the start time of PID (field 22 of /proc/PID/stat), empty when gone
starttime_of() {
	awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true
}
