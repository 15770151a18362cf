/* Stopping: the stop signal, a wait on a pidfd (woken by the exit itself,
 * not by the reaping, which PID 1 may do seconds later), then SIGKILL. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#define KILL_GRACE 5.0 /* after SIGKILL, how long before we call it stuck */
#define GROUP_MAX 4096

/* Waits until the process behind pidfd has exited or the deadline passes;
 * 1 when it exited. A zombie counts as exited: the pidfd says so at once. */
static int wait_exit(int pidfd, pid_t pid, double deadline)
{
	for (;;) {
		double left = deadline - now_mono();
		struct pollfd pfd = {pidfd, POLLIN, 0};
		int r;

		if (pidfd < 0) {
			/* no pidfd (old kernel): poll /proc at 2 ms */
			struct timespec ts = {0, 2000000};
			if (proc_alive(pid) != PROC_ALIVE)
				return 1;
			if (left <= 0)
				return 0;
			nanosleep(&ts, NULL);
			continue;
		}
		r = poll(&pfd, 1, left > 0 ? (int)(left * 1000) + 1 : 0);
		if (r > 0)
			return 1;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return proc_alive(pid) != PROC_ALIVE;
		if (now_mono() >= deadline)
			return 0;
	}
}

/* How a signal to the group is pinned. A pgid is a PID number, and nothing
 * a caller can hold keeps a number from being reused once its last user is
 * gone (a pidfd pins a process, not its number). Two ways:
 *
 * - The program leads its own group (spawn.c's setpgid(0, 0): the recorded
 *   pgid is the verified leader's PID). While the leader exists, alive or a
 *   zombie, its PID number is taken, so no other process can create a group
 *   of that number: it names the service's group and nothing else. Its
 *   pidfd tells whether it exists (pidfd_send_signal(fd, 0) answers until
 *   the reaping, never after). So: the pidfd answers, kill(-pgid, sig) (and
 *   SIGCONT), the pidfd answers again: the leader existed throughout and the
 *   signal reached exactly the service's group. If it does not answer the
 *   second time, the leader was reaped in between; the group signal almost
 *   surely reached the group all the same (a PID number is handed out again
 *   only after the kernel cycled through all of pid_max), but nothing
 *   proves it, so what is left is signalled again by the scan below (a
 *   member may get the signal twice). group_kill() below.
 * - Otherwise (pgid != pid: a type = forking daemon in a group of its own,
 *   or the leader already reaped): every member is found in /proc (group,
 *   session, started no earlier than the leader), a pidfd is opened on it,
 *   it is checked again through /proc after that (so the pidfd names the
 *   process that was checked), and the signal goes through the pidfd. A
 *   process the group forks while we look is caught by the next pass.
 *
 * kill(-pgid, 0) is used only as a probe: ESRCH proves the group empty (a
 * reused number can only say "not empty", which costs a pass, never a
 * wrong signal). spawn.c's middle process also uses kill(-pgid): the leader
 * is its own unreaped child there, which keeps the number taken. */

struct member {
	pid_t pid;
	int fd; /* -1: no pidfd on this kernel, signal by PID */
	const struct group_left *group;
};

static int pgid_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct group_left *)a)->group.pgid,
	      y = ((const struct group_left *)b)->group.pgid;
	return (x > y) - (x < y);
}

#define PROBE_EVERY 16 /* processes read between two probes of the groups */
#define PROBE_GROUPS 8 /* more groups than this: a pass runs to its end */

/* Is any of the groups not empty? kill(-pgid, 0) fails with ESRCH only when
 * no process is in the group; a reused number just says "not empty". */
static bool any_group_left(const struct group_left *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kill(-groups[i].group.pgid, 0) == 0 || errno != ESRCH)
			return true;
	return false;
}

/* One pass over /proc: the verified, pinned members of groups (sorted by
 * pgid), except the PID except. The pass ends early when the groups empty
 * while it runs (a dead leader the reaper took meanwhile was the last one),
 * probed every PROBE_EVERY entries when there are few groups. */
static size_t scan_members(const struct group_left *groups, size_t n, pid_t except,
			   struct member *out, size_t max)
{
	size_t found = 0, seen = 0;
	struct dirent *de;
	DIR *d;

