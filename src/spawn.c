/* Starting a service: fork, setsid, fork again, set the program's world up,
 * exec, and learn the outcome synchronously (with no ready window: vfork,
 * below).
 *
 * svcctl ──fork──> middle (setsid) ──fork──> program (setpgid, set-up, exec)
 *
 * The program reports a failed set-up step or exec as {step, errno} over a
 * close-on-exec pipe; EOF on it means exec succeeded. The middle process is
 * the program's parent during the ready window, so it knows the exact exit
 * status of an early death, and reports to svcctl over a second pipe before
 * it exits and leaves the program to init. Nothing stays resident.
 *
 * A start leaves nothing behind unless it succeeded, even when svcctl is
 * killed (SIGKILL) at any point of it:
 *   - the program, once forked, waits before anything else until svcctl has
 *     recorded its PID, start time, process group and session in the state
 *     file (SPAWN_FORKED): from then on status, stop and start find it and
 *     whatever it forks, even if svcctl and the middle process both die;
 *   - svcctl confirms each step to the middle process over a third pipe
 *     (recorded; pidfile written). EOF on it before the last confirmation
 *     means svcctl died or gave up: the middle process kills the program's
 *     whole group and exits. It leaves the program to init only after both
 *     the ready window and the confirmation, so an unconfirmed program never
 *     outlives its start;
 *   - when the program dies, fails to exec, or the start is abandoned, the
 *     middle process kills the group with kill(-pgid) before it reaps the
 *     leader: the unreaped leader keeps the number taken, so the signal
 *     cannot reach a recycled group. svcctl then ends and waits for what is
 *     left (group_end), so start returns only when nothing of it runs.
 *
 * A start with no ready window (type = simple, no ready_fd, ready_seconds =
 * 0) forks nothing for real: svcctl makes itself a child subreaper for the
 * start and vfork()s the middle process, which calls setsid() and vfork()s
 * the program's process. That process runs in svcctl's memory while both
 * its parents are suspended: it calls setpgid(0, 0), records its own PID,
 * start time, group and session in the state file (what svcctl recorded
 * before, with the same code), sets its world up and execs. A failure at
 * any step is left as {step, errno} in memory before it _exits. The middle
 * process resumes once the program exec'd (or died) and exits; the program
 * is re-parented to svcctl, which reaps the middle process, writes the
 * pidfile and looks once whether the program is already dead (then it ends
 * its group, as above). It has no ready window to guard:
 *   - the program never runs unrecorded, and svcctl's lock stays held by
 *     the program's copy of the descriptor until the state names it;
 *   - a svcctl killed at any point leaves either nothing (the program failed
 *     before exec, having run nothing of its own) or a recorded, running
 *     service whose missing pidfile status, stop and start accept (DESIGN
 *     4.13) and start writes again.
 *
 * type = forking: the program is a launcher that must exit 0 after it left
 * a daemon behind, named in the pidfile. The middle process makes itself a
 * child subreaper before it forks the launcher, so whatever the launcher
 * leaves, however it detaches, is re-parented to it: it reaps the launcher,
 * waits for the pidfile (forking_await_pid: a live process of the program
 * that descends from it), reports the daemon's PID and, once svcctl has
 * recorded it, exits and leaves the daemon to init. On any failure it kills
 * and reaps every descendant first (forking_end_descendants). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

enum step {
	STEP_NONE,
	STEP_SETPGID,
	STEP_STDIN,
	STEP_STDOUT,
	STEP_CHDIR,
	STEP_RLIMIT,
	STEP_NICE,
	STEP_SETGID,
	STEP_SETGROUPS,
	STEP_SETUID,
	STEP_EXEC,
	STEP_FORK,
	STEP_SETSID,
	STEP_SUBREAPER,
	STEP_DAEMON,
	STEP_RECORD,
};

static const char *const step_names[] = {
	[STEP_NONE] = "start",
	[STEP_SETPGID] = "setpgid",
	[STEP_STDIN] = "open /dev/null",
	[STEP_STDOUT] = "redirect output",
	[STEP_CHDIR] = "chdir",
	[STEP_RLIMIT] = "setrlimit",
	[STEP_NICE] = "setpriority",
	[STEP_SETGID] = "setgid",
	[STEP_SETGROUPS] = "setgroups",
	[STEP_SETUID] = "setuid",
	[STEP_EXEC] = "exec",
	[STEP_FORK] = "fork",
	[STEP_SETSID] = "setsid",
	[STEP_SUBREAPER] = "become a child subreaper",
	[STEP_DAEMON] = "daemon",
	[STEP_RECORD] = "write the state file",
};

struct child_error {
	int step;
	int err;
};

enum report_kind {
	REPORT_FAILED,
	REPORT_FORKED,
	REPORT_STARTED,
	REPORT_DIED,
	REPORT_READY,
	REPORT_DAEMON
};

struct report {
	int kind;
	int pid;
	int status; /* FORKED: the session ID */
	int step;
	int err;
	double elapsed;
	char why[160]; /* FAILED at STEP_DAEMON: the reason */
};

