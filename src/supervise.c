/* The monitor: `svcctl: supervise NAME` (DESIGN 4.8).
 *
 * svcctl ──fork──> (setsid) ──fork──> monitor ──exec /proc/self/exe
 *                   exits                │
 *                                        └──fork──> program (its own group)
 *
 * The monitor is a fresh exec of svcctl, so it holds nothing of the start
 * that made it; it reads svcctl.conf and NAME.ini once, prepares the
 * program's plan once (plan.c) and forks the program from it for the first
 * run and every respawn. It is the program's parent, so it knows each exit
 * status instead of guessing, and it records every run and exit in
 * NAME.state, which is what status, stop and start read.
 *
 * One loop, one poll(): a signalfd for TERM, INT and HUP (those signals are
 * blocked, so no handler runs at all), a pidfd for the program, the program's
 * output pipes, and during the first run the pipes to the svcctl that started
 * it. The state lives in struct monitor; mode says what it is doing:
 *
 *   FIRST     the start's ready window: a death ends the start (exit 1 for
 *             svcctl), no respawn; svcctl's confirmation makes it RUNNING.
 *             notify and ready_fd: the window ends at the program's word
 *             (READY=1, a newline), or start_timeout fails the start
 *   STARTING  notify, ready_fd: a respawned program has not said it is
 *             ready; its word -> RUNNING; start_timeout -> a failed run
 *   RUNNING   the program runs; its exit -> record, then by policy:
 *             no restart -> exit; restart_max quick runs -> fatal, exit;
 *             else BACKOFF (or a respawn at once with a delay of 0)
 *   BACKOFF   waiting for the next attempt -> respawn -> RUNNING (STARTING)
 *   STOPPING  TERM/INT arrived: the stop schedule runs on the program; its
 *             exit -> record "stopped", exit. Nothing respawns from here.
 *
 * A stop can never race a respawn: a respawn only happens from the loop,
 * and the loop reads the signalfd before it looks at the clock.
 *
 * Start-up: svcctl reads one report on the report pipe (ready, died, failed)
 * and confirms a ready one on the confirm pipe. EOF on the confirm pipe
 * before the confirmation means svcctl died or gave up: the monitor ends the
 * program's group, removes what it recorded and exits, so an unconfirmed
 * start leaves nothing behind, as spawn.c's does. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#define MONITOR_TITLE "svcctl: supervise "
#define MONITOR_ENV "SVCCTL_MONITOR"
#define QUICK_RUN_MS 60000 /* a run shorter than this counts towards restart_max */
#define DELAY_MAX 60.0 /* the backoff doubles up to this, in seconds */
#define KILL_GRACE 5.0 /* after SIGKILL, how long before a stop gives up */
#define STACK_TRIM                                                                       \
	((size_t)64 * 1024) /* below the loop's frame, given back when idle              \
			     */
#define READ_CHUNK 16384 /* one read of the program's output */
#define READS_PER_WAKE 8 /* then the loop looks at signals and the program again */
#define PIPE_SIZE (1 << 20) /* room for a burst while the monitor writes */
#define NOTIFY_PER_WAKE 64 /* datagrams read per wake, then the rest of the loop */
#define READY_EOF_GRACE_MS 100 /* an EOF on ready_fd may be the program's exit */
#define UNRECORDED_RETRY 1.0 /* a run not recorded: seconds to the next try */
#define NO_PIDFD_POLL_MS 20 /* without a pidfd the program's exit is looked for */
#define REPORT_FD 3 /* where the monitor finds the start's pipes */
#define CONFIRM_FD 4
/* The start's transition lock (the same open file as svcctl's), held until
 * the start is confirmed: a start whose svcctl was killed is abandoned by a
 * monitor that still holds it, so the next start waits for the abandon to
 * end instead of racing the removal of what it records. */
#define LOCK_FD 5

enum report_kind { MR_READY, MR_DIED, MR_FAILED };

/* monitor -> svcctl, once; under PIPE_BUF, so one atomic write */
struct mon_report {
	int kind;
	int pid;
	int status; /* DIED: wait status */
	int err; /* FAILED: errno of the step */
	int exit_code; /* FAILED in set-up: the LSB code */
	double elapsed;
	char step[48];
	char message[256]; /* FAILED in set-up: what went wrong */
	char why[160]; /* FAILED: not ready (shown with the log tail) */
};

enum mon_mode { MON_FIRST, MON_STARTING, MON_RUNNING, MON_BACKOFF, MON_STOPPING };

struct monitor {
	enum mon_mode mode;
	struct globalconf gc;
	struct service svc;
	struct spawn_plan plan;
	struct state st;
	int sigfd;
	int reportfd, confirmfd; /* the start's pipes, -1 once confirmed */
	int lockfd; /* the start's lock, -1 once confirmed */
	/* the program */
	pid_t pid; /* 0: none runs */
	int pidfd;
	struct group_id group;
	double run_started; /* monotonic */
	/* the policy */
	int quick_runs; /* runs shorter than QUICK_RUN_MS in a row */
	double deadline; /* FIRST, STARTING: ready; BACKOFF: next attempt;
			    STOPPING: KILL */
	bool waits_ready; /* notify, ready_fd: the program says when it is ready */
	int readyfd; /* ready_fd's read end during a run's start; -1: none */
	bool notifying; /* type = notify: the socket below is open */
	struct notify_socket notify;
	bool killed; /* STOPPING: SIGKILL sent */
	bool packed; /* svc and plan live in the arena (pack()) */
	char why[160]; /* a forking start's reason, for the step */
	bool wrote; /* files were written since the loop last slept */
	bool stop_requested;
	bool unrecorded; /* the last run failed because its record could not be written */
	/* owned output: [0] stdout (and stderr with stderr = stdout), [1]
	 * stderr when it goes elsewhere; pipe -1 when not owned */
	int pipe[2];
	struct logsink sink[2];
	char buf[READ_CHUNK];
};

static void report(struct monitor *m, const struct mon_report *r)
{
	if (m->reportfd >= 0)
		(void)write_full(m->reportfd, r, sizeof(*r));
}

/* Reads what the program wrote into the sinks: up to READS_PER_WAKE
 * chunks per stream, or until the pipe is empty when drain */
