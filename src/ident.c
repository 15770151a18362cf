/* Identity: what is the service, and how do we know?
 *
 * The state file (root's, in run_dir) is the authority. The pidfile is a
 * copy for other tools, in a place the service's user may be able to write:
 * it can confirm the state file, never overrule it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcctl.h"

/* The leader is gone: are members of its group still running? They are what
 * is left of the service (a child it forked before it died). */
static void find_leftovers(struct identity *id)
{
	size_t total = 0;

	if (proc_group_members(&id->group, id->st.pid, id->left, IDENT_LEFT_MAX,
			       &total) == 0 &&
	    total > 0) {
		id->nleft = total;
		id->ident = IDENT_LEFTOVER;
		id->why = "the program is gone, processes of its group still run";
	}
}

/* Judges the PID the state file names (the pidfile, when there is one,
 * named the same). */
static void identify_by_state(struct identity *id, enum proc_state ps)
{
	char boot_id[40];

	id->have_state = true;
	id->group.pgid = id->st.pgid;
	id->group.sid = id->st.sid;
	id->group.since = id->st.starttime;
	if (proc_boot_id(boot_id, sizeof(boot_id)) == 0 &&
	    strcmp(boot_id, id->st.boot_id) != 0) {
		id->ident = IDENT_DEAD;
		id->why = "pidfile is from an earlier boot";
		return;
	}
	if (ps == PROC_ALIVE && id->pi.starttime != id->st.starttime) {
		/* the PID was free again, so its group had emptied too */
		id->ident = IDENT_STALE;
		id->why = "the PID now belongs to another process (start time "
			  "differs)";
		return;
	}
	if (ps != PROC_ALIVE) {
		id->ident = IDENT_DEAD;
		id->why = ps == PROC_ZOMBIE ? "process is a zombie" : "process is gone";
		find_leftovers(id);
		return;
	}
	id->ident = IDENT_RUNNING;
	id->how = id->pidfile_missing ? "start time and boot id match (pidfile missing)"
				      : "start time and boot id match";
}

/* Could only root (or, in user mode, the caller) have put the pidfile
 * there? Its directory is theirs and nobody else can write it. */
static bool pidfile_dir_trusted(const char *pidfile)
{
	const char *base, *why;
	int dirfd = path_parent_trusted(pidfile, false, 0, &base, &why);
	bool trusted;

	if (dirfd < 0)
		return false;
	trusted = path_dir_check(dirfd, &why) == 0;
	close(dirfd);
	return trusted;
}

/* Is PID a process of the service's own (non-root) user, one that user
 * could signal itself? */
static bool pid_is_users(const struct service *svc, pid_t pid)
{
	uid_t uid;

	return svc->set_user && svc->uid != 0 && proc_uid(pid, &uid) == 0 &&
		uid == svc->uid;
}

/* Is the monitor the state names alive, and that process (start time)? */
static bool monitor_verified(const struct state *st)
{
	struct proc_info pi;

	return st->monitor_pid > 0 && proc_stat(st->monitor_pid, &pi) == 0 &&
		proc_state_of(&pi) == PROC_ALIVE && pi.starttime == st->monitor_starttime;
}

/* The monitor's states in which no program runs (DESIGN 4.8) */
static void identify_idle(struct identity *id)
{
	id->have_state = true;
	switch (id->st.run) {
	case RUN_FATAL:
		id->ident = IDENT_FATAL;
		id->why = "the monitor gave up";
		break;
	case RUN_BACKOFF:
		if (id->supervised) {
			id->ident = IDENT_BACKOFF;
			id->why = "the monitor waits to restart the program";
		} else {
			id->ident = IDENT_DEAD;
			id->why = "the monitor is gone (it was waiting to restart the "
				  "program)";
		}
		break;
	default: id->ident = IDENT_NONE; break;
	}
}