	if (n == 0 || !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d)) && found < max) {
		struct group_left key = {{0, 0, 0}, 0};
		const struct group_left *g;
		struct proc_info pi, again;
		long pid;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    parse_int(de->d_name, 1, 0x7fffffff, &pid) < 0)
			continue;
		if (n <= PROBE_GROUPS && ++seen % PROBE_EVERY == 0 &&
		    !any_group_left(groups, n))
			break;
		if ((pid_t)pid == except)
			continue;
		/* getpgid() is one system call and no descriptor: it sorts out
		 * the processes of other groups before /proc/PID/stat is read */
		key.group.pgid = getpgid((pid_t)pid);
		if (key.group.pgid <= 0 ||
		    !bsearch(&key, groups, n, sizeof(*groups), pgid_cmp))
			continue;
		if (proc_stat((pid_t)pid, &pi) < 0)
			continue;
		key.group.pgid = pi.pgid;
		g = bsearch(&key, groups, n, sizeof(*groups), pgid_cmp);
		if (!g || !proc_group_member(&g->group, &pi))
			continue;
		fd = proc_pidfd_open((pid_t)pid);
		if (fd < 0 && errno != ENOSYS)
			continue; /* gone */
		/* checked again after the pidfd was opened: it names this one */
		if (proc_stat((pid_t)pid, &again) < 0 ||
		    again.starttime != pi.starttime ||
		    !proc_group_member(&g->group, &again)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		out[found].pid = (pid_t)pid;
		out[found].fd = fd;
		out[found++].group = g;
	}
	closedir(d);
	return found;
}

static int member_signal(const struct member *m, int sig)
{
	if (m->fd >= 0)
		return proc_pidfd_signal(m->fd, sig);
	return kill(m->pid, sig);
}

static void members_close(struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].fd >= 0)
			close(m[i].fd);
}

/* Sends sig, then (when not 0) then, to every member of g but except, in
 * one pass over /proc; how many got sig. */
size_t group_signal(const struct group_id *g, pid_t except, int sig, int then)
{
	struct group_left gl = {*g, 0};
	struct member *m = xcalloc(GROUP_MAX, sizeof(*m));
	size_t n = scan_members(&gl, 1, except, m, GROUP_MAX), sent = 0;

	for (size_t i = 0; i < n; i++) {
		if (member_signal(&m[i], sig) == 0)
			sent++;
		if (then)
			(void)member_signal(&m[i], then);
	}
	members_close(m, n);
	free(m);
	return sent;
}

static int leader_signal(pid_t pid, int pidfd, int sig, int then)
{
	int rc = pidfd >= 0 ? proc_pidfd_signal(pidfd, sig) : kill(pid, sig);
	int saved = errno;

	if (then)
		(void)(pidfd >= 0 ? proc_pidfd_signal(pidfd, then) : kill(pid, then));
	errno = saved;
	return rc;
}

/* The leader of its own group (pgid == pid, pinned by pidfd): sig, then
 * then, to the whole group with kill(-pgid) and no pass over /proc (the
 * argument is above struct member). The leader gets them once: through
 * the group while it is in it, through its pidfd when it left it (or
 * moved while we looked). 1 when the signal provably reached exactly the
 * group, *rc the leader's result; 0 when the leader was gone before
 * (nothing sent) or reaped meanwhile: the caller falls back to the scan. */
static int group_kill(pid_t pid, int pidfd, int sig, int then, int *rc)
{
	pid_t before, after;
	int r, saved;

	if (proc_pidfd_signal(pidfd, 0) < 0)
		return 0;
	before = getpgid(pid);
	r = kill(-pid, sig);
	saved = errno;
	if (then)
		(void)kill(-pid, then);
	after = getpgid(pid);
	if (before != pid || after != pid) {
		/* not in its group throughout: its own signal too */
		r = leader_signal(pid, pidfd, sig, then);
		saved = errno;
	}
	if (proc_pidfd_signal(pidfd, 0) < 0)
		return 0;
	*rc = r;
	errno = saved;
	return 1;
}

/* sig to the verified pid (through its pidfd when there is one), then to
 * the rest of its group; a stopped process would never act on TERM, so
 * with cont each also gets SIGCONT. */
static int signal_all(pid_t pid, int pidfd, int sig, bool cont,
		      const struct group_id *group)
{
	int then = cont ? SIGCONT : 0, rc, saved;

	if (group && group->pgid > 0 && group->pgid == pid && pidfd >= 0 &&
	    group_kill(pid, pidfd, sig, then, &rc))
		return rc;
	rc = leader_signal(pid, pidfd, sig, then);
	saved = errno;
	if (group && group->pgid > 0)
		(void)group_signal(group, pid, sig, then);
	errno = saved;
	return rc;
}

int signal_process(pid_t pid, int pidfd, int sig, const struct group_id *group)
{
	return signal_all(pid, pidfd, sig, false, group);
}

#define SWEEP_PASSES 4

