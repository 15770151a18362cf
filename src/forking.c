/* type = forking: the program daemonizes itself, so the process to track is
 * one the launcher leaves behind and names in its pidfile.
 *
 * Whoever runs the launcher (the start's middle process, or the monitor) is
 * a child subreaper: every process the launcher leaves, however it detaches
 * (fork, setsid, fork), is re-parented to it. That makes two things exact
 * that would otherwise be guesses: "is the PID in the pidfile one this start
 * created" (it descends from the caller), and "what is left to kill when the
 * start fails" (every child of the caller, until there is none). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#define CHILDREN_MAX 256 /* children looked at per pass */
#define ANCESTRY_MAX 4096 /* parent links followed before giving up */
#define NO_INOTIFY_NAP_MS 20 /* only where inotify_init1 fails */
#define WATCH_MAX 16 /* children whose end wakes the wait */

/* The caller's children, live or not: /proc/self/task/TID/children where
 * the kernel has it (CONFIG_PROC_CHILDREN), else a pass over /proc. */
static size_t children_of_self(pid_t *out, size_t max)
{
	pid_t self = getpid();
	char path[64], buf[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd;

	/* the caller is single-threaded: its children hang off the main task */
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)self);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read_full(fd, buf, sizeof(buf) - 1);
		char *p = buf, *end;

		close(fd);
		if (r >= 0) {
			buf[r] = '\0';
			while (n < max) {
				long v = strtol(p, &end, 10);

				if (end == p)
					break;
				if (v > 0)
					out[n++] = (pid_t)v;
				p = end;
			}
			return n;
		}
	}
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct proc_info pi;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    parse_int(de->d_name, 1, 0x7fffffff, &pid) < 0)
			continue;
		if (proc_stat((pid_t)pid, &pi) == 0 && pi.ppid == self)
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

/* What the launcher left that still runs: the children of ours that are
 * not zombies, with a pidfd on up to max of them (-1 without pidfds), so a
 * wait wakes when one ends. Looked at twice before saying none: a pass over
 * /proc is not atomic, and a process read before its parent died is
 * re-parented to us only after. Returns how many pidfds it filled in. */
static size_t live_children(int *pidfds, size_t max, bool *any)
{
	pid_t kids[CHILDREN_MAX];
	size_t nfds = 0;

	*any = false;
	for (int pass = 0; pass < 2 && !*any; pass++) {
		size_t n = children_of_self(kids, CHILDREN_MAX);

		for (size_t i = 0; i < n; i++) {
			/* an unreaped child of ours: its PID cannot be reused */
			if (proc_alive(kids[i]) != PROC_ALIVE)
				continue;
			*any = true;
			if (nfds < max)
				pidfds[nfds++] = proc_pidfd_open(kids[i]);
		}
	}
	return nfds;
}

/* Does pid descend from the caller? */
static bool descends_from_self(pid_t pid)
{
	pid_t self = getpid();

	for (int i = 0; i < ANCESTRY_MAX && pid > 1; i++) {
		struct proc_info pi;

		if (proc_stat(pid, &pi) < 0)
			return false;
		if (pi.ppid == self)
			return true;
		pid = pi.ppid;
	}
	return false;
}

/* One look at the pidfile: 0 when it names a live descendant running
 * exe_path; 1 when that may still come (no file yet, not yet a PID, a PID
 * that does not qualify: why says which); -1 when the file is refused for
 * good (a link, a world-writable file: rewriting the content cannot help). */
static int pidfile_check(const struct service *svc, const char *exe_path, pid_t *pid,
			 char *why, size_t whylen)
{
	uid_t owner = svc->set_user ? svc->uid : getuid();
	const char *reason = NULL;
	struct proc_info pi;
	pid_t p;

	if (pidfile_read(svc->pidfile, owner, &p, &reason) < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, whylen, "%s: %s", svc->pidfile,
			 reason ? reason : strerror(errno));
		/* an empty or half-written file, a FIFO: it may still change */
		return errno == EINVAL ? 1 : -1;
	}
	if (proc_stat(p, &pi) < 0 || proc_state_of(&pi) != PROC_ALIVE) {
		snprintf(why, whylen, "pid %d in %s is not running", (int)p,
			 svc->pidfile);
		return 1;
	}
	if (proc_exe_matches(p, exe_path) != 1) {
		snprintf(why, whylen, "pid %d in %s is not %s", (int)p, svc->pidfile,
			 exe_path);
		return 1;
	}
	/* the same program started by someone else (a copy run by hand, a
	 * stale pidfile of an earlier run whose PID came back) is not ours */
	if (!descends_from_self(p)) {
		snprintf(why, whylen, "pid %d in %s was not started by the launcher",
			 (int)p, svc->pidfile);
		return 1;
	}
	*pid = p;
	return 0;
}

/* Waits until the inotify descriptor reports a change to base, one of the
 * pidfds says its process ended, cancel_fd wakes, or the deadline. 1: look
 * again, 0: deadline, -1: cancelled. */