static void read_output(struct monitor *m, bool drain)
{
	for (int i = 0; i < 2; i++) {
		for (int n = 0; m->pipe[i] >= 0 && (drain || n < READS_PER_WAKE); n++) {
			ssize_t r = read(m->pipe[i], m->buf, sizeof(m->buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			(void)logsink_feed(&m->sink[i], i == 0 ? LOG_STDOUT : LOG_STDERR,
					   m->buf, (size_t)r);
		}
	}
}

/* A run ended: all it wrote is read, and a last line without its newline
 * is written as a line of its own, before the exit is recorded */
static void drain_output(struct monitor *m)
{
	read_output(m, true);
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			(void)logsink_flush(&m->sink[i]);
}

static void reopen_output(struct monitor *m)
{
	const char *why;

	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			(void)logsink_reopen(&m->sink[i], &why);
}

/* The parsers' deep calls dirtied stack pages the loop does not need: they
 * are given back. Nothing lives below the stack pointer, and a page touched
 * again is simply a new zero page; but the call to madvise() itself pushes
 * a return address below this frame, so two pages under it are kept. */
static __attribute__((noinline)) void trim_stack(void)
{
	long page = sysconf(_SC_PAGESIZE);
	/* the frame's own address, never a sanitizer's fake stack */
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	uintptr_t end = (here & ~(uintptr_t)(page - 1)) - 2 * (uintptr_t)page;

	(void)madvise((void *)(end - STACK_TRIM), STACK_TRIM, MADV_DONTNEED);
}

/* The state file says what the monitor is doing; every transition is
 * written before the monitor acts on it. The resolver's directory cache is
 * dropped after each write: a monitor lives for months and must see
 * run_dir as it is now. */
static int record(struct monitor *m)
{
	int rc = state_write(m->svc.state_path, &m->st);

	path_cache_clear();
	m->wrote = true;
	return rc;
}

/* Ends whatever is left of the program's group. The leader must still be
 * an unreaped child of ours: that keeps the group's number from being
 * reused, so kill(-pgid) cannot reach another group (see stop.c). */
static void end_group_pinned(struct monitor *m, int sig)
{
	bool pinned = m->group.pgid == m->pid;

	if (m->pid <= 0)
		return;
	if (m->svc.kill_mode == KILL_GROUP) {
		if (pinned)
			(void)kill(-m->pid, sig);
		else /* a forking daemon's group: its members, checked */
			(void)group_signal(&m->group, m->pid, sig, 0);
	}
	(void)kill(m->pid, sig);
	if (sig != SIGKILL && sig != SIGCONT) {
		if (m->svc.kill_mode == KILL_GROUP && pinned)
			(void)kill(-m->pid, SIGCONT);
		(void)kill(m->pid, SIGCONT);
	}
}

/* Reaps the program once it has exited; returns its wait status */
static int reap(struct monitor *m)
{
	int status = 0;

	while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (m->pidfd >= 0)
		close(m->pidfd);
	m->pidfd = -1;
	m->pid = 0;
	return status;
}

/* Ends the run: what is left of its group, then the program, reaped. Its
 * wait status, or 0 when none ran. */
static int end_run(struct monitor *m)
{
	if (m->readyfd >= 0)
		close(m->readyfd);
	m->readyfd = -1;
	if (m->pid <= 0)
		return 0;
	end_group_pinned(m, SIGKILL);
	return reap(m);
}

/* The program's output streams and their sinks */
static void close_outputs(struct monitor *m)
{
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0) {
			logsink_close(&m->sink[i]);
			close(m->pipe[i]);
			m->pipe[i] = -1;
		}
}

static void cleanup_and_exit(struct monitor *m, int code) __attribute__((noreturn));

static void cleanup_and_exit(struct monitor *m, int code)
{
	(void)end_run(m);
	if (m->svc.type == TYPE_FORKING || m->svc.type == TYPE_NOTIFY) {
		/* a subreaper's children are what the daemons left */
		pid_t ended[64];
		(void)forking_end_descendants(ended, sizeof(ended) / sizeof(ended[0]));
	}
	drain_output(m);
	close_outputs(m);
	if (m->notifying)
		notify_close(&m->notify);
	if (!m->packed) {
		plan_free(&m->plan);
		service_free(&m->svc);
	} else {
		plan_close(&m->plan);
	}
	conf_free(&m->gc);
	path_cache_clear();
	proc_cache_clear();
	if (m->sigfd >= 0)
		close(m->sigfd);
	_exit(code);
}

/* The start failed or was abandoned: nothing of it may stay, not even its
 * records (a start that failed leaves no pidfile, DESIGN 4.3). */
static void abandon(struct monitor *m) __attribute__((noreturn));

static void abandon(struct monitor *m)
{
	(void)end_run(m);
	if (m->group.pgid > 0) {
		enum stop_result sr;
		(void)group_end(&m->group, SIGKILL, 0, &sr);
	}
	(void)pidfile_remove(m->svc.pidfile);
	(void)pidfile_remove(m->svc.state_path);
	cleanup_and_exit(m, 1);
}

static void read_signals(struct monitor *m);

/* type = forking (DESIGN 4.9): the launcher must exit 0, then the daemon it
 * left (re-parented to the monitor, a child subreaper) is found through the
 * pidfile, verified against the executable, and becomes the program: the
 * monitor reaps it and restarts it like a simple one. 0, or -1 with *step
 * and errno (the monitor's children are ended then). */
static int adopt_daemon(struct monitor *m, const char **step)
{
	double deadline = m->run_started + m->svc.start_timeout;
	struct proc_info pi;
	pid_t daemon;
	int status = 0;
	char why[160];

	/* the launcher */
	if (m->pidfd >= 0 && !stop_wait(m->pidfd, m->pid, deadline)) {
		*step = "the launcher did not exit within start_timeout";
		errno = ETIMEDOUT;
		goto fail;
	}
	while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (m->pidfd >= 0)
		close(m->pidfd);
	m->pidfd = -1;
	m->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char what[96];

		describe_wait_status(status, what, sizeof(what));
		snprintf(m->why, sizeof(m->why), "launcher %s", what);
		*step = m->why;
		errno = ECHILD;
		goto fail;
	}
	for (;;) {
		if (forking_await_pid(&m->svc, m->plan.path, deadline, m->sigfd, &daemon,
				      why, sizeof(why)) == 0)
			break;
		if (errno == ECANCELED) {
			read_signals(m);
			if (!m->stop_requested)
				continue;
		}
		if (snprintf(m->why, sizeof(m->why), "%s", why) < 0)
			m->why[0] = '\0';
		*step = m->why;
		goto fail;
	}
	if (proc_stat(daemon, &pi) < 0) {
		*step = "the daemon vanished";
		errno = ESRCH;
		goto fail;
	}
	m->pid = daemon;
	m->pidfd = proc_pidfd_open(daemon);
	m->st.pid = daemon;
	m->st.pgid = pi.pgid;
	m->st.sid = pi.sid;
	m->st.starttime = pi.starttime;
	m->group.pgid = pi.pgid;
	m->group.sid = pi.sid;
	m->group.since = pi.starttime;
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			logsink_set_pid(&m->sink[i], daemon);
	if (record(m) < 0) {
		*step = "write state";
		m->unrecorded = true;
		goto fail;
	}
	return 0;
fail : {
	int saved = errno;
	pid_t ended[64];

	m->pid = 0;
	(void)forking_end_descendants(ended, sizeof(ended) / sizeof(ended[0]));
	errno = saved ? saved : EIO;
	return -1;
}
}

