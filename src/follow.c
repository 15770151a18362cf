/* logs -f: tail -F in C. Prints the last lines of a service's log, then
 * what is appended, following the path across rotation (renamed away and
 * created anew, by the monitor or by logrotate), replacement (removed and
 * recreated, or another file renamed over it) and truncation (copytruncate).
 *
 * It waits on inotify on the log's directory, which reports writes to the
 * file and every create, rename and removal of a name in it; without
 * inotify (no kernel support, out of watches) it looks every quarter
 * second. Either way it also looks every two seconds, so an event it cannot
 * see (the directory itself renamed) costs at most that, and it never spins.
 *
 * Only whole lines are printed; a last line without its newline is printed
 * once it has stood unfinished for a second (a program that writes a prompt
 * or dies mid-line), and what is appended to it later is a line of its own.
 * SIGINT and SIGTERM end it with success, and so does the reader going away
 * (a pipe to head): that is how a follow is meant to end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#define FOLLOW_POLL_MS 250 /* without inotify */
#define FOLLOW_SAFETY_MS 2000 /* with inotify: events it cannot see */
#define FOLLOW_PARTIAL_MS 1000 /* an unfinished last line is printed after */

/* What one follow holds: the file it reads, where, and what wakes it. */
struct follower {
	const char *path;
	int out;
	int in; /* the file being read */
	struct stat st; /* its identity */
	off_t pos; /* printed up to here */
	int inotify; /* -1: none, poll on a timer */
	int signals; /* signalfd for SIGINT, SIGTERM */
	bool out_is_pipe; /* its reader can go away: watch for that */
	long long partial_since; /* ms when an unfinished line was first seen, or 0 */
};

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A directory watch for the name's creates, renames, removals and the
 * writes to it; -1 when inotify is not to be had. */
static int watch_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == path ? xstrdup("/")
		: slash           ? xasprintf("%.*s", (int)(slash - path), path)
				  : xstrdup(".");
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 &&
	    inotify_add_watch(fd, dir,
			      IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO |
				      IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
				      IN_MOVE_SELF) < 0) {
		close(fd);
		fd = -1;
	}
	free(dir);
	return fd;
}

/* Prints what was appended since the last look (from the start again when
 * the file became shorter), whole lines only. */
static int follow_read(struct follower *f, bool partial)
{
	struct stat now;

	if (fstat(f->in, &now) < 0)
		return -1;
	if (now.st_size < f->pos) /* truncated: its new content is all new */
		f->pos = 0;
	if (log_copy(f->in, f->pos, now.st_size, partial, &f->pos, f->out) < 0)
		return -1;
	if (f->pos < now.st_size) {
		if (!f->partial_since)
			f->partial_since = monotonic_ms();
	} else {
		f->partial_since = 0;
	}
	return 0;
}

/* When the path names another file than the one being read, finishes the
 * old one to its end and switches to the new one, read from its start. The
 * new file is opened and then compared, never looked at by name first. */
static int follow_switch(struct follower *f, bool *switched)
{
	struct stat now;
	int next = log_open(f->path, &now);

	*switched = false;
	if (next < 0)
		return 0; /* gone, or not a file yet: keep reading the old one */
	if (now.st_dev == f->st.st_dev && now.st_ino == f->st.st_ino) {
		close(next);
		return 0;
	}
	if (follow_read(f, true) < 0) {
		int saved = errno;
		close(next);
		errno = saved;
		return -1;
	}
	close(f->in);
	f->in = next;
	f->st = now;
	f->pos = 0;
	f->partial_since = 0;
	*switched = true;
	return 0;
}

/* Waits for something to look at. Returns 1 to look, 0 to stop (a
 * signal, the reader gone), -1 on an error. */
static int follow_wait(struct follower *f)
{
	struct pollfd p[3];
	nfds_t n = 0;
	int timeout = f->inotify >= 0 ? FOLLOW_SAFETY_MS : FOLLOW_POLL_MS, r;

	if (f->partial_since) {
		long long left = f->partial_since + FOLLOW_PARTIAL_MS - monotonic_ms();
		if (left < timeout)
			timeout = left < 0 ? 0 : (int)left;
	}
	p[n++] = (struct pollfd){.fd = f->signals, .events = POLLIN};
	if (f->inotify >= 0)
		p[n++] = (struct pollfd){.fd = f->inotify, .events = POLLIN};
	if (f->out_is_pipe) /* POLLERR on a pipe's write end: no reader left */
		p[n++] = (struct pollfd){.fd = f->out, .events = 0};
	do
		r = poll(p, n, timeout);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (nfds_t i = 0; i < n; i++) {
		if (p[i].fd == f->signals && p[i].revents) {
			struct signalfd_siginfo si;
			/* taken, so that unblocking it does not kill us after all */
			(void)read(f->signals, &si, sizeof(si));
			return 0;
		}
		if (p[i].fd == f->out && p[i].revents & (POLLERR | POLLHUP))
			return 0;
		if (p[i].fd == f->inotify && p[i].revents & POLLIN) {
			char buf[4096] __attribute__((
				aligned(__alignof__(struct inotify_event))));
			while (read(f->inotify, buf, sizeof(buf)) > 0)
				; /* which event does not matter: look again */
		}
	}
	return 1;
}

/* Follows path, writing to fd, until SIGINT, SIGTERM or the reader of a
 * pipe going away (then 0). Returns -1 with errno on an error (EPIPE when
 * a write found the reader gone). */
int log_follow(const char *path, int lines, int fd)
{
	struct follower f = {.path = path, .out = fd, .inotify = -1, .signals = -1};
	struct stat out_st;
	sigset_t stop, old;
	int rc = -1, saved, r;
	bool switched;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	/* blocked before the log is opened: a signal from now on is read from
	 * the signalfd, never lost between a look and the wait */
	sigprocmask(SIG_BLOCK, &stop, &old);
	f.in = log_open(path, &f.st);
	if (f.in < 0)
		goto out;
	f.signals = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
	if (f.signals < 0)
		goto out;
	f.inotify = watch_dir(path);
	f.out_is_pipe = fstat(fd, &out_st) == 0 &&
		(S_ISFIFO(out_st.st_mode) || S_ISSOCK(out_st.st_mode));
	f.pos = f.st.st_size;
	if (lines > 0 && log_tail_start(f.in, f.st.st_size, lines, &f.pos) < 0)
		goto out;
	for (;;) {
		bool partial = f.partial_since &&
			monotonic_ms() - f.partial_since >= FOLLOW_PARTIAL_MS;

		if (follow_read(&f, partial) < 0 || follow_switch(&f, &switched) < 0)
			goto out;
		if (switched)
			continue;
		r = follow_wait(&f);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
	}
	rc = 0;
out:
	saved = errno;
	if (f.in >= 0)
		close(f.in);
	if (f.signals >= 0)
		close(f.signals);
	if (f.inotify >= 0)
		close(f.inotify);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return rc;
}
