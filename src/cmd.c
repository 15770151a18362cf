/* One function per action: orchestration and what the user sees. The
 * modules do the work and report; only this file and main.c print. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#define FAILURE_LOG_LINES 10

static void print_errors(struct errlist *el)
{
	for (size_t i = 0; i < el->msgs.n; i++)
		msg_error(NULL, "%s", el->msgs.v[i]);
}

/* Loads NAME.ini; on failure prints why and returns the exit code the
 * action should use (errcode), else 0. */
static int load(struct cmdctx *c, const char *name, struct service *svc, int errcode)
{
	struct errlist el = {0};

	if (service_load(svc, &c->gc, name, &el) < 0) {
		print_errors(&el);
		errlist_free(&el);
		service_free(svc);
		return errcode;
	}
	errlist_free(&el);
	return 0;
}

static int errno_exit(int err)
{
	return err == EACCES || err == EPERM || err == EROFS ? EXIT_PERM : EXIT_FAILED;
}

/* run_dir holds what vouches for a PID: only root's (as root) or the
 * caller's own directory, writable by nobody else, is believed. Creates it
 * when create. Returns 0, or the exit code after saying why. */
static int check_run_dir(struct cmdctx *c, const char *name, bool create)
{
	const char *why = NULL;
	int dirfd, rc = 0;

	if (create)
		dirfd = path_mkdir_trusted(c->gc.run_dir, geteuid() == 0 ? 0755 : 0700,
					   &why);
	else
		dirfd = path_open_trusted(c->gc.run_dir, O_RDONLY | O_DIRECTORY, 0, &why);
	if (dirfd < 0) {
		if (!create && errno == ENOENT)
			return 0;
		rc = errno == ELOOP ? EXIT_PERM : errno_exit(errno);
		msg_error(name, "run_dir %s: %s", c->gc.run_dir,
			  why ? why : strerror(errno));
		return rc;
	}
	if (path_dir_check(dirfd, &why) < 0) {
		msg_error(name, "run_dir %s: %s; refusing to trust it", c->gc.run_dir,
			  why);
		rc = EXIT_PERM;
	}
	close(dirfd);
	return rc;
}

/* Takes the transition lock, creating run_dir when needed. */
static int lock_service(struct cmdctx *c, const struct service *svc, int *fd)
{
	int rc = check_run_dir(c, svc->name, true);

	if (rc)
		return rc;
	*fd = pidfile_lock(svc->lock_path);
	if (*fd < 0) {
		msg_error(svc->name, "lock %s: %s", svc->lock_path, strerror(errno));
		return errno_exit(errno);
	}
	return 0;
}

static void forget_pid(const struct service *svc)
{
	(void)pidfile_remove(svc->pidfile);
	(void)pidfile_remove(svc->state_path);
}

/* A stop leaves a record: NAME.state with run=stopped, when and how, for
 * status. The pidfile goes first: no moment shows a stopped state beside a
 * pidfile. */
static void record_stopped(const struct service *svc, const struct identity *id,
			   const char *how)
{
	struct state st;

	if (id->have_state)
		st = id->st;
	else
		memset(&st, 0, sizeof(st));
	(void)pidfile_remove(svc->pidfile);
	state_mark_stopped(&st, now_wall_ms(), how);
	if (state_write(svc->state_path, &st) < 0)
		(void)pidfile_remove(svc->state_path);
}

/* "by svcctl stop (TERM)", or how the schedule ended it */
static void stop_how(const struct service *svc, enum stop_result res, char *buf,
		     size_t len)
{
	const char *sig = signal_name(svc->stop_signal);

	if (strncmp(sig, "SIG", 3) == 0)
		sig += 3;
	if (res == STOP_KILLED)
		snprintf(buf, len,
			 "by svcctl stop: killed by KILL after stop_timeout (%gs of %s)",
			 svc->stop_timeout, sig);
	else
		snprintf(buf, len, "by svcctl stop (%s)", sig);
}

struct started {
	const struct service *svc;
	const char *path;
	const char *failed_file; /* the run_dir file that could not be written */
};

/* Called when the program forked, before it runs anything: the state file
 * names it, its group and its session from then on, so a svcctl killed now
 * leaves nothing untracked. Then, once exec succeeded, the pidfile. */
static int record_start(enum spawn_phase phase, pid_t pid, pid_t sid, void *arg)
{
	struct started *s = arg;
	struct state st = {0};

	if (phase == SPAWN_EXECED) {
		if (pidfile_write(s->svc->pidfile, pid) < 0) {
			s->failed_file = s->svc->pidfile;
			return -1;
		}
		return 0;
	}
	if (phase == SPAWN_READY) {
		/* ready_fd said so: status now says running */
		if (state_read(s->svc->state_path, &st) < 0 || st.pid != pid) {
			s->failed_file = s->svc->state_path;
			return -1;
		}
		st.run = RUN_RUNNING;
		if (state_write(s->svc->state_path, &st) < 0) {
			s->failed_file = s->svc->state_path;
			return -1;
		}
		return 0;
	}
	st.pid = pid;
	/* ready_fd: a concurrent status says starting until the newline */
	st.run = s->svc->ready_fd > 0 ? RUN_STARTING : RUN_RUNNING;
	st.pgid = pid;
	st.sid = sid;
	if (proc_starttime(pid, &st.starttime) < 0) {
		s->failed_file = s->svc->state_path;
		return -1;
	}
	if (phase == SPAWN_DAEMON) {
		/* the daemon's own group and session: it usually setsid()s */
		struct proc_info pi;

		if (proc_stat(pid, &pi) < 0) {
			s->failed_file = s->svc->state_path;
			return -1;
		}
		st.pgid = pi.pgid;
		st.sid = pi.sid;
	}
	(void)proc_boot_id(st.boot_id, sizeof(st.boot_id));
	st.started_at = now_wall();
	snprintf(st.exec, sizeof(st.exec), "%s", s->path);
	snprintf(st.last_exit, sizeof(st.last_exit), "-");
	if (state_write(s->svc->state_path, &st) < 0) {
		s->failed_file = s->svc->state_path;
		return -1;
	}
	return 0;
}

