/* Stopping: the stop signal, a wait on a pidfd (woken by the exit itself,
 * not by the reaping, which PID 1 may do seconds later), then SIGKILL. */
#define _GNU_SOURCE
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

/* What the program forked into its process group may outlive it; they got
 * the signal too, and get the rest of the grace period before SIGKILL. */
static void stop_group_rest(pid_t pgid, double deadline)
{
	pid_t *members;
	size_t n = 0;

	if (kill(-pgid, 0) < 0)
		return;
	members = xcalloc(GROUP_MAX, sizeof(*members));
	if (proc_group_members(pgid, members, GROUP_MAX, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			int fd = proc_pidfd_open(members[i]);
			if (fd < 0)
				continue;
			if (!wait_exit(fd, members[i], deadline))
				(void)kill(-pgid, SIGKILL);
			close(fd);
		}
	free(members);
}

/* Stops pid (already verified by the caller, pidfd opened before that check
 * so it cannot name a recycled PID): sig, wait up to timeout, SIGKILL. */
int stop_process(pid_t pid, int pidfd, int sig, double timeout, bool group,
		 enum stop_result *res)
{
	double deadline = now_mono() + timeout;

	*res = STOP_DONE;
	if (signal_process(pid, pidfd, sig, group) < 0 && errno != ESRCH)
		return -1;
	/* a stopped process would never act on TERM */
	if (sig != SIGKILL && sig != SIGCONT)
		(void)signal_process(pid, pidfd, SIGCONT, group);
	if (wait_exit(pidfd, pid, deadline)) {
		if (group)
			stop_group_rest(pid, deadline);
		return 0;
	}
	*res = STOP_KILLED;
	(void)signal_process(pid, pidfd, SIGKILL, group);
	if (!wait_exit(pidfd, pid, now_mono() + KILL_GRACE)) {
		*res = STOP_STUCK;
		return 0;
	}
	if (group)
		stop_group_rest(pid, now_mono() + KILL_GRACE);
	return 0;
}