/* One run of the program: fork, record, let it go, write its pidfile.
 * 0 when it exec'd; -1 with *step and errno when it did not (its exit is
 * then recorded by the caller like any other). */
static int run_program(struct monitor *m, const char **step)
{
	int gofd, errfd, ready[2] = {-1, -1};
	pid_t pid;

	*step = "fork";
	m->unrecorded = false;
	if (m->svc.ready_fd > 0) {
		if (pipe2(ready, O_CLOEXEC | O_NONBLOCK) < 0)
			return -1;
		/* the program's end blocks as a descriptor it inherits should */
		(void)fcntl(ready[1], F_SETFL, 0);
	}
	pid = spawn_program(&m->plan, ready[1], &gofd, &errfd);
	if (ready[1] >= 0)
		close(ready[1]);
	if (pid < 0) {
		int saved = errno;
		if (ready[0] >= 0)
			close(ready[0]);
		errno = saved;
		return -1;
	}
	m->readyfd = ready[0];
	m->pid = pid;
	m->st.pid = pid;
	m->st.pgid = pid;
	m->st.sid = getsid(0);
	m->st.starttime = 0;
	(void)proc_starttime(pid, &m->st.starttime);
	m->st.started_at = now_wall();
	m->st.run = m->waits_ready ? RUN_STARTING : RUN_RUNNING;
	m->st.next_attempt = 0;
	/* what the last run said of itself is not this one's */
	m->st.notify_state = NOTIFY_NONE;
	m->st.status_text[0] = '\0';
	m->group.pgid = pid;
	m->group.sid = m->st.sid;
	m->group.since = m->st.starttime;
	m->pidfd = proc_pidfd_open(pid);
	m->run_started = now_mono();
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			logsink_set_pid(&m->sink[i], pid);
	/* recorded before it runs anything: a monitor killed now leaves
	 * nothing that status and stop cannot find */
	if (m->st.starttime == 0 || record(m) < 0) {
		int saved = errno;
		close(gofd);
		close(errfd);
		*step = "write state";
		m->unrecorded = true;
		errno = saved ? saved : EIO;
		return -1;
	}
	if (spawn_program_go(gofd, errfd, step) < 0)
		return -1;
	if (m->svc.type == TYPE_FORKING)
		return adopt_daemon(m, step);
	if (pidfile_write(m->svc.pidfile, pid) < 0) {
		*step = "write pidfile";
		m->unrecorded = true;
		return -1;
	}
	path_cache_clear();
	return 0;
}

static void exit_text(int status, long long run_ms, char *buf, size_t len)
{
	char what[96];

	describe_wait_status(status, what, sizeof(what));
	if (snprintf(buf, len, "%s after %.1fs", what, (double)run_ms / 1000.0) < 0)
		buf[0] = '\0';
}

/* Records the end of a run (the program is reaped) */
static void record_exit(struct monitor *m, int status)
{
	struct exit_record ex;

	ex.when = now_wall_ms();
	ex.status = status;
	ex.run_ms = (long long)((now_mono() - m->run_started) * 1000.0);
	if (ex.run_ms < 0)
		ex.run_ms = 0;
	state_add_exit(&m->st, &ex);
	exit_text(status, ex.run_ms, m->st.last_exit, sizeof(m->st.last_exit));
}

/* Nothing runs any more and nothing will: recorded, then the monitor goes */
static void finish(struct monitor *m, enum run_state run) __attribute__((noreturn));

static void finish(struct monitor *m, enum run_state run)
{
	m->st.run = run;
	m->st.pid = 0;
	m->st.next_attempt = 0;
	(void)pidfile_remove(m->svc.pidfile);
	(void)record(m);
	cleanup_and_exit(m, 0);
}

/* The policy after a run ended (status, the run recorded already) */
static void after_run(struct monitor *m, int status, bool quick)
{
	bool success = status >= 0 && service_exit_success(&m->svc, status);
	double delay;

	if (m->svc.restart == RESTART_NO ||
	    (m->svc.restart == RESTART_ON_FAILURE && success)) {
		if (success) {
			finish(m, RUN_STOPPED);
		}
		/* a failure nobody restarts: dead, as a service without a
		 * monitor is (status 1, the pidfile left naming the PID) */
		m->st.run = RUN_RUNNING;
		(void)record(m);
		cleanup_and_exit(m, 0);
	}
	m->quick_runs = quick ? m->quick_runs + 1 : 0;
	if (m->svc.restart_max > 0 && m->quick_runs >= m->svc.restart_max) {
		if (snprintf(m->st.reason, sizeof(m->st.reason),
			     "gave up after %d run%s shorter than %ds in a row; the "
			     "last: %s",
			     m->quick_runs, m->quick_runs == 1 ? "" : "s",
			     QUICK_RUN_MS / 1000, m->st.last_exit) < 0)
			m->st.reason[0] = '\0';
		finish(m, RUN_FATAL);
	}
	delay = m->svc.restart_delay;
	for (int i = 1; i < m->quick_runs && delay < DELAY_MAX; i++)
		delay *= 2;
	if (delay > DELAY_MAX)
		delay = DELAY_MAX;
	m->mode = MON_BACKOFF;
	if (delay <= 0) {
		/* at once, but through the loop: a stop that came meanwhile is
		 * seen first, and failures cannot recurse. The pidfile goes
		 * now, as before a delay: the next run is recorded in the
		 * state file before the pidfile names it, and a monitor killed
		 * between the two must not leave a pidfile naming the old run
		 * beside a state file naming the new one (untrusted: status 4,
		 * start and stop refuse) */
		m->deadline = now_mono();
		(void)pidfile_remove(m->svc.pidfile);
		return;
	}
	m->deadline = now_mono() + delay;
	m->st.run = RUN_BACKOFF;
	m->st.pid = 0;
	m->st.next_attempt = now_wall_ms() + (long long)(delay * 1000.0);
	(void)pidfile_remove(m->svc.pidfile);
	(void)record(m);
}