static int report_failure(const struct service *svc, const struct spawn_result *res,
			  const struct started *st)
{
	char what[128];
	const char *log = service_log_path(svc);

	if (res->exec_failed) {
		bool missing = res->err == ENOENT || res->err == EACCES ||
			res->err == ENOEXEC || res->err == ENOTDIR || res->err == EISDIR;

		msg_error(svc->name, "exec %s: %s", st->path, strerror(res->err));
		return missing ? EXIT_NOTINSTALLED : EXIT_FAILED;
	}
	if (res->why[0]) {
		/* forking: the launcher or its daemon did not pass */
		char *why = text_visible_dup(res->why);

		msg_error(svc->name, "%s%s", why, log ? "; last lines of its log:" : "");
		free(why);
		if (log)
			log_tail(log, FAILURE_LOG_LINES, LOG_TAIL_WINDOW, "    ",
				 STDERR_FILENO);
		return EXIT_FAILED;
	}
	if (res->step[0]) {
		if (strcmp(res->step, "chdir") == 0)
			msg_error(svc->name, "chdir %s: %s", svc->directory,
				  strerror(res->err));
		else if (strcmp(res->step, "write pidfile") == 0)
			msg_error(svc->name, "cannot write %s: %s",
				  st->failed_file ? st->failed_file : svc->pidfile,
				  strerror(res->err));
		else
			msg_error(svc->name, "%s: %s", res->step, strerror(res->err));
		return errno_exit(res->err);
	}
	describe_wait_status(res->exit_status, what, sizeof(what));
	msg_error(svc->name, "%s after %.1fs%s", what, res->elapsed,
		  log ? "; last lines of its log:" : "");
	if (log)
		log_tail(log, FAILURE_LOG_LINES, LOG_TAIL_WINDOW, "    ", STDERR_FILENO);
	return EXIT_FAILED;
}

#define MONITOR_GRACE 10.0 /* beyond the stop schedule, for the monitor's own exit */

/* A signal to the monitor: through its pidfd, or by PID without one */
static int monitor_signal(int pidfd, pid_t pid, int sig)
{
	return pidfd >= 0 ? proc_pidfd_signal(pidfd, sig) : kill(pid, sig);
}

/* Asks the verified monitor to stop (DESIGN 4.8) and waits until it is
 * gone: it stops respawning first, runs the stop schedule on the program,
 * reaps it and records the exit. 0 once it is gone; -1 when it could not be
 * asked or would not go (then it is killed, and the caller deals with
 * whatever it left running). */