static void report_send(int fd, const struct report *r)
{
	/* under PIPE_BUF, so the write is atomic */
	(void)write_full(fd, r, sizeof(*r));
}

/* The failure of a vfork()ed start (fd < 0): its parents are suspended
 * until it exec'd or exited, so plain memory carries {step, errno} back */
static volatile int fast_step, fast_err;

static void child_fail(int fd, enum step step)
{
	struct child_error ce = {step, errno};

	if (fd < 0) {
		fast_err = errno;
		fast_step = step;
		_exit(127);
	}
	(void)write_full(fd, &ce, sizeof(ce));
	_exit(127);
}

/* glibc keeps the first two real-time signals (32, 33) for itself and its
 * sigaction() refuses them, but an ignored one survives exec: some callers
 * (GNU make's children, for one) hand them down ignored. The raw system call
 * resets them; the kernel's struct is laid out like this where it is used. */
static void reset_reserved_signal(int sig)
{
#if defined(__x86_64__) || defined(__aarch64__)
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} ksa = {SIG_DFL, 0, NULL, 0};

	(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
#else
	(void)sig;
#endif
}

/* The signals this process ignores (bit sig - 1), as the kernel shows them
 * in /proc/self/status: one read, where asking sigaction() is a system call
 * per signal. All of them when it cannot be read. Async-signal-safe. */
static unsigned long long ignored_signals(void)
{
	static const char key[] = "\nSigIgn:\t";
	char buf[2048];
	unsigned long long set = 0;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ~0ULL;
	n = read_once(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return ~0ULL;
	buf[n] = '\0';
	for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++) {
		if (strncmp(p, key, sizeof(key) - 1) != 0)
			continue;
		p += sizeof(key) - 1;
		for (int i = 0; i < 16; i++, p++) {
			int d = *p >= '0' && *p <= '9'   ? *p - '0'
				: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
							 : -1;
			if (d < 0)
				return ~0ULL;
			set = set << 4 | (unsigned long long)d;
		}
		return set;
	}
	return ~0ULL;
}

/* Dispositions and mask come from whoever ran svcctl: exec resets the
 * caught signals, but an ignored one (SIGPIPE, which svcctl ignores itself,
 * or any its own caller left ignored) would leak into the program. */
