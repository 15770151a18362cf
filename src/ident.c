/* Identity: is the PID in the pidfile this service, and how do we know? */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcctl.h"

/* Decides what the pidfile names. A PID is the service only if the process
 * is alive (zombies are dead) and its start time and boot id match the state
 * file; without a state file, /proc/PID/exe must be the configured program. */
int identify(const struct service *svc, struct identity *id)
{
	const char *why = NULL;
	char boot_id[40];
	enum proc_state ps;
	pid_t pid;
	uid_t owner = svc->set_user ? svc->uid : getuid();

	memset(id, 0, sizeof(*id));
	if (pidfile_read(svc->pidfile, owner, &pid, &why) < 0) {
		if (errno == ENOENT) {
			id->ident = IDENT_NONE;
			return 0;
		}
		id->ident = IDENT_UNTRUSTED;
		id->why = why ? why : strerror(errno);
		return errno == EACCES ? -1 : 0;
	}
	id->pid = pid;
	id->have_pi = proc_stat(pid, &id->pi) == 0;
	ps = id->have_pi ? proc_state_of(&id->pi) : PROC_GONE;
	if (state_read(svc->state_path, &id->st) == 0 && id->st.pid == pid) {
		id->have_state = true;
		if (proc_boot_id(boot_id, sizeof(boot_id)) == 0 &&
		    strcmp(boot_id, id->st.boot_id) != 0) {
			id->ident = IDENT_DEAD;
			id->why = "pidfile is from an earlier boot";
			return 0;
		}
		if (ps != PROC_ALIVE) {
			id->ident = IDENT_DEAD;
			id->why = ps == PROC_ZOMBIE ? "process is a zombie"
						    : "process is gone";
			return 0;
		}
		if (id->pi.starttime != id->st.starttime) {
			id->ident = IDENT_STALE;
			id->why = "the PID now belongs to another process (start time "
				  "differs)";
			return 0;
		}
		id->ident = IDENT_RUNNING;
		id->how = "start time and boot id match";
		return 0;
	}
	if (ps != PROC_ALIVE) {
		id->ident = IDENT_DEAD;
		id->why = ps == PROC_ZOMBIE ? "process is a zombie" : "process is gone";
		return 0;
	}
	{
		char *path = NULL;
		int match = 0;

		if (argv_resolve(svc->argv.v[0], &path) == 0)
			match = proc_exe_matches(pid, path);
		free(path);
		if (!match) {
			id->ident = IDENT_STALE;
			id->why = "the PID belongs to another program";
			return 0;
		}
	}
	id->ident = IDENT_RUNNING;
	id->how = "executable matches";
	return 0;
}

/* Is the PID identify() verified still that process, alive? Called after a
 * pidfd was opened on it: if so, the pidfd names the verified process and
 * cannot be fooled by PID reuse from here on. */
bool identity_still(const struct identity *id)
{
	struct proc_info pi;

	return id->ident == IDENT_RUNNING && id->have_pi &&
		proc_stat(id->pid, &pi) == 0 && proc_state_of(&pi) == PROC_ALIVE &&
		pi.starttime == id->pi.starttime;
}