static int stop_monitor(const struct service *svc, const struct identity *id)
{
	struct proc_info pi;
	pid_t mpid = id->st.monitor_pid;
	int pidfd = proc_pidfd_open(mpid), rc = 0;

	/* no pidfd (a kernel before 5.3, or valgrind): the monitor is
	 * signalled by PID right after the check below and waited for in
	 * /proc, as stop.c does for a program */
	if (pidfd < 0 && errno != ENOSYS)
		return errno == ESRCH ? 0 : -1;
	/* checked again after the pidfd was opened: it names the verified
	 * monitor, or the monitor is gone already */
	if (proc_stat(mpid, &pi) < 0 || proc_state_of(&pi) != PROC_ALIVE ||
	    pi.starttime != id->st.monitor_starttime) {
		if (pidfd >= 0)
			close(pidfd);
		return 0;
	}
	if (monitor_signal(pidfd, mpid, SIGTERM) < 0) {
		rc = errno == ESRCH ? 0 : -1;
		if (pidfd >= 0)
			close(pidfd);
		return rc;
	}
	if (!stop_wait(pidfd, mpid, now_mono() + svc->stop_timeout + MONITOR_GRACE)) {
		msg_warn(svc->name, "monitor %d did not exit; killing it", (int)mpid);
		(void)monitor_signal(pidfd, mpid, SIGKILL);
		(void)stop_wait(pidfd, mpid, now_mono() + MONITOR_GRACE);
		rc = -1;
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

/* A start under a monitor: the monitor forks the program, records it and
 * reports the first run's outcome; the plan is prepared here first only to
 * say what is wrong the same way an unsupervised start does. The monitor
 * shares lockfd until svcctl confirms its start. */
static int start_supervised(struct cmdctx *c, struct service *svc, int lockfd)
{
	struct spawn_plan plan;
	struct spawn_result res;
	struct errlist el = {0};
	struct started st = {svc, NULL, NULL};
	int rc = plan_prepare(&plan, svc, &c->gc, false, &el);

	if (rc) {
		print_errors(&el);
		goto out;
	}
	st.path = plan.path;
	if (supervise_start(&c->gc, svc, lockfd, &res) < 0 || res.died) {
		if (res.message[0]) {
			msg_error(NULL, "%s", res.message);
			rc = res.exit_code ? res.exit_code : EXIT_FAILED;
		} else if (!res.step[0] && !res.died) {
			msg_error(svc->name, "fork: %s", strerror(errno));
			rc = EXIT_FAILED;
		} else {
			rc = report_failure(svc, &res, &st);
		}
		if (strcmp(res.step, "supervise") == 0) {
			/* the monitor vanished: end what it recorded */
			struct identity id;
			enum stop_result sr;

			if (identify(svc, &id) == 0 && id.ident == IDENT_RUNNING)
				(void)group_end(&id.group, SIGKILL, 0, &sr);
		}
		forget_pid(svc);
		goto out;
	}
	msg_info("%s: started (pid %d)\n", svc->name, (int)res.pid);
	rc = EXIT_OK;
out:
	plan_free(&plan);
	errlist_free(&el);
	return rc;
}

static int start_locked(struct cmdctx *c, struct service *svc, int lockfd)
{
	struct identity id;
	struct spawn_plan plan = {.out_fd = -1, .err_fd = -1, .dir_fd = -1};
	struct spawn_result res;
	struct errlist el = {0};
	struct started st;
	int rc;

	identify(svc, &id);
	if (id.supervised && id.ident != IDENT_RUNNING && id.ident != IDENT_STARTING) {
		/* the monitor waits to restart the program, or is about to
		 * decide: start means now, afresh */
		if (stop_monitor(svc, &id) < 0)
			msg_warn(svc->name, "its monitor would not stop");
		identify(svc, &id);
	}
	switch (id.ident) {
	case IDENT_RUNNING:
	case IDENT_STARTING:
		if (id.monitor_lost) {
			msg_info("%s: already running (pid %d), unsupervised: its "
				 "monitor is gone; 'restart' brings supervision back\n",
				 svc->name, (int)id.pid);
			return EXIT_OK;
		}
		if (id.pidfile_missing && pidfile_write(svc->pidfile, id.pid) < 0)
			msg_warn(svc->name, "cannot restore %s: %s", svc->pidfile,
				 strerror(errno));
		else if (id.pidfile_missing)
			msg_verbose("%s: restored the pidfile %s", svc->name,
				    svc->pidfile);
		msg_info("%s: already running (pid %d)\n", svc->name, (int)id.pid);
		return EXIT_OK;
	case IDENT_UNTRUSTED:
		msg_error(svc->name,
			  "refusing to start: %s: %s; remove it if %s is not running",
			  svc->pidfile, id.why, svc->name);
		return EXIT_FAILED;
	case IDENT_LEFTOVER: {
		char list[256];

		format_leftovers(&id, list, sizeof(list));
		msg_error(svc->name,
			  "refusing to start: %zu process%s of the last run still "
			  "run%s in its process group: %s; 'restart' ends them",
			  id.nleft, id.nleft == 1 ? "" : "es", id.nleft == 1 ? "s" : "",
			  list);
		return EXIT_FAILED;
	}
	case IDENT_DEAD:
	case IDENT_STALE:
	case IDENT_BACKOFF:
		msg_verbose("%s: removing stale pidfile (%s)", svc->name, id.why);
		forget_pid(svc);
		break;
	case IDENT_FATAL:
		/* afresh, the counters reset */
		forget_pid(svc);
		break;
	case IDENT_NONE: break;
	}
	if (service_supervised(svc))
		return start_supervised(c, svc, lockfd);
	rc = plan_prepare(&plan, svc, &c->gc, true, &el);
	if (rc) {
		print_errors(&el);
		goto out;
	}
	st.svc = svc;
	st.path = plan.path;
	st.failed_file = NULL;
	if (spawn_service(&plan, &res, record_start, &st) < 0 || res.died) {
		if (!res.step[0] && !res.died) {
			msg_error(svc->name, "fork: %s", strerror(errno));
			rc = EXIT_FAILED;
		} else {
			rc = report_failure(svc, &res, &st);
		}
		/* a forking service's pidfile is its own: the start removed
		 * it if it named what the start ended */
		if (svc->type == TYPE_FORKING)
			(void)pidfile_remove(svc->state_path);
		else
			forget_pid(svc);
		goto out;
	}
	msg_info("%s: started (pid %d)\n", svc->name, (int)res.pid);
	rc = EXIT_OK;
out:
	plan_free(&plan);
	errlist_free(&el);
	return rc;
}

/* Stops whatever the pidfile verifiably names. A PID that cannot be verified
 * is reported, never signalled. */
static int stop_locked(struct cmdctx *c, struct service *svc, bool *was_running)
{
	struct identity id;
	struct group_left rest = {{0, 0, 0}, 0};
	enum stop_result res;
	int pidfd;

	*was_running = false;
	if (identify(svc, &id) < 0 || id.ident == IDENT_UNTRUSTED) {
		msg_error(svc->name, "%s: %s; not signalling it", svc->pidfile, id.why);
		return EXIT_FAILED;
	}
	if (id.supervised) {
		bool ran = id.ident == IDENT_RUNNING || id.ident == IDENT_STARTING;
		bool backoff = id.ident == IDENT_BACKOFF;

		if (stop_monitor(svc, &id) < 0)
			msg_warn(svc->name,
				 "its monitor would not stop; stopping the "
				 "program itself");
		identify(svc, &id);
		if (id.ident != IDENT_RUNNING && id.ident != IDENT_STARTING &&
		    id.ident != IDENT_LEFTOVER && id.ident != IDENT_UNTRUSTED) {
			/* the monitor recorded the stop and the last exit; when
			 * and by whom are added to its record */
			if ((ran || backoff) && id.ident == IDENT_NONE && id.have_state) {
				char how[96];

				if (ran) {
					stop_how(svc, STOP_DONE, how, sizeof(how));
				} else {
					/* between two runs: the stop ended the
					 * supervision; how long the last run
					 * lasted is its exit's to say */
					snprintf(how, sizeof(how),
						 "by svcctl stop, in backoff");
					id.st.started_at = 0;
				}
				record_stopped(svc, &id, how);
			}
			*was_running = ran;
			msg_info("%s: %s\n", svc->name,
				 ran               ? "stopped"
					 : backoff ? "stopped (it was in backoff)"
						   : "not running");
			return EXIT_OK;
		}
	}
	if (id.ident == IDENT_NONE) {
		/* the record of the last stop stays; a state naming a program
		 * that is gone, pidfile and all, is nothing to keep */
		if (!id.have_state || id.st.run != RUN_STOPPED)
			(void)pidfile_remove(svc->state_path);
		msg_info("%s: not running\n", svc->name);
		return EXIT_OK;
	}
	if (id.ident == IDENT_FATAL || id.ident == IDENT_BACKOFF) {
		forget_pid(svc);
		msg_info("%s: not running\n", svc->name);
		return EXIT_OK;
	}
	if (id.ident == IDENT_LEFTOVER) {
		/* the program is gone; its group is ended on the stop schedule */
		if (group_end(&id.group, svc->stop_signal, svc->stop_timeout, &res) ==
			    0 &&
		    res == STOP_STUCK) {
			msg_error(svc->name,
				  "processes of its group are still alive "
				  "after SIGKILL");
			return EXIT_FAILED;
		}
		forget_pid(svc);
		msg_info("%s: stopped %zu leftover process%s of its group\n", svc->name,
			 id.nleft, id.nleft == 1 ? "" : "es");
		return EXIT_OK;
	}
	if (id.ident != IDENT_RUNNING) {
		if (id.ident == IDENT_STALE)
			msg_warn(svc->name,
				 "stale pidfile: PID %d: %s; not signalling it",
				 (int)id.pid, id.why);
		forget_pid(svc);
		msg_info("%s: not running (removed stale pidfile)\n", svc->name);
		return EXIT_OK;
	}
	/* the pidfd pins the process; verifying again after opening it closes
	 * the window in which the PID could have been recycled */
	pidfd = proc_pidfd_open(id.pid);
	if (!identity_still(&id)) {
		if (pidfd >= 0)
			close(pidfd);
		forget_pid(svc);
		msg_info("%s: not running\n", svc->name);
		return EXIT_OK;
	}
	*was_running = true;
	if (stop_process(id.pid, pidfd, svc->stop_signal, svc->stop_timeout,
			 svc->kill_mode == KILL_GROUP ? &id.group : NULL,
			 c->defer_fd >= 0 ? &rest : NULL, &res) < 0) {
		msg_error(svc->name, "kill %d: %s", (int)id.pid, strerror(errno));
		if (pidfd >= 0)
			close(pidfd);
		return errno_exit(errno);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (c->defer_fd >= 0 && rest.group.pgid > 0)
		(void)write_full(c->defer_fd, &rest, sizeof(rest));
	if (res == STOP_STUCK) {
		msg_error(svc->name, "pid %d is still alive after SIGKILL", (int)id.pid);
		return EXIT_FAILED;
	}
	if (res == STOP_KILLED)
		msg_warn(svc->name, "did not exit within %gs of %s; sent SIGKILL",
			 svc->stop_timeout, signal_name(svc->stop_signal));
	{
		char how[96];

		stop_how(svc, res, how, sizeof(how));
		record_stopped(svc, &id, how);
	}
	msg_info("%s: stopped\n", svc->name);
	return EXIT_OK;
}

enum transition { T_START, T_STOP, T_RESTART, T_TRY_RESTART };

/* A transition of a loaded service, under its lock */
static int transition_loaded(struct cmdctx *c, struct service *svc, enum transition t)
{
	bool was_running;
	int rc, lockfd;

	rc = lock_service(c, svc, &lockfd);
	if (rc)
		return rc;
	switch (t) {
	case T_START: rc = start_locked(c, svc, lockfd); break;
	case T_STOP: rc = stop_locked(c, svc, &was_running); break;
	case T_RESTART:
	case T_TRY_RESTART:
		if (t == T_TRY_RESTART) {
			struct identity id;
			identify(svc, &id);
			if (id.ident != IDENT_RUNNING) {
				msg_info("%s: not running, not restarted\n", svc->name);
				rc = EXIT_OK;
				break;
			}
		}
		rc = stop_locked(c, svc, &was_running);
		if (rc == EXIT_OK)
			rc = start_locked(c, svc, lockfd);
		break;
	}
	close(lockfd);
	return rc;
}

static int transition(struct cmdctx *c, const char *name, enum transition t)
{
	struct service svc;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	rc = transition_loaded(c, &svc, t);
	service_free(&svc);
	return rc;
}

int cmd_start(struct cmdctx *c, const char *name)
{
	return transition(c, name, T_START);
}

int cmd_stop(struct cmdctx *c, const char *name)
{
	return transition(c, name, T_STOP);
}

int cmd_restart(struct cmdctx *c, const char *name)
{
	return transition(c, name, T_RESTART);
}

int cmd_try_restart(struct cmdctx *c, const char *name)
{
	return transition(c, name, T_TRY_RESTART);
}

static int reload_loaded(struct service *svc)
{
	struct identity id;
	int pidfd;

	if (!svc->reload_signal) {
		msg_error(svc->name, "no reload_signal configured");
		return EXIT_UNIMPLEMENTED;
	}
	identify(svc, &id);
	if (id.ident != IDENT_RUNNING && id.ident != IDENT_STARTING) {
		msg_error(svc->name, "not running");
		return EXIT_NOTRUNNING;
	}
	pidfd = proc_pidfd_open(id.pid);
	if (!identity_still(&id)) {
		if (pidfd >= 0)
			close(pidfd);
		msg_error(svc->name, "not running");
		return EXIT_NOTRUNNING;
	}
	if (signal_process(id.pid, pidfd, svc->reload_signal, NULL) < 0) {
		int saved = errno;
		if (pidfd >= 0)
			close(pidfd);
		msg_error(svc->name, "kill %d: %s", (int)id.pid, strerror(saved));
		return saved == ESRCH ? EXIT_NOTRUNNING : errno_exit(saved);
	}
	if (pidfd >= 0)
		close(pidfd);
	msg_info("%s: sent %s to pid %d\n", svc->name, signal_name(svc->reload_signal),
		 (int)id.pid);
	return EXIT_OK;
}

int cmd_reload(struct cmdctx *c, const char *name)
{
	struct service svc;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	rc = check_run_dir(c, name, false);
	if (!rc)
		rc = reload_loaded(&svc);
	service_free(&svc);
	return rc;
}

int cmd_force_reload(struct cmdctx *c, const char *name)
{
	struct service svc;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);
	bool reloadable;

	if (rc)
		return rc;
	reloadable = svc.reload_signal != 0;
	if (reloadable) {
		rc = check_run_dir(c, name, false);
		if (!rc)
			rc = reload_loaded(&svc);
	}
	service_free(&svc);
	return reloadable ? rc : transition(c, name, T_RESTART);
}

int cmd_status(struct cmdctx *c, const char *name)
{
	struct service svc;
	struct identity id;
	struct status_view v;
	struct errlist el = {0};
	int rc;

	if (service_load(&svc, &c->gc, name, &el) < 0) {
		/* JSON readers get an object that says so, not an empty
		 * stdout; the message goes to stderr as always */
		if (c->json && verbosity > 0) {
			status_print_json_error(stdout, name, errno == ENOENT,
						el.msgs.n ? el.msgs.v[0] : "");
			putchar('\n');
			fflush(stdout);
		}
		print_errors(&el);
		errlist_free(&el);
		service_free(&svc);
		return STATUS_UNKNOWN;
	}
	errlist_free(&el);
	if (check_run_dir(c, name, false)) {
		service_free(&svc);
		return STATUS_UNKNOWN;
	}
	if (identify(&svc, &id) < 0) {
		msg_error(name, "%s: %s", svc.pidfile, id.why);
		service_free(&svc);
		return STATUS_UNKNOWN;
	}
	rc = status_exit_code(&id);
	if (verbosity > 0) {
		status_gather(&v, &svc, &id, !c->brief);
		v.colour = status_colour(STDOUT_FILENO);
		if (!c->brief) {
			v.have_enabled = true;
			v.enabled = initscript_is_enabled(&c->gc, name);
		}
		if (c->brief) {
			status_print_brief(stdout, &v);
		} else if (c->json) {
			status_print_json(stdout, &v);
			putchar('\n');
		} else {
			status_print_block(stdout, &v);
		}
		fflush(stdout);
	}
	service_free(&svc);
	return rc;
}

#define STATUS_PARALLEL_MIN 256 /* below this, a fork costs more than it saves */
#define STATUS_WORKERS_MAX 4

struct status_slices {
	struct cmdctx *c;
	const struct strv *names;
	size_t chunk;
};

static int status_slice(size_t i, void *arg)
{
	const struct status_slices *s = arg;
	size_t from = i * s->chunk, to = from + s->chunk;

	if (to > s->names->n)
		to = s->names->n;
	return status_lines(&s->c->gc, s->c->json, s->names, from, to);
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The slices' rows, gathered in a memory file standing in for stdout, so
 * the table can be aligned once every row is known. -1 when that could not
 * be set up (nothing ran); else the slices ran, their codes are in codes
 * and their rows in *rows (NULL when they were lost). */
static int status_rows(struct status_slices *s, size_t nslices, int *codes, char **rows,
		       size_t *len)
{
	int mem = memfd_create("svcctl-status", MFD_CLOEXEC), saved = -1, rc = -1;
	struct stat sb;
	bool back;

	*rows = NULL;
	*len = 0;
	fflush(stdout);
	if (mem < 0 || (saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    dup2(mem, STDOUT_FILENO) < 0)
		goto out;
	if (pool_run(nslices, nslices, status_slice, s, codes, true) < 0)
		for (size_t i = 0; i < nslices; i++)
			codes[i] = EXIT_FAILED;
	fflush(stdout);
	back = dup2(saved, STDOUT_FILENO) >= 0;
	rc = 0;
	if (!back || fstat(mem, &sb) < 0)
		goto out;
	*rows = xcalloc(1, (size_t)sb.st_size + 1);
	if (pread(mem, *rows, (size_t)sb.st_size, 0) != (ssize_t)sb.st_size) {
		free(*rows);
		*rows = NULL;
		goto out;
	}
	*len = (size_t)sb.st_size;
out:
	if (saved >= 0)
		close(saved);
	if (mem >= 0)
		close(mem);
	return rc;
}

/* One line per service: NAME STATE PID UPTIME DESCRIPTION, sorted by name,
 * or a JSON array. 0 when every service runs, 3 otherwise. A long list is
 * split into contiguous slices read by one process per CPU (the work is
 * mostly system calls on /proc and run_dir); their output is gathered in
 * name order. This process reads the first slice itself. Measured with a
 * thousand running services on two CPUs: one process spends about 33 ms
 * (three quarters of it in the kernel: four files opened and read per
 * service, /proc/PID/stat the dearest), and two halves end in about 20 ms,
 * the fork and the gathering included; below STATUS_PARALLEL_MIN the fork
 * costs more than the second CPU saves. */
int cmd_status_list(struct cmdctx *c, const struct strv *names)
{
	struct strv sorted = {0};
	struct status_slices s = {c, &sorted, 0};
	size_t n = names->n, nworkers = 1, nslices;
	int codes[STATUS_WORKERS_MAX], rc = EXIT_OK;
	bool table = verbosity > 0 && !c->json, json = verbosity > 0 && c->json;
	char *rows = NULL;
	size_t len = 0;

	if (check_run_dir(c, NULL, false))
		return STATUS_UNKNOWN;
	/* the names are borrowed: sorted only points at them */
	sorted.v = xcalloc(n + 1, sizeof(char *));
	if (n > 0) /* an empty list may have no vector at all */
		memcpy(sorted.v, names->v, n * sizeof(char *));
	sorted.n = n;
	qsort(sorted.v, n, sizeof(char *), name_order);
	if (json)
		putchar('[');
	if (n >= STATUS_PARALLEL_MIN) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = cpus < 1                 ? 1
			: cpus > STATUS_WORKERS_MAX ? STATUS_WORKERS_MAX
						    : (size_t)cpus;
	}
	s.chunk = n ? (n + nworkers - 1) / nworkers : 1;
	nslices = (n + s.chunk - 1) / s.chunk;
	/* the table's rows are gathered to be aligned; JSON (and a table
	 * whose gathering failed) is written by the workers as it comes */
	if (nslices > 0 &&
	    !(table && status_rows(&s, nslices, codes, &rows, &len) == 0) &&
	    pool_run(nslices, nslices, status_slice, &s, codes, true) < 0)
		rc = STATUS_STOPPED;
	for (size_t i = 0; i < nslices; i++)
		if (codes[i] != EXIT_OK)
			rc = STATUS_STOPPED;
	if (table)
		status_print_table(stdout, rows ? rows : (char *)"", len,
				   status_colour(STDOUT_FILENO));
	if (json)
		puts("]");
	fflush(stdout);
	free(rows);
	free(sorted.v);
	return rc;
}

int cmd_check(struct cmdctx *c, const char *name)
{
	struct service svc;
	char *path = NULL;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	if (argv_resolve(svc.argv.v[0], &path) < 0)
		msg_warn(name, "exec %s: %s (start would exit 5)", svc.argv.v[0],
			 strerror(errno));
	free(path);
	msg_info("%s: ok\n", name);
	if (verbosity >= 2) { /* check -v: the effective configuration */
		service_print_config(stdout, &svc, &c->gc);
		fflush(stdout);
	}
	service_free(&svc);
	return EXIT_OK;
}

/* check of several services: each one's own checks, then the graph
 * (DESIGN 4.12): of every service when every is set, else of the named ones
 * and what they reach, reporting their missing requirements and the cycles
 * they are on. */
int cmd_check_set(struct cmdctx *c, const struct strv *names, bool every)
{
	struct order_set set;
	struct order g;
	struct errlist el = {0};
	int rc = EXIT_OK;

	for (size_t i = 0; i < names->n; i++) {
		int r = cmd_check(c, names->v[i]);

		if (r != EXIT_OK && rc == EXIT_OK)
			rc = r;
	}
	if (every) {
		order_set_load(&set, &c->gc, names);
	} else if (order_set_reach(&set, &c->gc, names) < 0) {
		msg_error(NULL, "%s: %s", c->gc.services_dir, strerror(errno));
		return EXIT_NOTCONFIGURED;
	}
	(void)order_build(&g, set.items, set.n, true, &el);
	if (!every) {
		/* the named ones are the first items */
		bool *only = xcalloc(set.n + 1, sizeof(*only));

		for (size_t i = 0; i < names->n; i++)
			only[i] = true;
		errlist_free(&el);
		order_report(&g, set.items, only, &el);
		free(only);
	}
	for (size_t i = 0; i < g.notes.n; i++)
		msg_verbose("%s", g.notes.v[i]);
	if (el.msgs.n)
		rc = EXIT_NOTCONFIGURED;
	print_errors(&el);
	errlist_free(&el);
	order_free(&g);
	order_set_free(&set);
	return rc;
}

int cmd_logs(struct cmdctx *c, const char *name)
{
	struct service svc;
	const char *log;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	log = service_log_path(&svc);
	if (!log && svc.out.kind != OUT_FILE && svc.err.kind != OUT_FILE) {
		/* nothing to print from: say where the output went instead */
		if (svc.out.kind == OUT_SYSLOG || svc.err.kind == OUT_SYSLOG)
			msg_error(NULL,
				  "%s logs to syslog; see the system log (ident %s)",
				  name, name);
		else
			msg_error(NULL, "%s discards its output (stdout = null)", name);
		service_free(&svc);
		return EXIT_FAILED;
	}
	if (log) {
		const char *why;
		int fd = path_open_trusted(log, O_RDONLY, 0, &why);

		if (fd < 0 && errno != ENOENT) {
			/* logs has two outcomes (DESIGN 2): printed, or not */
			rc = EXIT_FAILED;
			msg_error(name, "log %s: %s", log, why ? why : strerror(errno));
			service_free(&svc);
			return rc;
		}
		if (fd >= 0)
			close(fd);
		else
			log = NULL;
	}
	if (!log) {
		log = service_log_path(&svc);
		msg_error(name, "no log file%s%s", log ? " " : "", log ? log : "");
		service_free(&svc);
		return EXIT_FAILED;
	}
	fflush(stdout);
	if ((c->follow ? log_follow(log, c->lines, STDOUT_FILENO)
		       : log_tail(log, c->lines, 0, "", STDOUT_FILENO)) < 0 &&
	    errno != EPIPE) { /* the reader went away (| head): done, quietly */
		msg_error(name, "%s: %s", log,
			  errno == EINVAL ? "not a regular file" : strerror(errno));
		rc = EXIT_FAILED;
	}
	service_free(&svc);
	return rc;
}

struct each {
	struct cmdctx *c;
	action_fn fn; /* for a service the parent could not load */
	const struct strv *names;
	struct order_set *set; /* the services the parent loaded, or NULL */
	enum transition t;
};

static int each_job(size_t i, void *arg)
{
	const struct each *e = arg;

	if (e->set && e->set->loaded[i])
		return transition_loaded(e->c, &e->set->svcs[i], e->t);
	return e->fn(e->c, e->names->v[i]);
}

#define WORKERS_PER_CPU 16
#define WORKERS_MIN 16
#define WORKERS_MAX 256

/* How many services change state at once: most of a start is waiting (for
 * exec, for ready_seconds), so many per CPU. */
static size_t each_workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t w = cpus > 0 ? (size_t)cpus * WORKERS_PER_CPU : WORKERS_MIN;

	return w < WORKERS_MIN ? WORKERS_MIN : w > WORKERS_MAX ? WORKERS_MAX : w;
}

/* stop: the workers report the groups they ended; one /proc pass
 * afterwards finds what is left of all of them */
static void sweep_begin(struct cmdctx *c, int sweep[2])
{
	if (pipe2(sweep, O_CLOEXEC) == 0) {
		(void)fcntl(sweep[1], F_SETPIPE_SZ, 1 << 20);
		c->defer_fd = sweep[1];
	}
}

static void sweep_end(struct cmdctx *c, int sweep[2], size_t n)
{
	struct group_left *groups;
	size_t ngroups = 0;

	if (c->defer_fd < 0)
		return;
	groups = xcalloc(n + 1, sizeof(*groups));
	close(c->defer_fd);
	c->defer_fd = -1;
	while (ngroups < n &&
	       read_full(sweep[0], &groups[ngroups], sizeof(*groups)) ==
		       (ssize_t)sizeof(*groups))
		ngroups++;
	close(sweep[0]);
	stop_groups_rest(groups, ngroups);
	free(groups);
}

/* Runs e's transition on every service of g: start in dependency order,
 * skipping those marked in skip; stop (reverse) once everything that needs
 * a service has been stopped, whatever its result. */
static void run_ordered(struct each *e, const struct order *g, bool reverse,
			const bool *skip, int *codes, size_t *cause)
{
	struct pool_spec *spec = xcalloc(g->n + 1, sizeof(*spec));
	size_t *at = xcalloc(g->n + 1, sizeof(*at)), ndeps = 0;
	struct pool_dep *deps;

	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->nodes[i].ndeps; k++) {
			const struct order_dep *d = &g->nodes[i].deps[k];

			/* a cycle has no reverse order: its members stop together */
			if (reverse && g->nodes[d->to].scc == g->nodes[i].scc)
				continue;
			spec[reverse ? d->to : i].ndeps++;
			ndeps++;
		}
	deps = xcalloc(ndeps + 1, sizeof(*deps));
	for (size_t i = 0, from = 0; i < g->n; i++) {
		spec[i].deps = &deps[from];
		spec[i].skip = skip && skip[i];
		at[i] = from;
		from += spec[i].ndeps;
	}
	for (size_t i = 0; i < g->n; i++)
		for (size_t k = 0; k < g->nodes[i].ndeps; k++) {
			const struct order_dep *d = &g->nodes[i].deps[k];
			size_t job = reverse ? d->to : i;

			if (reverse && g->nodes[d->to].scc == g->nodes[i].scc)
				continue;
			deps[at[job]].job = reverse ? i : d->to;
			deps[at[job]++].hard = !reverse && d->hard;
		}
	if (pool_run_deps(g->n, each_workers(), spec, each_job, e, codes, cause) < 0)
		msg_error(NULL, "wait: %s", strerror(errno));
	free(spec);
	free(at);
	free(deps);
}

/* Says why each service that was not started was not, and sets its code. */
static void report_not_started(const struct order *g, const struct order_item *items,
			       const int *stop_codes, int *codes, const size_t *cause)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct order_node *node = &g->nodes[i];

		if (codes[i] != POOL_SKIPPED)
			continue;
		codes[i] = EXIT_NOTCONFIGURED;
		if (node->block == ORDER_CYCLE)
			msg_error(items[i].name,
				  "not started: it is on a dependency cycle");
		else if (node->block == ORDER_MISSING)
			msg_error(items[i].name,
				  "not started: requires '%s', which is no service",
				  node->missing.v[0]);
		else if (node->block == ORDER_NEEDS)
			msg_error(items[i].name,
				  "not started: dependency %s cannot start",
				  items[node->cause].name);
		else if (cause[i] != POOL_NO_CAUSE) {
			msg_error(items[i].name, "not started: dependency %s failed",
				  items[cause[i]].name);
			codes[i] = EXIT_FAILED;
		} else {
			/* restart: its stop failed and said why */
			codes[i] = stop_codes ? stop_codes[i] : EXIT_FAILED;
		}
	}
}