/* A run that did not get as far as exec: recorded as an exit with the
 * step's reason, and counted as a quick run */
static void run_failed(struct monitor *m, const char *step, int err)
{
	(void)end_run(m);
	record_exit(m, 127 << 8);
	if (step == m->why)
		snprintf(m->st.last_exit, sizeof(m->st.last_exit), "%.63s", step);
	else if (snprintf(m->st.last_exit, sizeof(m->st.last_exit), "%s: %s", step,
			  strerror(err)) < 0)
		m->st.last_exit[0] = '\0';
	after_run(m, -1, true);
	/* a full or read-only run_dir is no fault of the program's, and
	 * will not clear within microseconds: with restart_delay = 0 the
	 * retries would be a fork storm on a machine already in trouble */
	if (m->unrecorded && m->mode == MON_BACKOFF &&
	    m->deadline < now_mono() + UNRECORDED_RETRY)
		m->deadline = now_mono() + UNRECORDED_RETRY;
}

static void respawn(struct monitor *m)
{
	const char *step;

	m->st.restarts++;
	m->mode = m->waits_ready ? MON_STARTING : MON_RUNNING;
	if (run_program(m, &step) < 0)
		run_failed(m, step, errno);
	else
		m->deadline = m->run_started + m->svc.start_timeout;
}

/* The program has exited (its pidfd said so); it is not reaped yet */
static void program_exited(struct monitor *m)
{
	int status;

	/* what it left in its group goes with it, before the reap frees the
	 * group's number */
	status = end_run(m);
	drain_output(m);
	record_exit(m, status);
	if (m->mode == MON_STOPPING) {
		finish(m, RUN_STOPPED);
	}
	if (m->mode == MON_FIRST) {
		struct mon_report r = {0};

		r.kind = MR_DIED;
		r.status = status;
		r.elapsed = m->st.nexits ? (double)m->st.exits[0].run_ms / 1000.0 : 0;
		report(m, &r);
		abandon(m);
	}
	after_run(m, status, m->st.exits[0].run_ms < QUICK_RUN_MS);
}

/* TERM or INT: stop. The program gets the stop schedule; in a backoff there
 * is nothing to stop. */
static void stop_requested(struct monitor *m)
{
	if (m->stop_requested)
		return;
	m->stop_requested = true;
	if (m->mode == MON_FIRST) {
		struct mon_report r = {0};

		r.kind = MR_FAILED;
		snprintf(r.step, sizeof(r.step), "start");
		r.err = EINTR;
		report(m, &r);
		abandon(m);
	}
	if (m->pid <= 0)
		finish(m, RUN_STOPPED);
	m->mode = MON_STOPPING;
	m->killed = false;
	m->deadline = now_mono() + m->svc.stop_timeout;
	end_group_pinned(m, m->svc.stop_signal);
}