/* Drops the groups kill(-pgid, 0) proves empty; keeps the order. How many
 * are left. */
static size_t groups_left(struct group_left *groups, size_t n)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++)
		if (groups[i].group.pgid > 0 && any_group_left(&groups[i], 1))
			groups[left++] = groups[i];
	return left;
}

/* What the programs forked into their process groups may outlive them; they
 * got the signal too, and get the rest of their grace period before SIGKILL.
 * A group kill(-pgid, 0) proves empty costs nothing more. While a dead
 * leader waits for its reaper it is still a member, so kill(-pgid, 0)
 * cannot tell and /proc must be listed: once for all the groups a stop
 * --all ended, not once per service, and ended early when a prompt reaper
 * empties the group meanwhile (never waiting for it: PID 1 may reap
 * seconds late). Another pass catches what they forked meanwhile. Counts
 * the processes that needed SIGKILL and those still alive after it. */
static void sweep(struct group_left *groups, size_t n, size_t *killed, size_t *stuck)
{
	struct group_left *live = xcalloc(n ? n : 1, sizeof(*live));
	struct member *members = NULL;
	size_t nlive;

	*killed = *stuck = 0;
	if (n)
		memcpy(live, groups, n * sizeof(*live));
	nlive = groups_left(live, n);
	if (nlive == 0) {
		free(live);
		return;
	}
	qsort(live, nlive, sizeof(*live), pgid_cmp);
	members = xcalloc(GROUP_MAX, sizeof(*members));
	for (int pass = 0; pass < SWEEP_PASSES; pass++) {
		size_t nmembers;

		if (pass > 0 && (nlive = groups_left(live, nlive)) == 0)
			break;
		nmembers = scan_members(live, nlive, 0, members, GROUP_MAX);
		*stuck = 0;
		if (nmembers == 0)
			break;
		for (size_t i = 0; i < nmembers; i++) {
			if (wait_exit(members[i].fd, members[i].pid,
				      members[i].group->deadline))
				continue;
			(*killed)++;
			(void)member_signal(&members[i], SIGKILL);
			if (!wait_exit(members[i].fd, members[i].pid,
				       now_mono() + KILL_GRACE))
				(*stuck)++;
		}
		members_close(members, nmembers);
	}
	free(members);
	free(live);
}

void stop_groups_rest(struct group_left *groups, size_t n)
{
	size_t killed, stuck;

	sweep(groups, n, &killed, &stuck);
}

/* Ends what is left of a service's group after its leader is gone: sig
 * (and SIGCONT) to every member, up to timeout for them to exit, SIGKILL. */
int group_end(const struct group_id *g, int sig, double timeout, enum stop_result *res)
{
	struct group_left rest = {*g, now_mono() + timeout};
	size_t killed, stuck;

	*res = STOP_DONE;
	(void)group_signal(g, 0, sig, sig != SIGKILL && sig != SIGCONT ? SIGCONT : 0);
	sweep(&rest, 1, &killed, &stuck);
	if (killed && sig != SIGKILL)
		*res = STOP_KILLED;
	if (stuck)
		*res = STOP_STUCK;
	return 0;
}

/* Stops pid (already verified by the caller, pidfd opened before that check
 * so it cannot name a recycled PID): sig, wait up to timeout, SIGKILL. With
 * group, what is left of the process group is dealt with too, or, when
 * defer is given, recorded there for one stop_groups_rest() over many. */
int stop_process(pid_t pid, int pidfd, int sig, double timeout,
		 const struct group_id *group, struct group_left *defer,
		 enum stop_result *res)
{
	double deadline = now_mono() + timeout;
	struct group_left rest = {{0, 0, 0}, deadline};

	*res = STOP_DONE;
	if (group)
		rest.group = *group;
	if (signal_all(pid, pidfd, sig, sig != SIGKILL && sig != SIGCONT, group) < 0 &&
	    errno != ESRCH)
		return -1;
	if (!wait_exit(pidfd, pid, deadline)) {
		*res = STOP_KILLED;
		(void)signal_process(pid, pidfd, SIGKILL, group);
		rest.deadline = now_mono() + KILL_GRACE;
		if (!wait_exit(pidfd, pid, rest.deadline)) {
			*res = STOP_STUCK;
			return 0;
		}
	}
	if (defer)
		*defer = rest;
	else
		stop_groups_rest(&rest, 1);
	return 0;
}

/* Waits until the process behind pidfd has exited, or the deadline
 * (CLOCK_MONOTONIC) passes: 1 when it exited */
int stop_wait(int pidfd, pid_t pid, double deadline)
{
	return wait_exit(pidfd, pid, deadline);
}