/* start / stop / restart of several services in dependency order
 * (DESIGN 4.12). The parent loads each service once, for the graph and for
 * the workers. */
static int each_ordered(struct cmdctx *c, action_fn fn, const struct strv *names)
{
	struct each e = {c, NULL, names, NULL, T_START};
	struct order_set set;
	struct order g;
	struct errlist el = {0};
	int *codes = xcalloc(names->n + 1, sizeof(*codes)), *stop_codes = NULL;
	size_t *cause = xcalloc(names->n + 1, sizeof(*cause));
	bool *skip = xcalloc(names->n + 1, sizeof(*skip));
	int rc = EXIT_OK, sweep[2] = {-1, -1};
	bool bad;

	order_set_load(&set, &c->gc, names);
	e.set = &set;
	bad = order_build(&g, set.items, set.n, c->all, &el) < 0;
	print_errors(&el);
	errlist_free(&el);
	for (size_t i = 0; i < g.notes.n; i++)
		msg_verbose("%s", g.notes.v[i]);
	/* run_dir's temporary names, swept once here: the workers inherit it */
	pidfile_sweep_dir(c->gc.run_dir);
	if (fn == cmd_stop || fn == cmd_restart) {
		e.fn = cmd_stop;
		e.t = T_STOP;
		sweep_begin(c, sweep);
		run_ordered(&e, &g, true, NULL, codes, cause);
		sweep_end(c, sweep, names->n);
	}
	if (fn == cmd_start || fn == cmd_restart) {
		if (fn == cmd_restart) {
			stop_codes = codes;
			codes = xcalloc(names->n + 1, sizeof(*codes));
		}
		for (size_t i = 0; i < names->n; i++)
			skip[i] = g.nodes[i].block != ORDER_OK ||
				(stop_codes && stop_codes[i] != EXIT_OK);
		e.fn = cmd_start;
		e.t = T_START;
		run_ordered(&e, &g, false, skip, codes, cause);
		report_not_started(&g, set.items, stop_codes, codes, cause);
	}
	for (size_t i = 0; i < names->n && rc == EXIT_OK; i++)
		rc = codes[i];
	if (bad)
		rc = EXIT_NOTCONFIGURED;
	order_free(&g);
	order_set_free(&set);
	free(codes);
	free(stop_codes);
	free(cause);
	free(skip);
	return rc;
}