/* The start's ready window is over: tell svcctl, wait for its word */
static void first_run_ready(struct monitor *m)
{
	struct mon_report r = {0};
	char c;
	ssize_t n;

	r.kind = MR_READY;
	r.pid = m->pid;
	r.elapsed = now_mono() - m->run_started;
	report(m, &r);
	while ((n = read(m->confirmfd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		abandon(m);
	close(m->reportfd);
	close(m->confirmfd);
	m->reportfd = m->confirmfd = -1;
	if (m->lockfd >= 0)
		close(m->lockfd);
	m->lockfd = -1;
	m->mode = MON_RUNNING;
}

/* The program said it is ready (READY=1, or a newline on ready_fd): the
 * state says running before svcctl hears of it */
static void became_ready(struct monitor *m)
{
	if (m->readyfd >= 0)
		close(m->readyfd);
	m->readyfd = -1;
	m->st.run = RUN_RUNNING;
	(void)record(m);
	if (m->mode == MON_FIRST)
		first_run_ready(m);
	else
		m->mode = MON_RUNNING;
}

/* The program did not say it is ready (start_timeout passed, or it closed
 * ready_fd): the first run fails the start, a respawn is a failed run */
static void not_ready(struct monitor *m, const char *why)
{
	double ran = now_mono() - m->run_started;
	int status = end_run(m);

	drain_output(m);
	if (m->mode == MON_FIRST) {
		struct mon_report r = {0};

		r.kind = MR_FAILED;
		r.exit_code = EXIT_FAILED;
		r.elapsed = ran;
		snprintf(r.step, sizeof(r.step), "start");
		snprintf(r.why, sizeof(r.why), "%s", why);
		report(m, &r);
		abandon(m);
	}
	record_exit(m, status);
	snprintf(m->st.last_exit, sizeof(m->st.last_exit), "%s", why);
	after_run(m, -1, true);
}

static void not_ready_in_time(struct monitor *m)
{
	char why[64];

	snprintf(why, sizeof(why), "not ready within %gs", m->svc.start_timeout);
	not_ready(m, why);
}

/* ready_fd is readable: a newline means ready; EOF before one fails the
 * run, unless the program is dying, whose exit is the better reason */
static void read_ready(struct monitor *m)
{
	char buf[256], why[80];
	struct pollfd dead = {m->pidfd, POLLIN, 0};
	ssize_t n = read(m->readyfd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		if (memchr(buf, '\n', (size_t)n))
			became_ready(m);
		return;
	}
	if (m->pidfd >= 0 && poll(&dead, 1, READY_EOF_GRACE_MS) > 0) {
		program_exited(m);
		return;
	}
	snprintf(why, sizeof(why), "closed ready_fd %d without signalling readiness",
		 m->svc.ready_fd);
	not_ready(m, why);
}

static void reap_orphans(struct monitor *m);

/* MAINPID=N: N becomes the program when it is alive, a process of the
 * program (its group, or a descendant), and not the monitor. The old
 * main's exit is then no longer the service's (reap_orphans reaps it). */
static bool adopt_mainpid(struct monitor *m, pid_t pid)
{
	struct proc_info pi, again;
	int pidfd;

	if (pid == m->pid || pid == getpid() || m->pid <= 0 || proc_stat(pid, &pi) < 0 ||
	    proc_state_of(&pi) != PROC_ALIVE ||
	    !notify_of_program(pid, &pi, m->pid, m->st.starttime, &m->group))
		return false;
	pidfd = proc_pidfd_open(pid);
	/* the pidfd names the process checked, not a successor on its PID */
	if (pidfd < 0 || proc_stat(pid, &again) < 0 || again.starttime != pi.starttime ||
	    proc_state_of(&again) != PROC_ALIVE) {
		if (pidfd >= 0)
			close(pidfd);
		return false;
	}
	if (m->pidfd >= 0)
		close(m->pidfd);
	m->pidfd = pidfd;
	m->pid = pid;
	m->st.pid = pid;
	m->st.starttime = pi.starttime;
	m->st.pgid = pi.pgid;
	m->st.sid = pi.sid;
	/* the same group keeps its members from the start of the run */
	if (pi.pgid != m->group.pgid || pi.sid != m->group.sid) {
		m->group.pgid = pi.pgid;
		m->group.sid = pi.sid;
		m->group.since = pi.starttime;
	}
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			logsink_set_pid(&m->sink[i], pid);
	(void)pidfile_write(m->svc.pidfile, pid);
	path_cache_clear();
	/* the old main may have died already: its SIGCHLD was read while
	 * it was still the program, and left to program_exited */
	reap_orphans(m);
	return true;
}

/* What a checked sender said; true when the state changed. READY=1 is
 * left to the caller. */
static bool notify_apply(struct monitor *m, const struct notify_msg *msg)
{
	bool changed = false;

	if (msg->have_status || msg->have_errno) {
		char text[sizeof(m->st.status_text)], errtext[32] = "";

		/* ERRNO= is kept with the text it came with, or the last one */
		snprintf(text, sizeof(text), "%s",
			 msg->have_status ? msg->status : m->st.status_text);
		if (msg->have_errno)
			snprintf(errtext, sizeof(errtext), "%s(errno %d)",
				 text[0] ? " " : "", msg->errnum);
		snprintf(m->st.status_text, sizeof(m->st.status_text), "%.*s%s",
			 (int)(sizeof(text) - 1 - strlen(errtext)), text, errtext);
		changed = true;
	}
	if (msg->mainpid > 0) {
		if (adopt_mainpid(m, msg->mainpid))
			changed = true;
		else
			m->st.notify_ignored++;
	}
	if (msg->reloading) {
		m->st.notify_state = NOTIFY_RELOADING;
		changed = true;
	}
	if (msg->stopping) {
		m->st.notify_state = NOTIFY_STOPPING;
		changed = true;
	}
	if (msg->ready && !msg->stopping) {
		m->st.notify_state = NOTIFY_READY;
		changed = true;
	}
	if (msg->have_extend && (m->mode == MON_FIRST || m->mode == MON_STARTING)) {
		double until = now_mono() + (double)msg->extend_usec / 1e6;

		if (until > m->deadline)
			m->deadline = until;
	}
	return changed;
}

/* The queued datagrams, NOTIFY_PER_WAKE at most: each from a checked
 * sender acted on, each recorded, and only then the descriptors that came
 * with it closed (a sender waiting on BARRIER=1 goes on when they are) */
static void read_notify(struct monitor *m)
{
	uid_t uid = m->svc.set_user ? m->svc.uid : geteuid();

	for (int i = 0; i < NOTIFY_PER_WAKE; i++) {
		struct notify_msg msg;
		struct ucred cred;
		bool cred_ok, ready_now = false, changed;
		int r = notify_recv(&m->notify, &msg, &cred, &cred_ok);

		if (r <= 0)
			return;
		/* the sender check read /proc: the loop drops that cache */
		m->wrote = true;
		if (!cred_ok || m->pid <= 0 ||
		    !notify_sender_ok(&cred, uid, m->pid, m->st.starttime, &m->group)) {
			/* counted, and written with the next change: a flood
			 * of foreign messages costs no disk writes */
			m->st.notify_ignored++;
			changed = false;
		} else {
			changed = notify_apply(m, &msg);
			ready_now = msg.ready && !msg.stopping &&
				(m->mode == MON_FIRST || m->mode == MON_STARTING);
		}
		if (ready_now)
			became_ready(m);
		else if (changed)
			(void)record(m);
		notify_close_fds(&m->notify);
	}
}

/* A child subreaper inherits what its daemons leave behind: each such
 * orphan is reaped when it dies. The program itself is reaped where its
 * pidfd says it exited (program_exited), with its group dealt with first. */
static void reap_orphans(struct monitor *m)
{
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0 || si.si_pid == m->pid)
			return;
		(void)waitpid(si.si_pid, NULL, WNOHANG);
	}
}

static void read_signals(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT: stop_requested(m); break;
		case SIGHUP: reopen_output(m); break;
		case SIGCHLD: reap_orphans(m); break;
		default: break;
		}
	}
}

static void on_timeout(struct monitor *m)
{
	switch (m->mode) {
	case MON_FIRST:
		if (m->waits_ready)
			not_ready_in_time(m);
		else
			first_run_ready(m);
		break;
	case MON_STARTING: not_ready_in_time(m); break;
	case MON_BACKOFF: respawn(m); break;
	case MON_STOPPING:
		if (!m->killed) {
			end_group_pinned(m, SIGKILL);
			m->killed = true;
			m->deadline = now_mono() + KILL_GRACE;
		} else {
			/* unkillable (D state): say so and leave it */
			snprintf(m->st.reason, sizeof(m->st.reason),
				 "pid %d is still alive after SIGKILL", (int)m->pid);
			(void)record(m);
			_exit(1);
		}
		break;
	case MON_RUNNING: break;
	}
}