static void reset_signals(void)
{
	unsigned long long ign = ignored_signals();
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG && sig <= 64; sig++) {
		if (!(ign >> (sig - 1) & 1) || sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sig >= 32 && sig < SIGRTMIN)
			reset_reserved_signal(sig);
		else
			(void)sigaction(sig, &sa, NULL);
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Closes every descriptor from 3 up but keep (and keep2, when > 0) */
static void close_from_3_except(int keep, int keep2)
{
	int lo = keep < keep2 || keep2 <= 0 ? keep : keep2;
	int hi = lo == keep ? keep2 : keep;

	if (lo > 3)
		(void)syscall(SYS_close_range, 3U, (unsigned)lo - 1, 0U);
	if (hi > lo + 1)
		(void)syscall(SYS_close_range, (unsigned)lo + 1, (unsigned)hi - 1, 0U);
	if (syscall(SYS_close_range, (unsigned)(hi > lo ? hi : lo) + 1, ~0U, 0U) < 0)
		for (int fd = 3; fd < 1024; fd++)
			if (fd != keep && fd != keep2)
				(void)close(fd);
}

/* Runs in the program's process once it is recorded, up to exec: only
 * async-signal-safe calls, no allocation, leave with _exit(). errfd: the
 * error pipe, or -1 for a vfork()ed start, which reports in memory (and
 * keeps no descriptor above 2). ready_wfd: the write end of the ready_fd
 * pipe (-1: none), given to the program at descriptor ready_fd. */
static void child_exec(const struct spawn_plan *plan, int errfd, int ready_wfd)
{
	const struct service *svc = plan->svc;
	int fd;

	reset_signals();

	/* the descriptor the parent verified: a link the user put on the path
	 * since then cannot send root's chdir elsewhere */
	if ((plan->dir_fd > STDERR_FILENO ? fchdir(plan->dir_fd)
					  : chdir(svc->directory)) < 0)
		child_fail(errfd, STEP_CHDIR);
	umask(svc->umask);

	fd = open("/dev/null", O_RDONLY | O_NOCTTY);
	if (fd < 0)
		child_fail(errfd, STEP_STDIN);
	if (dup2(fd, STDIN_FILENO) < 0)
		child_fail(errfd, STEP_STDIN);
	if (dup2(plan->out_fd, STDOUT_FILENO) < 0 ||
	    dup2(plan->err_fd, STDERR_FILENO) < 0)
		child_fail(errfd, STEP_STDOUT);
	if (ready_wfd >= 0 && svc->ready_fd > STDERR_FILENO) {
		/* keep 0-2, the error pipe (close-on-exec) at 3, or at 4 when
		 * the program wants ready_fd 3, and ready_fd (inherited). Both
		 * are copied above 4 first: either may sit where the other
		 * goes. A copy may land on ready_fd itself, hence F_SETFD. */
		int want = svc->ready_fd == 3 ? 4 : 3;
		int e = fcntl(errfd, F_DUPFD_CLOEXEC, 5),
		    r = fcntl(ready_wfd, F_DUPFD, 5);

		if (e < 0 || r < 0 || dup3(e, want, O_CLOEXEC) < 0)
			child_fail(errfd, STEP_STDOUT);
		errfd = want;
		if ((r != svc->ready_fd && dup2(r, svc->ready_fd) < 0) ||
		    fcntl(svc->ready_fd, F_SETFD, 0) < 0)
			child_fail(errfd, STEP_STDOUT);
		close_from_3_except(errfd, svc->ready_fd);
	} else if (errfd < 0) {
		if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
			for (fd = 3; fd < 1024; fd++)
				(void)close(fd);
	} else {
		/* keep only 0-2 and the error pipe (close-on-exec) at 3 */
		if (errfd != 3) {
			if (dup3(errfd, 3, O_CLOEXEC) < 0)
				child_fail(errfd, STEP_STDOUT);
			errfd = 3;
		}
		close_from_3_except(3, 0);
	}

	if (svc->nofile_set) {
		struct rlimit rl = {
			svc->nofile_soft == UINT64_MAX ? RLIM_INFINITY
						       : (rlim_t)svc->nofile_soft,
			svc->nofile_hard == UINT64_MAX ? RLIM_INFINITY
						       : (rlim_t)svc->nofile_hard,
		};
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			child_fail(errfd, STEP_RLIMIT);
	}
	if (plan->set_nice && setpriority(PRIO_PROCESS, 0, svc->nice) < 0)
		child_fail(errfd, STEP_NICE);
	if (plan->change_ids) {
		if (setgid(svc->gid) < 0)
			child_fail(errfd, STEP_SETGID);
		if (setgroups(plan->ngroups, plan->groups) < 0)
			child_fail(errfd, STEP_SETGROUPS);
		if (setuid(svc->uid) < 0)
			child_fail(errfd, STEP_SETUID);
	}
	execve(plan->path, svc->argv.v, plan->envp);
	child_fail(errfd, STEP_EXEC);
}

/* The program's process of a forked start: its own group, then nothing
 * until svcctl has recorded it (a byte on gofd). */
static void child_setup(const struct spawn_plan *plan, int errfd, int gofd, int ready_wfd)
{
	char go;

	if (setpgid(0, 0) < 0)
		child_fail(errfd, STEP_SETPGID);
	/* nothing happens before svcctl has recorded this process */
	if (read_full(gofd, &go, 1) != 1)
		_exit(127);
	close(gofd);
	child_exec(plan, errfd, ready_wfd);
}

/* Ends the program's group and reaps the leader, in that order: while the
 * leader is an unreaped child of ours its PID, and so the group's number,
 * cannot be reused. Returns the leader's wait status. */
static int end_group(pid_t pid)
{
	int status = 0;

	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Has the program died? Looks without reaping it (WNOWAIT). */
static bool child_died(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		si.si_pid == pid;
}

/* svcctl's word during a ready window: 1 confirmed, 0 interrupted (look
 * again), -1 svcctl is gone or gave up, and nothing of the start may stay */
static int read_confirm(int confirmfd)
{
	char c;
	ssize_t n = read(confirmfd, &c, 1);

	if (n < 0 && errno == EINTR)
		return 0;
	return n == 1 ? 1 : -1;
}

/* The ready window: until the program has stayed up ready_seconds and svcctl
 * has confirmed the start. Returns the report; REPORT_FAILED (with no step)
 * when svcctl went away before confirming. */
static int ready_window(pid_t pid, double seconds, int confirmfd, int *status)
{
	int pidfd = proc_pidfd_open(pid);
	double deadline = now_mono() + seconds;
	bool confirmed = false;
	int kind;

	for (;;) {
		double left = deadline - now_mono();
		struct pollfd pfd[2] = {{pidfd, POLLIN, 0},
					{confirmed ? -1 : confirmfd, POLLIN, 0}};
		int timeout;

		if (child_died(pid)) {
			*status = end_group(pid);
			kind = REPORT_DIED;
			break;
		}
		if (confirmed && left <= 0) {
			kind = REPORT_READY;
			break;
		}
		timeout = left <= 0 ? -1 : left > 60 ? 60000 : (int)(left * 1000) + 1;
		/* kernels before 5.3: no pidfd; a short nap is the best left */
		if (pidfd < 0 && (timeout < 0 || timeout > 5))
			timeout = 5;
		if (poll(pfd, 2, timeout) > 0 && pfd[1].revents) {
			int got = read_confirm(confirmfd);

			if (got == 0)
				continue;
			if (got < 0) {
				*status = end_group(pid);
				kind = REPORT_FAILED;
				break;
			}
			confirmed = true;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return kind;
}

#define READY_EOF_GRACE_MS 100 /* an EOF on ready_fd may be the program's exit */

/* The ready window of ready_fd = N: until the program wrote a newline on N
 * and svcctl confirmed the start, the program dies (REPORT_DIED), or it
 * failed (REPORT_FAILED with why): start_timeout passed, it closed N
 * without a newline, or svcctl went away. */
static int ready_fd_window(pid_t pid, const struct service *svc, int readfd,
			   int confirmfd, int *status, char *why, size_t whylen)
{
	int pidfd = proc_pidfd_open(pid), kind;
	double deadline = now_mono() + svc->start_timeout;
	bool confirmed = false, ready = false;

	for (;;) {
		double left = deadline - now_mono();
		struct pollfd pfd[3] = {{pidfd, POLLIN, 0},
					{confirmed ? -1 : confirmfd, POLLIN, 0},
					{ready ? -1 : readfd, POLLIN, 0}};
		int timeout = ready ? -1 : left > 60 ? 60000 : (int)(left * 1000) + 1;

		if (child_died(pid)) {
			*status = end_group(pid);
			kind = REPORT_DIED;
			break;
		}
		if (confirmed && ready) {
			kind = REPORT_READY;
			break;
		}
		/* ready in time: only svcctl's confirmation is awaited */
		if (left <= 0 && !ready) {
			snprintf(why, whylen, "not ready within %gs", svc->start_timeout);
			*status = end_group(pid);
			kind = REPORT_FAILED;
			break;
		}
		/* kernels before 5.3: no pidfd; a short nap is the best left */
		if (pidfd < 0 && (timeout < 0 || timeout > 5))
			timeout = 5;
		if (poll(pfd, 3, timeout) <= 0)
			continue;
		if (pfd[1].revents) {
			int got = read_confirm(confirmfd);

			if (got == 0)
				continue;
			if (got < 0) {
				*status = end_group(pid);
				kind = REPORT_FAILED;
				break;
			}
			confirmed = true;
		}
		if (pfd[2].revents) {
			char buf[256];
			ssize_t n = read(readfd, buf, sizeof(buf));

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n > 0) {
				ready = memchr(buf, '\n', (size_t)n) != NULL;
				continue;
			}
			/* closed without a newline: a program on its way out
			 * closes it too, and its death is the better reason */
			if (pidfd >= 0) {
				struct pollfd dead = {pidfd, POLLIN, 0};
				(void)poll(&dead, 1, READY_EOF_GRACE_MS);
			}
			if (child_died(pid))
				continue;
			snprintf(why, whylen,
				 "closed ready_fd %d without signalling readiness",
				 svc->ready_fd);
			*status = end_group(pid);
			kind = REPORT_FAILED;
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return kind;
}

/* Waits for the launcher of a forking service to exit, and reaps it: 0 when
 * it exited 0 before the deadline, else -1 with why. */
static int launcher_wait(pid_t pid, double timeout, double deadline, int confirmfd,
			 char *why, size_t whylen)
{
	int pidfd = proc_pidfd_open(pid), status = 0, rc = -1;
	char what[64];

	while (!child_died(pid)) {
		double left = deadline - now_mono();
		struct pollfd pfd[2] = {{pidfd, POLLIN, 0}, {confirmfd, POLLIN, 0}};
		int ms = left > 60 ? 60000 : (int)(left * 1000) + 1;

		if (left <= 0) {
			snprintf(why, whylen, "launcher did not exit within %gs",
				 timeout);
			goto out;
		}
		/* kernels before 5.3: no pidfd; a short nap is the best left */
		if (pidfd < 0 && ms > 5)
			ms = 5;
		if (poll(pfd, 2, ms) > 0 && pfd[1].revents) {
			snprintf(why, whylen, "start abandoned");
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
	} else {
		describe_wait_status(status, what, sizeof(what));
		snprintf(why, whylen, "launcher %s", what);
	}
out:
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

/* The ready window of a forking service's daemon: it must stay up seconds
 * after it was verified, as a simple program must after exec (it is often
 * not our child, so its pidfd says when it is gone). 0, or -1 with why. */
static int daemon_window(pid_t pid, int pidfd, double seconds, int confirmfd, char *why,
			 size_t whylen)
{
	int status = 0, rc = 0;
	double since = now_mono(), deadline = since + seconds;
	char what[64] = "exited";
	siginfo_t si;

	for (;;) {
		double left = deadline - now_mono();
		struct pollfd pfd[2] = {{pidfd, POLLIN, 0}, {confirmfd, POLLIN, 0}};
		int ms = left > 60 ? 60000 : (int)(left * 1000) + 1;

		if (pidfd >= 0 ? poll(pfd, 1, 0) > 0 : proc_alive(pid) != PROC_ALIVE)
			break;
		if (left <= 0)
			goto out;
		if (pidfd < 0 && ms > 5)
			ms = 5;
		if (poll(pfd, 2, ms) > 0 && pfd[1].revents) {
			snprintf(why, whylen, "start abandoned");
			rc = -1;
			goto out;
		}
	}
	/* the exact status when the daemon is our child (its parent exited) */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == pid) {
		status = si.si_code == CLD_EXITED
			? (si.si_status & 0xff) << 8
			: si.si_status | (si.si_code == CLD_DUMPED ? 0x80 : 0);
		describe_wait_status(status, what, sizeof(what));
	}
	snprintf(why, whylen, "daemon %d %s after %.1fs", (int)pid, what,
		 now_mono() - since);
	rc = -1;
out:
	return rc;
}

#define ENDED_MAX 64

/* The middle process of a forking service once the launcher runs: its exit,
 * then the daemon named in the pidfile, reported to svcctl; once svcctl has
 * recorded it, the daemon is left to init. Otherwise everything the launcher
 * left is killed, and the pidfile removed if it names one of those. */
static void forking_middle(const struct spawn_plan *plan, pid_t launcher, double started,
			   int reportfd, int confirmfd)
{
	const struct service *svc = plan->svc;
	double deadline = started + svc->start_timeout;
	struct report r = {0};
	pid_t ended[ENDED_MAX], daemon = 0, named;
	const char *reason;
	size_t nended;
	ssize_t n;
	char c;

	if (launcher_wait(launcher, svc->start_timeout, deadline, confirmfd, r.why,
			  sizeof(r.why)) == 0 &&
	    forking_await_pid(svc, plan->path, deadline, confirmfd, &daemon, r.why,
			      sizeof(r.why)) == 0) {
		/* pinned before svcctl records it: the window watches this one */
		int pidfd = proc_pidfd_open(daemon);

		r.kind = REPORT_DAEMON;
		r.pid = daemon;
		report_send(reportfd, &r);
		while ((n = read(confirmfd, &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			snprintf(r.why, sizeof(r.why), "start abandoned");
		else if (daemon_window(daemon, pidfd, svc->ready_seconds, confirmfd,
				       r.why, sizeof(r.why)) == 0) {
			r.kind = REPORT_READY;
			r.elapsed = now_mono() - started;
			report_send(reportfd, &r);
			_exit(0);
		}
	}
	nended = forking_end_descendants(ended, ENDED_MAX);
	/* the pidfile is the service's: removed only when it names a process
	 * of this start, now gone */
	if (pidfile_read(svc->pidfile, svc->set_user ? svc->uid : getuid(), &named,
			 &reason) == 0) {
		bool ours = named == launcher || named == daemon;

		for (size_t i = 0; i < nended && i < ENDED_MAX; i++)
			ours = ours || ended[i] == named;
		if (ours)
			(void)pidfile_remove(svc->pidfile);
	}
	r.kind = REPORT_FAILED;
	r.step = STEP_DAEMON;
	report_send(reportfd, &r);
	_exit(0);
}

static void middle_process(const struct spawn_plan *plan, int reportfd, int confirmfd)
{
	struct report r = {0};
	struct child_error ce;
	int errpipe[2], gopipe[2], readypipe[2] = {-1, -1}, status = 0;
	double started;
	pid_t pid;
	ssize_t n;
	char c;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	/* before the launcher exists: all it leaves is re-parented here */
	if (plan->svc->type == TYPE_FORKING && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		r.kind = REPORT_FAILED;
		r.step = STEP_SUBREAPER;
		r.err = errno;
		report_send(reportfd, &r);
		_exit(0);
	}
	if (setsid() < 0) {
		r.kind = REPORT_FAILED;
		r.step = STEP_SETSID;
		r.err = errno;
		report_send(reportfd, &r);
		_exit(0);
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0 || pipe2(gopipe, O_CLOEXEC) < 0 ||
	    (plan->svc->ready_fd > 0 && pipe2(readypipe, O_CLOEXEC) < 0)) {
		r.kind = REPORT_FAILED;
		r.step = STEP_FORK;
		r.err = errno;
		report_send(reportfd, &r);
		_exit(0);
	}
	pid = fork_retry();
	if (pid < 0) {
		r.kind = REPORT_FAILED;
		r.step = STEP_FORK;
		r.err = errno;
		report_send(reportfd, &r);
		_exit(0);
	}
	if (pid == 0) {
		close(errpipe[0]);
		close(gopipe[1]);
		close(reportfd);
		close(confirmfd);
		if (readypipe[0] >= 0)
			close(readypipe[0]);
		child_setup(plan, errpipe[1], gopipe[0], readypipe[1]);
	}
	close(errpipe[1]);
	close(gopipe[0]);
	/* only the program may hold the write end: its EOF means something */
	if (readypipe[1] >= 0)
		close(readypipe[1]);
	/* both sides set the group, so it exists before svcctl records it */
	(void)setpgid(pid, pid);
	r.kind = REPORT_FORKED;
	r.pid = pid;
	r.status = (int)getpid(); /* the session */
	report_send(reportfd, &r);
	/* svcctl recorded it (or died, or could not): let it go on or end it */
	while ((n = read(confirmfd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		(void)end_group(pid);
		_exit(0);
	}
	(void)write_full(gopipe[1], &c, 1);
	close(gopipe[1]);
	n = read_full(errpipe[0], &ce, sizeof(ce));
	started = now_mono();
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(ce)) {
		(void)end_group(pid);
		r.kind = REPORT_FAILED;
		r.step = ce.step;
		r.err = ce.err;
		report_send(reportfd, &r);
		_exit(0);
	}
	if (plan->svc->type == TYPE_FORKING)
		forking_middle(plan, pid, started, reportfd, confirmfd);
	r.kind = REPORT_STARTED;
	r.pid = pid;
	report_send(reportfd, &r);
	if (readypipe[0] >= 0) {
		r.kind = ready_fd_window(pid, plan->svc, readypipe[0], confirmfd, &status,
					 r.why, sizeof(r.why));
		if (r.kind == REPORT_FAILED)
			r.step = r.why[0] ? STEP_DAEMON : STEP_NONE;
	} else {
		r.kind = ready_window(pid, plan->svc->ready_seconds, confirmfd, &status);
	}
	r.status = status;
	r.elapsed = now_mono() - started;
	report_send(reportfd, &r);
	_exit(0);
}

/* A start with no ready window (type = simple, no ready_fd, ready_seconds
 * = 0) forks nothing for real: see the header. */
struct fast_start {
	const struct spawn_plan *plan;
	spawn_record_fn record;
	void *arg;
};

static volatile pid_t fast_pid;

/* The program's process, vfork()ed by the middle process. svcctl and the
 * middle process are suspended until it exec'd or exited, and it runs in
 * their memory: svcctl is single-threaded and has no signal handlers, so
 * the record, which allocates, runs as if svcctl ran it itself. */
static void fast_program(void *arg)
{
	const struct fast_start *fs = arg;
	pid_t self = getpid();

	fast_pid = self;
	if (setpgid(0, 0) < 0)
		child_fail(-1, STEP_SETPGID);
	/* nothing runs unrecorded: from here on a svcctl killed leaves a
	 * service that status, stop and start find */
	if (fs->record && fs->record(SPAWN_FORKED, self, getsid(0), fs->arg) < 0)
		child_fail(-1, STEP_RECORD);
	child_exec(fs->plan, -1, -1);
}

/* The middle process: the session, so the program is no session leader and
 * never gets a controlling terminal; it exits once the program exec'd. */
static void fast_middle(void *arg)
{
	if (setsid() < 0)
		child_fail(-1, STEP_SETSID);
	if (vfork_retry(fast_program, arg) < 0)
		child_fail(-1, STEP_FORK);
	_exit(0);
}

/* valgrind runs a vfork() as a fork(): what the fast start's children
 * leave in memory would never reach svcctl, so a build for valgrind (make
 * valgrind) starts every program the other way */
#ifdef SVCCTL_VALGRIND
#define FAST_START 0
#else
#define FAST_START 1
#endif

/* Ends what is left of a program of a fast start that failed after exec:
 * its group (the leader, our child, is reaped last) and what it forked.
 * Returns the leader's wait status. */
static int fast_end(pid_t pid, pid_t sid)
{
	struct group_id g = {.pgid = pid, .sid = sid, .since = 0};
	struct proc_info pi;
	enum stop_result sr;
	int status;

	if (proc_stat(pid, &pi) == 0)
		g.since = pi.starttime;
	status = end_group(pid);
	if (g.since > 0)
		(void)group_end(&g, SIGKILL, 0, &sr);
	return status;
}

static int spawn_fast(const struct spawn_plan *plan, struct spawn_result *res,
		      spawn_record_fn record, void *arg)
{
	struct fast_start fs = {plan, record, arg};
	siginfo_t si;
	pid_t middle, pid;
	int saved, was = 0;

	/* the program is re-parented here when the middle process exits (the
	 * attribute survives exec: whoever ran svcctl may have set it) */
	(void)prctl(PR_GET_CHILD_SUBREAPER, &was);
	if (!was && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		res->err = errno;
		snprintf(res->step, sizeof(res->step), "%s", step_names[STEP_SUBREAPER]);
		return -1;
	}
	fast_step = 0;
	fast_err = 0;
	fast_pid = 0;
	fflush(NULL);
	/* the children run in this memory with descriptor tables of their
	 * own: no descriptor of theirs may land in a cache here (the /proc
	 * one is opened first, for them to use) */
	proc_cache_warm();
	fd_cache_freeze(true);
	middle = vfork_retry(fast_middle, &fs);
	saved = errno;
	fd_cache_freeze(false);
	if (middle > 0)
		while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
			;
	if (!was)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 0);
	if (middle < 0) {
		errno = saved;
		return -1;
	}
	pid = fast_pid;
	if (fast_step != 0) {
		res->exec_failed = fast_step == STEP_EXEC;
		res->err = fast_err;
		snprintf(res->step, sizeof(res->step), "%s",
			 fast_step > 0 && fast_step <= STEP_RECORD ? step_names[fast_step]
								   : "start");
		/* it ran nothing of the program: reaping it is all */
		if (pid > 0)
			(void)end_group(pid);
		return -1;
	}
	res->pid = pid;
	if (record && record(SPAWN_EXECED, pid, 0, arg) < 0) {
		res->err = errno;
		snprintf(res->step, sizeof(res->step), "write pidfile");
		(void)fast_end(pid, middle);
		return -1;
	}
	/* the ready window of ready_seconds = 0: not dead already */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == pid) {
		res->died = true;
		res->exit_status = fast_end(pid, middle);
	}
	return 0;
}

/* Starts the program and returns when the outcome is known. record is
 * called when the program forked (it waits until record returned: the state
 * file names it before it runs anything) and when exec succeeded (so the
 * pidfile exists during the ready window); a nonzero return from it fails
 * the start. Whatever fails, the program's whole group is ended before this
 * returns. */
int spawn_service(const struct spawn_plan *plan, struct spawn_result *res,
		  spawn_record_fn record, void *arg)
{
	int reportfd[2], confirmfd[2];
	struct group_id group = {0, 0, 0};
	struct report r;
	pid_t middle;
	bool ready = false;

	memset(res, 0, sizeof(*res));
	if (FAST_START && plan->svc->type == TYPE_SIMPLE && plan->svc->ready_fd <= 0 &&
	    plan->svc->ready_seconds <= 0)
		return spawn_fast(plan, res, record, arg);
	if (pipe2(reportfd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(confirmfd, O_CLOEXEC) < 0) {
		int saved = errno;
		close(reportfd[0]);
		close(reportfd[1]);
		errno = saved;
		return -1;
	}
	fflush(NULL);
	middle = fork_retry();
	if (middle < 0) {
		int saved = errno;
		close(reportfd[0]);
		close(reportfd[1]);
		close(confirmfd[0]);
		close(confirmfd[1]);
		errno = saved;
		return -1;
	}
	if (middle == 0) {
		close(reportfd[0]);
		close(confirmfd[1]);
		middle_process(plan, reportfd[1], confirmfd[0]);
	}
	close(reportfd[1]);
	close(confirmfd[0]);
	while (read_full(reportfd[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		if (r.kind == REPORT_FAILED) {
			res->exec_failed = r.step == STEP_EXEC;
			res->err = r.err;
			snprintf(res->step, sizeof(res->step), "%s",
				 r.step > 0 && r.step <= STEP_DAEMON ? step_names[r.step]
								     : "start");
			r.why[sizeof(r.why) - 1] = '\0';
			snprintf(res->why, sizeof(res->why), "%s", r.why);
			break;
		}
		if (r.kind == REPORT_FORKED || r.kind == REPORT_STARTED ||
		    r.kind == REPORT_DAEMON) {
			bool forked = r.kind == REPORT_FORKED;
			char c = forked ? 'g' : 'a';
			enum spawn_phase phase = forked   ? SPAWN_FORKED
				: r.kind == REPORT_DAEMON ? SPAWN_DAEMON
							  : SPAWN_EXECED;

			res->pid = r.pid;
			if (forked) {
				struct proc_info pi;

				group.pgid = r.pid;
				group.sid = (pid_t)r.status;
				if (proc_stat(r.pid, &pi) == 0)
					group.since = pi.starttime;
			}
			if (record && record(phase, r.pid, (pid_t)r.status, arg) < 0) {
				res->err = errno;
				snprintf(res->step, sizeof(res->step), "write pidfile");
				break;
			}
			/* EPIPE: the middle process has already gone, its verdict
			 * (the program died) is still in the report pipe */
			if (write_full(confirmfd[1], &c, 1) < 0 && errno != EPIPE) {
				res->err = errno;
				snprintf(res->step, sizeof(res->step), "start");
				break;
			}
			continue;
		}
		res->elapsed = r.elapsed;
		if (r.kind == REPORT_DIED) {
			res->died = true;
			res->exit_status = r.status;
		} else if (plan->svc->ready_fd > 0 && record &&
			   record(SPAWN_READY, res->pid, 0, arg) < 0) {
			/* the state cannot say running: the program is not left */
			res->err = errno;
			snprintf(res->step, sizeof(res->step), "write pidfile");
			if (kill(-res->pid, SIGKILL) < 0)
				(void)kill(res->pid, SIGKILL);
		} else {
			ready = true;
		}
		break;
	}
	/* unconfirmed: the middle process ends the group and exits */
	close(confirmfd[1]);
	close(reportfd[0]);
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
		;
	if (!ready && !res->step[0] && !res->died) {
		/* the middle process vanished without a verdict */
		snprintf(res->step, sizeof(res->step), "start");
		res->err = EPIPE;
	}
	if (!ready && group.pgid > 0 && group.since > 0) {
		/* what the program forked before it died or was killed */
		enum stop_result sr;
		(void)group_end(&group, SIGKILL, 0, &sr);
	}
	return res->step[0] ? -1 : 0;
}

/* For a monitor's runs: forks the program as a start does (its own group,
 * waiting on the go pipe before it runs anything, so the caller records it
 * first; ready_wfd, when >= 0, becomes its ready_fd). Returns its PID, with
 * the parent's ends of both pipes. */
pid_t spawn_program(const struct spawn_plan *plan, int ready_wfd, int *gofd, int *errfd)
{
	int errpipe[2], gopipe[2];
	pid_t pid;

	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(gopipe, O_CLOEXEC) < 0) {
		int saved = errno;
		close(errpipe[0]);
		close(errpipe[1]);
		errno = saved;
		return -1;
	}
	pid = fork_retry();
	if (pid == 0) {
		close(errpipe[0]);
		close(gopipe[1]);
		child_setup(plan, errpipe[1], gopipe[0], ready_wfd);
	}
	close(errpipe[1]);
	close(gopipe[0]);
	if (pid < 0) {
		int saved = errno;
		close(errpipe[0]);
		close(gopipe[1]);
		errno = saved;
		return -1;
	}
	/* both sides set the group, so it exists before it is recorded */
	(void)setpgid(pid, pid);
	*gofd = gopipe[1];
	*errfd = errpipe[0];
	return pid;
}

/* Lets the program spawn_program() forked run. 0 once it exec'd; -1 with
 * *step naming the set-up step that failed and errno its error. Closes both. */
int spawn_program_go(int gofd, int errfd, const char **step)
{
	struct child_error ce;
	char go = 'g';
	ssize_t n;

	(void)write_full(gofd, &go, 1);
	close(gofd);
	n = read_full(errfd, &ce, sizeof(ce));
	close(errfd);
	if (n != (ssize_t)sizeof(ce))
		return 0;
	*step = ce.step > 0 && ce.step <= STEP_FORK ? step_names[ce.step] : "start";
	errno = ce.err;
	return -1;
}