/* Runs fn for every name, many at a time: each service has its own lock, so
 * starting a hundred need not take a hundred ready windows. start, stop and
 * restart follow the dependencies; a single name (not --all) is acted on
 * alone. The result is the first failure in name order, else 0. */
int cmd_each(struct cmdctx *c, action_fn fn, const struct strv *names)
{
	struct each e = {c, fn, names, NULL, T_START};
	int *codes, rc = EXIT_OK;

	if (names->n == 1 && !c->all)
		return fn(c, names->v[0]);
	if (fn == cmd_start || fn == cmd_stop || fn == cmd_restart)
		return each_ordered(c, fn, names);
	codes = xcalloc(names->n + 1, sizeof(*codes));
	if (pool_run(names->n, each_workers(), each_job, &e, codes, false) < 0)
		msg_error(NULL, "wait: %s", strerror(errno));
	for (size_t i = 0; i < names->n; i++)
		if (codes[i] != EXIT_OK) {
			rc = codes[i];
			break;
		}
	free(codes);
	return rc;
}

/* path made absolute against the working directory, without resolving
 * links: the name the administrator used is the stable one. */
static char *absolute(const char *path)
{
	char *cwd;
	char *abs;

	if (path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	abs = xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
	free(cwd);
	return abs;
}

static bool same_file(const char *path, const struct stat *self)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == self->st_dev &&
		st.st_ino == self->st_ino;
}

