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

/* How kill(-pgid) is pinned: it is not used. A pgid is a PID number, and
 * nothing a caller can hold keeps a number from being reused once its last
 * user is gone (a pidfd pins a process, not its number), so between "the
 * group has a live member" and kill(-pgid) the group could empty and the
 * number name a new group. Instead every member is found in /proc (group,
 * session, started no earlier than the leader), a pidfd is opened on it, it
 * is checked again through /proc after that (so the pidfd names the process
 * that was checked), and the signal goes through the pidfd. A process the
 * group forks while we look is caught by the next pass over /proc.
 * (spawn.c's middle process is the one place that may use kill(-pgid): the
 * leader is its own unreaped child there, which keeps the number taken.) */

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

/* One pass over /proc: the verified, pinned members of groups (sorted by
 * pgid), except the PID except. */
static size_t scan_members(const struct group_left *groups, size_t n, pid_t except,
			   struct member *out, size_t max)
{
	size_t found = 0;
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
		    parse_int(de->d_name, 1, 0x7fffffff, &pid) < 0 ||
		    (pid_t)pid == except)
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

/* sig to the verified pid (through its pidfd when there is one), then to
 * the rest of its group; a stopped process would never act on TERM, so
 * with cont each also gets SIGCONT. */
static int signal_all(pid_t pid, int pidfd, int sig, bool cont,
		      const struct group_id *group)
{
	int rc = pidfd >= 0 ? proc_pidfd_signal(pidfd, sig) : kill(pid, sig);
	int saved = errno;

	if (cont)
		(void)(pidfd >= 0 ? proc_pidfd_signal(pidfd, SIGCONT)
				  : kill(pid, SIGCONT));
	if (group && group->pgid > 0)
		(void)group_signal(group, pid, sig, cont ? SIGCONT : 0);
	errno = saved;
	return rc;
}

int signal_process(pid_t pid, int pidfd, int sig, const struct group_id *group)
{
	return signal_all(pid, pidfd, sig, false, group);
}

#define SWEEP_PASSES 4

/* What the programs forked into their process groups may outlive them; they
 * got the signal too, and get the rest of their grace period before SIGKILL.
 * While a dead leader waits for its (late) reaper it is still a member, so
 * kill(-pgid, 0) cannot tell and /proc must be listed: once for all the
 * groups a stop --all ended, not once per service. Another pass catches
 * what they forked meanwhile. Counts the processes that needed SIGKILL and
 * those still alive after it. */
static void sweep(struct group_left *groups, size_t n, size_t *killed, size_t *stuck)
{
	struct group_left *live = xcalloc(n ? n : 1, sizeof(*live));
	struct member *members = NULL;
	size_t nlive = 0;

	*killed = *stuck = 0;
	for (size_t i = 0; i < n; i++)
		/* a probe only (signal 0): a reused number costs a /proc pass */
		if (groups[i].group.pgid > 0 && kill(-groups[i].group.pgid, 0) == 0)
			live[nlive++] = groups[i];
	if (nlive == 0) {
		free(live);
		return;
	}
	qsort(live, nlive, sizeof(*live), pgid_cmp);
	members = xcalloc(GROUP_MAX, sizeof(*members));
	for (int pass = 0; pass < SWEEP_PASSES; pass++) {
		size_t nmembers = scan_members(live, nlive, 0, members, GROUP_MAX);

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
