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

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

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

int signal_process(pid_t pid, int pidfd, int sig, bool group)
{
	if (group && kill(-pid, sig) == 0)
		return 0;
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
		return 0;
	return kill(pid, sig);
}

static int pgid_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct group_left *)a)->pgid,
	      y = ((const struct group_left *)b)->pgid;
	return (x > y) - (x < y);
}

/* What the programs forked into their process groups may outlive them; they
 * got the signal too, and get the rest of their grace period before SIGKILL.
 * While a dead leader waits for its (late) reaper it is still a member, so
 * kill(-pgid, 0) cannot tell and /proc must be listed: once for all the
 * groups a stop --all ended, not once per service. */
void stop_groups_rest(struct group_left *groups, size_t n)
{
	struct group_left *live = xcalloc(n ? n : 1, sizeof(*live));
	size_t nlive = 0, nmembers = 0;
	struct {
		pid_t pid;
		int fd;
		const struct group_left *group;
	} *members = NULL;
	DIR *d;
	struct dirent *de;

	for (size_t i = 0; i < n; i++)
		if (groups[i].pgid > 0 && kill(-groups[i].pgid, 0) == 0)
			live[nlive++] = groups[i];
	if (nlive == 0 || !(d = opendir("/proc"))) {
		free(live);
		return;
	}
	qsort(live, nlive, sizeof(*live), pgid_cmp);
	members = xcalloc(GROUP_MAX, sizeof(*members));
	while ((de = readdir(d)) && nmembers < GROUP_MAX) {
		struct group_left key = {0, 0}, *g;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    parse_int(de->d_name, 1, 0x7fffffff, &pid) < 0)
			continue;
		key.pgid = getpgid((pid_t)pid);
		g = bsearch(&key, live, nlive, sizeof(*live), pgid_cmp);
		if (!g || proc_alive((pid_t)pid) != PROC_ALIVE)
			continue;
		members[nmembers].pid = (pid_t)pid;
		members[nmembers].fd = proc_pidfd_open((pid_t)pid);
		members[nmembers++].group = g;
	}
	closedir(d);
	for (size_t i = 0; i < nmembers; i++) {
		if (members[i].fd < 0)
			continue;
		if (!wait_exit(members[i].fd, members[i].pid,
			       members[i].group->deadline)) {
			(void)kill(-members[i].group->pgid, SIGKILL);
			(void)wait_exit(members[i].fd, members[i].pid,
					now_mono() + KILL_GRACE);
		}
		close(members[i].fd);
	}
	free(members);
	free(live);
}

/* Stops pid (already verified by the caller, pidfd opened before that check
 * so it cannot name a recycled PID): sig, wait up to timeout, SIGKILL. With
 * group, what is left of the process group is dealt with too, or, when
 * defer is given, recorded there for one stop_groups_rest() over many. */
int stop_process(pid_t pid, int pidfd, int sig, double timeout, bool group,
		 struct group_left *defer, enum stop_result *res)
{
	double deadline = now_mono() + timeout;
	struct group_left rest = {group ? pid : 0, deadline};

	*res = STOP_DONE;
	if (signal_process(pid, pidfd, sig, group) < 0 && errno != ESRCH)
		return -1;
	/* a stopped process would never act on TERM */
	if (sig != SIGKILL && sig != SIGCONT)
		(void)signal_process(pid, pidfd, SIGCONT, group);
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