static void loop(struct monitor *m)
{
	for (;;) {
		struct pollfd pfd[7];
		nfds_t n = 0;
		int timeout = -1, r;
		bool timed = m->mode != MON_RUNNING;
		bool starting = m->mode == MON_FIRST || m->mode == MON_STARTING;
		/* no pidfd (a kernel before 5.3, or valgrind, which does not
		 * know the call): the program's exit is looked for in /proc */
		bool pidless = m->pid > 0 && m->pidfd < 0;

		pfd[n++] = (struct pollfd){m->sigfd, POLLIN, 0};
		pfd[n++] = (struct pollfd){m->pid > 0 ? m->pidfd : -1, POLLIN, 0};
		pfd[n++] = (struct pollfd){m->confirmfd, POLLIN, 0};
		pfd[n++] = (struct pollfd){m->pipe[0], POLLIN, 0};
		pfd[n++] = (struct pollfd){m->pipe[1], POLLIN, 0};
		pfd[n++] = (struct pollfd){m->notifying ? m->notify.fd : -1, POLLIN, 0};
		pfd[n++] = (struct pollfd){starting ? m->readyfd : -1, POLLIN, 0};
		if (m->wrote) {
			/* writing run_dir's files took heap (a directory read)
			 * and stack the idle loop does not need */
			m->wrote = false;
			proc_cache_clear();
			malloc_trim(0);
			trim_stack();
		}
		if (timed) {
			double left = m->deadline - now_mono();
			timeout = left <= 0   ? 0
				: left > 3600 ? 3600000
					      : (int)(left * 1000) + 1;
		}
		if (pidless && (timeout < 0 || timeout > NO_PIDFD_POLL_MS))
			timeout = NO_PIDFD_POLL_MS;
		r = poll(pfd, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(m->st.reason, sizeof(m->st.reason), "poll: %s",
				 strerror(errno));
			(void)record(m);
			cleanup_and_exit(m, 1);
		}
		if (pfd[3].revents || pfd[4].revents)
			read_output(m, false);
		if (pfd[0].revents)
			read_signals(m);
		/* before the exit: what the program said before it died counts
		 * (a MAINPID= handed over, a READY=1) */
		if (pfd[5].revents) {
			pid_t before = m->pid;

			read_notify(m);
			/* a MAINPID= handed over: the old pidfd's word is void */
			if (m->pid != before)
				continue;
		}
		if (pfd[6].revents && m->readyfd >= 0 &&
		    (m->mode == MON_FIRST || m->mode == MON_STARTING)) {
			read_ready(m);
			continue;
		}
		if (m->pid > 0 &&
		    (pfd[1].revents || (pidless && proc_alive(m->pid) != PROC_ALIVE))) {
			program_exited(m);
			continue;
		}
		if (m->confirmfd >= 0 && pfd[2].revents) {
			/* svcctl went away during the ready window */
			abandon(m);
		}
		if (timed && m->mode != MON_RUNNING && now_mono() >= m->deadline)
			on_timeout(m);
	}
}