/* The svcctl a script runs: --script-svcctl, else the path this svcctl was
 * invoked by (through PATH for a bare name), made absolute but not resolved:
 * a /usr/sbin/svcctl link outlives the versioned file it points to. Falls
 * back to the running binary when that path no longer names it. */
static char *script_svcctl(const struct cmdctx *c)
{
	struct stat self;
	const char *argv0 = c->argv0 ? c->argv0 : "", *search = getenv("PATH");
	char *found = NULL;

	if (c->script_svcctl)
		return absolute(c->script_svcctl);
	if (stat("/proc/self/exe", &self) < 0)
		return xstrdup("/usr/local/sbin/svcctl");
	if (strchr(argv0, '/')) {
		found = absolute(argv0);
	} else if (*argv0 && search) {
		const char *end;
		for (const char *dir = search; *dir && !found;
		     dir = *end ? end + 1 : end) {
			char *cand;
			end = strchrnul(dir, ':');
			cand = xasprintf("%.*s/%s", (int)(end - dir), dir, argv0);
			if (cand[0] == '/' && same_file(cand, &self))
				found = cand;
			else
				free(cand);
		}
	}
	if (found && !same_file(found, &self)) {
		free(found);
		found = NULL;
	}
	return found ? found : realpath("/proc/self/exe", NULL);
}