/* Decides what the service is. A PID is the service only if the process is
 * alive (zombies are dead) and its start time and boot id match the state
 * file. A pidfile naming another PID than the state file is untrusted; a
 * missing pidfile does not make a recorded live process forgotten. Only a
 * pidfile without any state file (a foreign writer) is matched against the
 * configured program through /proc/PID/exe. */
int identify(const struct service *svc, struct identity *id)
{
	const char *why = NULL;
	enum proc_state ps;
	pid_t pid;
	uid_t owner = svc->set_user ? svc->uid : getuid();
	bool have_state;

	memset(id, 0, sizeof(*id));
	have_state = state_read(svc->state_path, &id->st) == 0;
	if (have_state && id->st.monitor_pid > 0) {
		char boot_id[40];

		id->supervised = monitor_verified(&id->st) &&
			proc_boot_id(boot_id, sizeof(boot_id)) == 0 &&
			strcmp(boot_id, id->st.boot_id) == 0;
		/* a monitor that finished (stopped, fatal) is not lost */
		id->monitor_lost = !id->supervised && id->st.pid > 0;
	}
	if (have_state && id->st.pid == 0 && id->st.run == RUN_STOPPED &&
	    !(pidfile_read(svc->pidfile, owner, &pid, &why) < 0 && errno == ENOENT)) {
		/* the record of a stop, and a pidfile written since (a daemon
		 * started by other means): judged as if there were no state */
		memset(id, 0, sizeof(*id));
		have_state = false;
		why = NULL;
	}
	if (have_state && id->st.pid == 0) {
		identify_idle(id);
		return 0;
	}
	if (pidfile_read(svc->pidfile, owner, &pid, &why) < 0) {
		if (errno != ENOENT) {
			id->ident = IDENT_UNTRUSTED;
			id->why = why ? why : strerror(errno);
			return errno == EACCES ? -1 : 0;
		}
		if (!have_state) {
			id->ident = IDENT_NONE;
			return 0;
		}
		id->pidfile_missing = true;
		pid = id->st.pid;
	} else if (have_state && id->st.pid != pid && id->supervised) {
		/* the monitor writes the state before the pidfile: between a
		 * respawn's two writes the pidfile names the last run. The
		 * state is the authority, the pidfile's PID is never used. */
		id->pidfile_missing = true;
		pid = id->st.pid;
	} else if (have_state && id->st.pid != pid) {
		id->pid = pid;
		id->have_state = true;
		id->ident = IDENT_UNTRUSTED;
		id->why = "the pidfile names another PID than the state file";
		return 0;
	}
	id->pid = pid;
	id->have_pi = proc_stat(pid, &id->pi) == 0;
	ps = id->have_pi ? proc_state_of(&id->pi) : PROC_GONE;
	if (have_state) {
		identify_by_state(id, ps);
		/* a start without a monitor waiting on ready_fd writes
		 * starting too, and running once the program is ready */
		if (id->ident == IDENT_RUNNING && id->st.run == RUN_STARTING &&
		    (id->supervised || id->st.monitor_pid == 0))
			id->ident = IDENT_STARTING;
		/* the program is gone and the pidfile too: a stopped service
		 * with a state file left over, nothing that runs */
		if (id->pidfile_missing && id->ident != IDENT_RUNNING &&
		    id->ident != IDENT_LEFTOVER)
			id->ident = IDENT_NONE;
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
	if (!pidfile_dir_trusted(svc->pidfile) && !pid_is_users(svc, pid)) {
		/* with no state to vouch for it, a PID from a file another user
		 * could have written (or renamed into place: the service's own
		 * log is root's, and its content the service's) names only
		 * that user's own processes: any second copy of the program
		 * would match by executable */
		id->ident = IDENT_UNTRUSTED;
		id->why = "pidfile without state, in a directory another user can "
			  "write, names a process that is not the service user's";
		return 0;
	}
	id->ident = IDENT_RUNNING;
	id->how = "executable matches";
	/* nothing recorded the group: the one it leads, if it leads one */
	id->group.pgid = pid;
	id->group.sid = id->pi.sid;
	id->group.since = id->pi.starttime;
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