static void setup_failed(struct monitor *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void setup_failed(struct monitor *m, int code, const char *fmt, ...)
{
	struct mon_report r = {0};
	va_list ap;

	r.kind = MR_FAILED;
	r.exit_code = code;
	va_start(ap, fmt);
	vsnprintf(r.message, sizeof(r.message), fmt, ap);
	va_end(ap);
	report(m, &r);
	/* what the set-up opened is closed, the caches with it, as at any
	 * other exit: a build for valgrind counts what is left open as lost */
	close_outputs(m);
	if (m->plan.svc) /* plan_prepare() ran: its descriptors */
		plan_close(&m->plan);
	path_cache_clear();
	proc_cache_clear();
	if (m->sigfd >= 0)
		close(m->sigfd);
	_exit(1);
}

/* Where one stream goes: a file the program writes itself, or a pipe the
 * monitor reads into a sink (a log it rotates, or syslog). 0, or the LSB
 * exit code with the reason in el. */
static int open_stream(struct monitor *m, int i, const struct output *o, int *fd,
		       struct errlist *el)
{
	struct logsink_config cfg = {0};
	const char *why = NULL;
	int p[2];

	/* the same code as an unsupervised start's: 4 for a read-only
	 * log_dir, 1 for a full one */
	if (!service_output_owned(&m->svc, o))
		return plan_open_output(&m->gc, &m->svc, o, fd, el) < 0
			? plan_errno_exit(errno)
			: 0;
	cfg.syslog = o->kind == OUT_SYSLOG;
	cfg.path = cfg.syslog ? NULL : o->path ? o->path : m->svc.log_path;
	cfg.max_bytes = m->svc.log_max_bytes;
	cfg.backups = m->svc.log_backups;
	cfg.syslog_path = "/dev/log";
	cfg.ident = m->svc.name;
	if (cfg.path && plan_log_dir(&m->gc, &m->svc, o, el) < 0)
		return plan_errno_exit(errno);
	if (logsink_open(&m->sink[i], &cfg, &why) < 0) {
		int code = plan_errno_exit(errno);

		errlist_add(el, "%s: log %s: %s", m->svc.name,
			    cfg.path ? cfg.path : "syslog", why ? why : strerror(errno));
		return code;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		errlist_add(el, "%s: pipe: %s", m->svc.name, strerror(errno));
		logsink_close(&m->sink[i]);
		return EXIT_FAILED;
	}
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
	m->pipe[i] = p[0];
	*fd = p[1];
	return 0;
}

/* The program's stdout and stderr, kept open for every run */
static int open_outputs(struct monitor *m, struct errlist *el)
{
	int rc = open_stream(m, 0, &m->svc.out, &m->plan.out_fd, el);

	if (rc)
		return rc;
	if (m->svc.err.kind == OUT_STDOUT) {
		m->plan.err_fd = m->plan.out_fd;
		return 0;
	}
	return open_stream(m, 1, &m->svc.err, &m->plan.err_fd, el);
}

/* type = notify: the socket, made once for the monitor's life, and
 * NOTIFY_SOCKET in the program's environment (replacing one the service's
 * configuration set: it could only point elsewhere) */
static int notify_setup(struct monitor *m)
{
	struct strv *env = &m->plan.env;
	size_t i;

	if (notify_open(&m->notify, m->gc.run_dir, m->svc.name,
			m->svc.set_user ? m->svc.uid : (uid_t)-1, m->svc.gid) < 0)
		return -1;
	m->notifying = true;
	for (i = 0; i < env->n; i++)
		if (strncmp(env->v[i], "NOTIFY_SOCKET=", 14) == 0)
			break;
	if (i < env->n) {
		free(env->v[i]);
		env->v[i] = xstrdup(m->notify.env);
	} else {
		strv_push(env, m->notify.env);
	}
	m->plan.envp = env->v;
	return 0;
}

/* What the monitor keeps for months, copied out of the heap once set-up is
 * done: the parse of svcctl.conf and NAME.ini leaves the heap fragmented,
 * its pages dirty for the monitor's life. In this arena (static, so only the
 * pages it fills count) the strings and arrays take what they need; the
 * heap is then freed and given back. */
#define ARENA_MAX 65536

static char arena[ARENA_MAX];
static size_t arena_used;

static void *arena_take(size_t len)
{
	size_t at = (arena_used + sizeof(void *) - 1) & ~(sizeof(void *) - 1);

	if (at + len > sizeof(arena) || at + len < at)
		return NULL;
	arena_used = at + len;
	return arena + at;
}

static bool keep_str(char **p)
{
	char *copy;
	size_t len;

	if (!*p)
		return true;
	len = strlen(*p) + 1;
	copy = arena_take(len);
	if (!copy)
		return false;
	memcpy(copy, *p, len);
	*p = copy;
	return true;
}

static bool keep_strv(struct strv *sv)
{
	char **v = arena_take((sv->n + 1) * sizeof(char *));

	if (!v)
		return false;
	for (size_t i = 0; i < sv->n; i++) {
		v[i] = sv->v[i];
		if (!keep_str(&v[i]))
			return false;
	}
	v[sv->n] = NULL;
	sv->v = v;
	sv->cap = 0;
	return true;
}

/* Moves svc and the plan into the arena and frees the heap they used; left
 * as they are when they do not fit (the monitor then works from the heap) */
static void pack(struct monitor *m)
{
	struct service svc = m->svc;
	struct spawn_plan plan = m->plan;
	struct strv env = {m->plan.env.v, m->plan.env.n, 0};
	char **strs[] = {
		&svc.name,      &svc.ini_path,  &svc.description,
		&svc.exec_line, &svc.pidfile,   &svc.user,
		&svc.group,     &svc.directory, &svc.environment_file,
		&svc.out.path,  &svc.err.path,  &svc.runlevels,
		&svc.requires,  &svc.should,    &svc.state_path,
		&svc.lock_path, &svc.log_path,
	};
	bool ok = true;

	for (size_t i = 0; ok && i < sizeof(strs) / sizeof(strs[0]); i++)
		ok = keep_str(strs[i]);
	ok = ok && keep_strv(&svc.argv) && keep_strv(&svc.environment) &&
		keep_strv(&env) && keep_str(&plan.resolved);
	if (ok && plan.groups) {
		gid_t *groups = arena_take(plan.ngroups * sizeof(gid_t));
		ok = groups != NULL;
		if (ok)
			memcpy(groups, plan.groups, plan.ngroups * sizeof(gid_t));
		plan.groups = groups;
	}
	if (!ok) {
		arena_used = 0;
		return;
	}
	free(m->plan.groups);
	free(m->plan.resolved);
	strv_free(&m->plan.env);
	service_free(&m->svc);
	conf_free(&m->gc);
	memset(&m->gc, 0, sizeof(m->gc));
	m->svc = svc;
	plan.svc = &m->svc;
	plan.path = plan.resolved;
	plan.envp = env.v;
	plan.env = env;
	m->plan = plan;
	m->packed = true;
	malloc_trim(0);
}

/* The monitor's title, "svcctl: supervise NAME": its argv[0] as svcctl made
 * it, or NULL for any other process. A build for valgrind (make valgrind)
 * also takes it from the environment: valgrind, following the exec, hands
 * the new program its path as argv[0] and drops the one it was given. */
static const char *monitor_title(int argc, char **argv)
{
	const size_t len = strlen(MONITOR_TITLE);

	if (argc != 1)
		return NULL;
	if (strncmp(argv[0], MONITOR_TITLE, len) == 0)
		return argv[0];
#ifdef SVCCTL_VALGRIND
	{
		const char *t = getenv(MONITOR_ENV);
		if (t && strncmp(t, MONITOR_TITLE, len) == 0)
			return t;
	}
#endif
	return NULL;
}

/* Is this process a monitor? Its argv[0] is the title, its environment
 * names the start's pipes. */
bool supervise_is_monitor(int argc, char **argv)
{
	return monitor_title(argc, argv) != NULL && getenv(MONITOR_ENV) != NULL;
}

/* The monitor's main */
int supervise_main(char **argv)
{
	static struct monitor mon;
	struct monitor *m = &mon;
	struct errlist el = {0};
	const char *name = monitor_title(1, argv) + strlen(MONITOR_TITLE), *config, *step;
	sigset_t sigs;
	int rc;

	m->reportfd = REPORT_FD;
	m->confirmfd = CONFIRM_FD;
	m->lockfd = fcntl(LOCK_FD, F_SETFD, FD_CLOEXEC) == 0 ? LOCK_FD : -1;
	m->pidfd = -1;
	m->sigfd = -1;
	m->readyfd = -1;
	m->notify.fd = -1;
	m->pipe[0] = m->pipe[1] = -1;
	verbosity = 0;
	(void)prctl(PR_SET_NAME, "svcctl", 0, 0, 0);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &sigs, NULL);
	m->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	(void)fcntl(m->reportfd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(m->confirmfd, F_SETFD, FD_CLOEXEC);
	if (m->sigfd < 0)
		setup_failed(m, EXIT_FAILED, "%s: signalfd: %s", name, strerror(errno));

	config = getenv("SVCCTL_CONFIG");
	if (conf_load(&m->gc, config, config && *config, &el) < 0 ||
	    service_load(&m->svc, &m->gc, name, &el) < 0)
		setup_failed(m, EXIT_NOTCONFIGURED, "%s",
			     el.msgs.n ? el.msgs.v[0] : "cannot load the configuration");
	/* notify: a MAINPID= child its parent left is re-parented here */
	if ((m->svc.type == TYPE_FORKING || m->svc.type == TYPE_NOTIFY) &&
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		setup_failed(m, EXIT_FAILED, "%s: PR_SET_CHILD_SUBREAPER: %s", name,
			     strerror(errno));
	rc = plan_prepare(&m->plan, &m->svc, &m->gc, false, &el);
	if (!rc)
		rc = open_outputs(m, &el);
	if (rc)
		setup_failed(m, rc, "%s", el.msgs.n ? el.msgs.v[0] : "cannot prepare");
	errlist_free(&el);
	if (m->svc.type == TYPE_NOTIFY && notify_setup(m) < 0)
		setup_failed(m, EXIT_FAILED, "%s: notify socket %s: %s", name,
			     m->notify.path, strerror(errno));
	m->waits_ready = service_waits_ready(&m->svc);

	memset(&m->st, 0, sizeof(m->st));
	(void)proc_boot_id(m->st.boot_id, sizeof(m->st.boot_id));
	m->st.monitor_pid = getpid();
	if (proc_starttime(getpid(), &m->st.monitor_starttime) < 0)
		setup_failed(m, EXIT_FAILED, "%s: cannot read its own start time", name);
	snprintf(m->st.exec, sizeof(m->st.exec), "%s", m->plan.path);
	snprintf(m->st.last_exit, sizeof(m->st.last_exit), "-");

	/* the monitor's memory is what it needs for months, nothing of the
	 * parse */
	pack(m);
	trim_stack();
	m->mode = MON_FIRST;
	if (run_program(m, &step) < 0) {
		struct mon_report r = {0};

		r.kind = MR_FAILED;
		r.err = errno;
		if (step == m->why) {
			r.exit_code = EXIT_FAILED;
			if (snprintf(r.message, sizeof(r.message), "%s: %s", m->svc.name,
				     step) < 0)
				r.message[0] = '\0';
		} else {
			snprintf(r.step, sizeof(r.step), "%s", step);
		}
		report(m, &r);
		abandon(m);
	}
	m->deadline = m->run_started +
		(m->waits_ready ? m->svc.start_timeout : m->svc.ready_seconds);
	loop(m);
	return 0;
}

/* In the processes between svcctl and the monitor's exec: the step that
 * failed goes to svcctl as a report, so the start says what went wrong
 * instead of finding the report pipe closed */
static void early_failure(int fd, const char *step) __attribute__((noreturn));

static void early_failure(int fd, const char *step)
{
	struct mon_report fail = {0};

	fail.kind = MR_FAILED;
	fail.err = errno;
	snprintf(fail.step, sizeof(fail.step), "%s", step);
	(void)write_full(fd, &fail, sizeof(fail));
	_exit(1);
}

/* svcctl's side: starts the monitor for svc and returns when the first run
 * is known to have started (res->pid), died (res->died) or failed (-1, with
 * res->step, or res->message and res->exit_code for the monitor's set-up). */
int supervise_start(const struct globalconf *gc, const struct service *svc, int lockfd,
		    struct spawn_result *res)
{
	int reportfd[2], confirmfd[2];
	struct strv env = {0};
	struct mon_report r;
	char *title, *config = NULL;
	const char *pass[] = {"HOME",           "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
			      "XDG_STATE_HOME", "ASAN_OPTIONS",    "UBSAN_OPTIONS",
			      "LSAN_OPTIONS"};
	pid_t first;
	ssize_t n;
	int status;

	memset(res, 0, sizeof(*res));
	if (pipe2(reportfd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(confirmfd, O_CLOEXEC) < 0) {
		close(reportfd[0]);
		close(reportfd[1]);
		return -1;
	}
	/* everything the exec needs is made before the fork */
	title = xasprintf("%s%s", MONITOR_TITLE, svc->name);
#ifdef SVCCTL_VALGRIND
	strv_push_owned(&env, xasprintf("%s=%s", MONITOR_ENV, title));
#else
	strv_push(&env, MONITOR_ENV "=1");
#endif
	/* freed chunks in malloc's per-thread cache are never trimmed: the
	 * monitor does without it, so the heap of its set-up goes back */
	strv_push(&env, "GLIBC_TUNABLES=glibc.malloc.tcache_count=0");
	strv_push(&env, "PATH=" SVCCTL_PATH);
	if (gc->path) {
		if (gc->path[0] == '/') {
			config = xasprintf("SVCCTL_CONFIG=%s", gc->path);
		} else {
			char cwd[4096];
			if (getcwd(cwd, sizeof(cwd)))
				config = xasprintf("SVCCTL_CONFIG=%s/%s", cwd, gc->path);
		}
		if (config)
			strv_push_owned(&env, config);
	}
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		const char *v = getenv(pass[i]);
		if (v)
			strv_push_owned(&env, xasprintf("%s=%s", pass[i], v));
	}
	fflush(NULL);
	first = fork_retry();
	if (first == 0) {
		char *argv[] = {title, NULL};
		struct sigaction sa;
		sigset_t none;
		int fd;

		pid_t mon;
		int lock;

		if (setsid() < 0)
			early_failure(reportfd[1], "setsid");
		/* a fork that fails (EAGAIN, ENOMEM on a loaded machine) is
		 * said, not taken for the parent's side */
		mon = fork_retry();
		if (mon < 0)
			early_failure(reportfd[1], "fork monitor");
		if (mon > 0)
			_exit(0);
		/* the monitor: a daemon of its own (DESIGN 4.1); the lock
		 * first out of the way of the fixed numbers */
		lock = lockfd >= 0 ? fcntl(lockfd, F_DUPFD_CLOEXEC, LOCK_FD + 1) : -1;
		if (dup2(reportfd[1], REPORT_FD) < 0 ||
		    dup2(confirmfd[0], CONFIRM_FD) < 0 ||
		    (lock >= 0 && dup2(lock, LOCK_FD) < 0))
			early_failure(reportfd[1], "monitor descriptors");
		if (lock < 0)
			(void)close(LOCK_FD);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			(void)dup2(fd, STDIN_FILENO);
			(void)dup2(fd, STDOUT_FILENO);
			(void)dup2(fd, STDERR_FILENO);
		}
		if (syscall(SYS_close_range, (unsigned)LOCK_FD + 1, ~0U, 0U) < 0)
			for (fd = LOCK_FD + 1; fd < 1024; fd++)
				(void)close(fd);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				(void)sigaction(sig, &sa, NULL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (chdir("/") < 0)
			early_failure(REPORT_FD, "chdir /");
		umask(022);
#ifdef SVCCTL_VALGRIND
		/* valgrind cannot load /proc/self/exe by name (it names the
		 * tool, not svcctl); opened, it is valgrind's descriptor of the
		 * very binary it loaded, so the exec by descriptor is of the
		 * same file, which a rename cannot swap under us either */
		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			fexecve(fd, argv, env.v);
#else
		execve("/proc/self/exe", argv, env.v);
#endif
		early_failure(REPORT_FD, "exec monitor");
	}
	close(reportfd[1]);
	close(confirmfd[0]);
	free(title);
	strv_free(&env);
	if (first < 0) {
		int saved = errno;
		close(reportfd[0]);
		close(confirmfd[1]);
		errno = saved;
		return -1;
	}
	while (waitpid(first, &status, 0) < 0 && errno == EINTR)
		;
	n = read_full(reportfd[0], &r, sizeof(r));
	close(reportfd[0]);
	if (n != (ssize_t)sizeof(r)) {
		close(confirmfd[1]);
		snprintf(res->step, sizeof(res->step), "supervise");
		res->err = EPIPE;
		return -1;
	}
	res->pid = r.pid;
	res->elapsed = r.elapsed;
	switch (r.kind) {
	case MR_READY:
		/* EPIPE: the monitor is gone already; status will say so */
		(void)write_full(confirmfd[1], "a", 1);
		close(confirmfd[1]);
		return 0;
	case MR_DIED:
		close(confirmfd[1]);
		res->died = true;
		res->exit_status = r.status;
		return 0;
	default:
		close(confirmfd[1]);
		res->exit_code = r.exit_code;
		res->err = r.err;
		res->exec_failed = strcmp(r.step, "exec") == 0;
		snprintf(res->step, sizeof(res->step), "%s",
			 r.step[0] ? r.step : "start");
		snprintf(res->message, sizeof(res->message), "%s", r.message);
		r.why[sizeof(r.why) - 1] = '\0';
		snprintf(res->why, sizeof(res->why), "%s", r.why);
		return -1;
	}
}