static char *render_for(struct cmdctx *c, const struct service *svc)
{
	char *self = script_svcctl(c), *config = NULL;
	char *text = NULL;

	if (c->script_config)
		config = absolute(c->script_config);
	if (self && (config || !c->script_config))
		text = initscript_render(svc, self, config ? config : c->gc.path);
	free(self);
	free(config);
	return text;
}

/* The header rules (the one validator) as the user sees them: exit 6. */
static int check_headers(const struct service *svc)
{
	const char *why;

	if (initscript_validate(svc, &why) == 0)
		return 0;
	msg_error(svc->name, "%s: [install]/description: %s", svc->ini_path, why);
	return EXIT_NOTCONFIGURED;
}

int cmd_initscript(struct cmdctx *c, const char *name)
{
	struct service svc;
	char *text;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	rc = check_headers(&svc);
	if (rc) {
		service_free(&svc);
		return rc;
	}
	text = render_for(c, &svc);
	service_free(&svc);
	if (!text) {
		msg_error(name, "cannot render the init script: %s", strerror(errno));
		return EXIT_FAILED;
	}
	fputs(text, stdout);
	free(text);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_error(name, "standard output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int report(const char *name, struct errlist *el, int err)
{
	for (size_t i = 0; i < el->msgs.n; i++)
		msg_error(name, "%s", el->msgs.v[i]);
	errlist_free(el);
	return err == ELOOP ? EXIT_PERM : errno_exit(err);
}

int cmd_enable(struct cmdctx *c, const char *name)
{
	struct service svc;
	struct errlist el = {0};
	char *text;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	rc = check_headers(&svc);
	text = rc ? NULL : render_for(c, &svc);
	if (!rc && !text) {
		msg_error(name, "cannot render the init script: %s", strerror(errno));
		rc = EXIT_FAILED;
	} else if (!rc && initscript_enable(&c->gc, &svc, text, &el) < 0) {
		rc = report(name, &el, errno);
	} else if (!rc) {
		msg_info("%s: enabled (%s/%s, runlevels %s)\n", name, c->gc.initd_dir,
			 name, svc.runlevels);
	}
	free(text);
	service_free(&svc);
	return rc;
}

int cmd_disable(struct cmdctx *c, const char *name)
{
	struct errlist el = {0};

	if (initscript_disable(&c->gc, name, &el) < 0)
		return report(name, &el, errno);
	msg_info("%s: disabled\n", name);
	return EXIT_OK;
}

int cmd_is_enabled(struct cmdctx *c, const char *name)
{
	bool enabled = initscript_is_enabled(&c->gc, name);

	msg_info("%s\n", enabled ? "enabled" : "disabled");
	return enabled ? EXIT_OK : EXIT_FAILED;
}