static int wait_change(int ino, const char *base, int cancel_fd, const int *pidfds,
		       size_t npidfds, double deadline)
{
	struct pollfd pfd[2 + WATCH_MAX];

	pfd[0] = (struct pollfd){ino, POLLIN, 0};
	pfd[1] = (struct pollfd){cancel_fd, POLLIN, 0};
	for (size_t i = 0; i < npidfds && i < WATCH_MAX; i++)
		pfd[2 + i] = (struct pollfd){pidfds[i], POLLIN, 0};
	for (;;) {
		double left = deadline - now_mono();
		_Alignas(struct inotify_event) char buf[4096];
		int timeout = left <= 0 ? 0 : left > 60 ? 60000 : (int)(left * 1000) + 1;
		bool hit = false;
		int r;

		if (ino < 0 && timeout > NO_INOTIFY_NAP_MS)
			timeout = NO_INOTIFY_NAP_MS;
		r = poll(pfd, 2 + (npidfds < WATCH_MAX ? npidfds : WATCH_MAX), timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0 && pfd[1].revents) {
			errno = ECANCELED;
			return -1;
		}
		for (size_t i = 0; r > 0 && i < npidfds && i < WATCH_MAX; i++)
			if (pfd[2 + i].revents)
				return 1;
		if (ino < 0 || r < 0)
			return now_mono() < deadline ? 1 : 0;
		if (r == 0 && now_mono() >= deadline)
			return 0;
		for (;;) {
			ssize_t n = read(ino, buf, sizeof(buf));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			for (char *p = buf; p < buf + n;) {
				const struct inotify_event *ev = (const void *)p;

				if ((ev->mask & IN_Q_OVERFLOW) ||
				    (ev->len && strcmp(ev->name, base) == 0))
					hit = true;
				p += sizeof(*ev) + ev->len;
			}
		}
		if (hit)
			return 1;
	}
}

/* Waits until svc's pidfile names a live process running exe_path that
 * descends from the caller (a child subreaper that ran the launcher, which
 * has exited 0), or deadline (CLOCK_MONOTONIC) passes. The pidfile's
 * directory, opened through the trusted resolver, is watched with inotify;
 * the file is read again after each change, with pidfile_read's rules. Ends
 * early when the file is refused for good, when nothing the launcher left
 * runs any more (nothing could write it), or when cancel_fd (-1: none)
 * becomes readable or hangs up (errno ECANCELED). Returns 0 with *pid, or -1
 * with why set; prints nothing. */
int forking_await_pid(const struct service *svc, const char *exe_path, double deadline,
		      int cancel_fd, pid_t *pid, char *why, size_t whylen)
{
	const char *base = NULL, *reason = NULL;
	char self[64];
	int dirfd, ino = -1, rc = -1, err = ETIMEDOUT, r, pidfds[WATCH_MAX];
	size_t npidfds;
	bool any;

	why[0] = '\0';
	dirfd = path_parent_trusted(svc->pidfile, false, 0, &base, &reason);
	if (dirfd < 0) {
		snprintf(why, whylen, "pidfile %s: %s", svc->pidfile,
			 reason ? reason : strerror(errno));
		return -1;
	}
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0) {
		/* the directory the resolver verified, not whatever the name
		 * leads to by now */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
		if (inotify_add_watch(ino, self,
				      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
					      IN_ONLYDIR) < 0) {
			close(ino);
			ino = -1;
		}
	}
	for (;;) {
		r = pidfile_check(svc, exe_path, pid, why, whylen);
		if (r < 0)
			err = errno;
		if (r <= 0)
			break;
		npidfds = live_children(pidfds, WATCH_MAX, &any);
		if (!any) {
			/* one last look: the daemon may have written the file
			 * and ended between the look above and this one, and
			 * then its PID, not "no pidfile", is the answer */
			r = pidfile_check(svc, exe_path, pid, why, whylen);
			if (r == 0)
				break;
			err = r < 0 ? errno : ESRCH;
			r = 1;
			if (!why[0])
				snprintf(why, whylen,
					 "no pidfile %s, and nothing the launcher "
					 "started is running",
					 svc->pidfile);
			break;
		}
		r = wait_change(ino, base, cancel_fd, pidfds, npidfds, deadline);
		for (size_t i = 0; i < npidfds; i++)
			if (pidfds[i] >= 0)
				close(pidfds[i]);
		if (r < 0) {
			err = ECANCELED;
			snprintf(why, whylen, "start abandoned");
			break;
		}
		if (r == 0) {
			/* one last look: the change may have come with the deadline */
			r = pidfile_check(svc, exe_path, pid, why, whylen);
			if (r != 0 && !why[0])
				snprintf(why, whylen, "no pidfile %s within %gs",
					 svc->pidfile, svc->start_timeout);
			break;
		}
	}
	if (r == 0) {
		why[0] = '\0';
		rc = 0;
	}
	if (ino >= 0)
		close(ino);
	close(dirfd);
	if (rc < 0)
		errno = err;
	return rc;
}

/* Kills and reaps every child of the caller, and what they leave behind,
 * which a child subreaper inherits: until there is no child left. Each is
 * an unreaped child when it is signalled, so its PID cannot have been
 * reused. Fills ended with up to max of the PIDs reaped; returns how many. */
size_t forking_end_descendants(pid_t *ended, size_t max)
{
	pid_t kids[CHILDREN_MAX];
	size_t n = 0;

	for (;;) {
		size_t nkids = children_of_self(kids, CHILDREN_MAX);
		int status;
		pid_t p;

		for (size_t i = 0; i < nkids; i++)
			(void)kill(kids[i], SIGKILL);
		p = waitpid(-1, &status, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break; /* ECHILD: none left */
		if (n < max)
			ended[n] = p;
		n++;
	}
	return n;
}
