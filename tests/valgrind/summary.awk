# Reads memcheck's logs (one per process, vg.CALL.PID.log, CALL a mark of
# each svcctl call's) and prints each one with a finding, then one line:
#   figures PROCESSES COMMANDS MONITORS FORKED UNFINISHED ERRORS LEAKED FDS
# A forked child is a log whose parent's log has the same command line, or
# that holds another process's log open (valgrind's log of the process it
# was forked from: it never exec'd, and its parent may have gone, leaving a
# subreaper as its parent); a monitor's command line is svcctl's path alone
# (its title is its argv[0], which valgrind drops). A log without a summary is a process
# that exec'd a program valgrind does not follow, or was killed: the errors
# it reported before that still count.

# the call's part of log f's name: up to its PID
function dir(f) {
	sub(/[0-9]+\.log$/, "", f)
	return f
}

function flush() {
	if (file == "")
		return
	cmd[file] = command
	ppid[file] = parent
	pidof[file] = pid
	done[file] = summary
	err[file] = summary ? nerr : headers
	lost[file] = bytes
	fdleak[file] = nfd
	fdtext[file] = fdlines
	forkedlog[file] = otherlog
}

FNR == 1 {
	flush()
	file = FILENAME
	command = parent = pid = fdlines = ""
	summary = nerr = headers = bytes = nfd = otherlog = 0
	infd = 0
	match($0, /^==[0-9]+==/)
	pid = substr($0, 3, RLENGTH - 4)
}

{ line = $0; sub(/^==[0-9]+== ?/, "", line) }

line ~ /^Command: / { command = substr(line, 10) }
line ~ /^Parent PID: / { parent = substr(line, 13) }
line ~ /^(Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched |Source and destination|Argument .* of function)/ { headers++ }
line ~ /^ERROR SUMMARY: / { summary = 1; split(line, w, " "); nerr = w[3] + 0 }
line ~ /^ *(definitely|indirectly|possibly) lost: / {
	v = line
	sub(/^ *[a-z]+ lost: /, "", v)
	sub(/ bytes.*/, "", v)
	gsub(/,/, "", v)
	bytes += v
}

# a descriptor entry: "Open file descriptor N: ...", "Open AF_UNIX socket N: ..."
line ~ /^Open .* [0-9]+:/ {
	infd = 1
	entry = $0 "\n"
	inherited = 0
	if (line ~ /\/vg\.[0-9]+\.[0-9]+\.log$/ && match(line, /\.[0-9]+\.log$/) &&
	    substr(line, RSTART + 1, RLENGTH - 5) != pid)
		otherlog = 1
	next
}
infd && line ~ /<inherited from parent>/ { inherited = 1 }
infd && line != "" { entry = entry $0 "\n"; next }
infd && line == "" {
	infd = 0
	if (!inherited) {
		nfd++
		fdlines = fdlines entry
	}
}

END {
	flush()
	# a call's processes log under its mark (wrapper.in): a parent is
	# looked for among them
	for (f in cmd)
		bypid[dir(f) pidof[f]] = f
	for (f in cmd) {
		p = bypid[dir(f) ppid[f]]
		if ((p != "" && cmd[p] == cmd[f]) || forkedlog[f])
			kind[f] = "forked"
		else if (cmd[f] !~ / /)
			kind[f] = "monitor"
		else
			kind[f] = "command"
		n[kind[f]]++
		procs++
		if (!done[f])
			unfinished++
		# a forked child's descriptors are its parent's
		if (kind[f] == "forked")
			fdleak[f] = 0
		errors += err[f]
		leaked += lost[f]
		fds += fdleak[f]
		if (err[f] || lost[f] || fdleak[f]) {
			print "## " f " (" kind[f] "): " err[f] " errors, " lost[f] " bytes lost, " fdleak[f] " descriptors"
			if (fdleak[f])
				printf "%s", fdtext[f]
			if (err[f] || lost[f])
				while ((getline l < f) > 0)
					print l
			close(f)
		}
	}
	printf "figures %d %d %d %d %d %d %d %d\n", procs, n["command"], n["monitor"], n["forked"], unfinished, errors, leaked, fds
}
