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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#define FAILURE_LOG_LINES 10
#define STATUS_LOG_LINES 5
#define PARALLEL_JOBS 32

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

static const char *service_log_path(const struct service *svc)
{
	if (svc->out.kind == OUT_FILE)
		return svc->out.path ? svc->out.path : svc->log_path;
	if (svc->err.kind == OUT_FILE)
		return svc->err.path;
	return NULL;
}

static int open_output(const struct cmdctx *c, const struct service *svc,
		       const struct output *o, int *fd)
{
	const char *path, *why = NULL;

	if (o->kind == OUT_NULL) {
		*fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		return *fd < 0 ? -1 : 0;
	}
	path = o->path ? o->path : svc->log_path;
	if (!o->path) {
		int dirfd = path_mkdir_trusted(c->gc.log_dir, 0755, &why);

		if (dirfd < 0) {
			msg_error(svc->name, "log_dir %s: %s", c->gc.log_dir,
				  why ? why : strerror(errno));
			return -1;
		}
		close(dirfd);
	}
	/* root's 0640 file, even in a directory the service's user owns; a
	 * FIFO there would block the start with the lock held */
	*fd = path_open_trusted(path, O_WRONLY | O_APPEND | O_CREAT, 0640, &why);
	if (*fd < 0) {
		int saved = errno;

		msg_error(svc->name, "log %s: %s", path, why ? why : strerror(errno));
		errno = saved;
		return -1;
	}
	return 0;
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
	st.pid = pid;
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

/* "123 (sleep), 456 (sh)" for the leftovers identify() found */
static void format_leftovers(const struct identity *id, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < id->nleft && i < IDENT_LEFT_MAX && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%d (%s)", i ? ", " : "",
				 (int)id->left[i].pid, id->left[i].comm);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (id->nleft > IDENT_LEFT_MAX && used < len)
		snprintf(buf + used, len - used, ", ...");
}

static int prepare_ids(const struct service *svc, struct spawn_plan *plan, int *ngroups)
{
	plan->change_ids = false;
	if (!svc->set_user && !svc->set_group)
		return 0;
	if (geteuid() != 0) {
		if ((svc->set_user && svc->uid != geteuid()) ||
		    (svc->set_group && svc->gid != getegid())) {
			msg_error(svc->name, "user=/group= needs root to switch to %s",
				  svc->user ? svc->user : svc->group);
			return EXIT_PERM;
		}
		return 0;
	}
	plan->change_ids = true;
	*ngroups = 64;
	plan->groups = xcalloc((size_t)*ngroups, sizeof(gid_t));
	if (svc->set_user) {
		if (getgrouplist(svc->user, svc->gid, plan->groups, ngroups) < 0) {
			free(plan->groups);
			plan->groups = xcalloc((size_t)*ngroups, sizeof(gid_t));
			(void)getgrouplist(svc->user, svc->gid, plan->groups, ngroups);
		}
	} else {
		plan->groups[0] = svc->gid;
		*ngroups = 1;
	}
	plan->ngroups = (size_t)*ngroups;
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
			log_tail(log, FAILURE_LOG_LINES, "    ", STDERR_FILENO);
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
		log_tail(log, FAILURE_LOG_LINES, "    ", STDERR_FILENO);
	return EXIT_FAILED;
}

static int start_locked(struct cmdctx *c, struct service *svc)
{
	struct identity id;
	struct spawn_plan plan = {.out_fd = -1, .err_fd = -1, .dir_fd = -1};
	struct spawn_result res;
	struct strv env = {0};
	struct errlist el = {0};
	struct started st;
	const char *unsupported, *why = NULL;
	char *path = NULL;
	int ngroups = 0, rc;

	identify(svc, &id);
	switch (id.ident) {
	case IDENT_RUNNING:
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
		msg_verbose("%s: removing stale pidfile (%s)", svc->name, id.why);
		forget_pid(svc);
		break;
	case IDENT_NONE: break;
	}
	unsupported = service_unsupported(svc);
	if (unsupported) {
		msg_error(svc->name, "%s is not supported yet", unsupported);
		return EXIT_UNIMPLEMENTED;
	}
	rc = prepare_ids(svc, &plan, &ngroups);
	if (rc)
		return rc;
	if (argv_resolve(svc->argv.v[0], &path) < 0) {
		msg_error(svc->name, "exec %s: %s", svc->argv.v[0], strerror(errno));
		rc = errno == EINVAL ? EXIT_NOTCONFIGURED : EXIT_NOTINSTALLED;
		goto out;
	}
	if (build_environment(svc, &env, &el) < 0) {
		print_errors(&el);
		rc = EXIT_NOTCONFIGURED;
		goto out;
	}
	plan.svc = svc;
	plan.path = path;
	plan.envp = env.v;
	plan.set_nice = geteuid() == 0 || svc->nice != 0;
	plan.out_fd = plan.err_fd = -1;
	/* root's chdir happens before the switch to the service's user */
	plan.dir_fd = path_open_trusted(svc->directory, O_RDONLY | O_DIRECTORY, 0, &why);
	if (plan.dir_fd < 0) {
		rc = errno_exit(errno);
		msg_error(svc->name, "chdir %s: %s", svc->directory,
			  why ? why : strerror(errno));
		goto out;
	}
	if (open_output(c, svc, &svc->out, &plan.out_fd) < 0) {
		rc = errno_exit(errno);
		goto out;
	}
	if (svc->err.kind == OUT_STDOUT)
		plan.err_fd = plan.out_fd;
	else if (open_output(c, svc, &svc->err, &plan.err_fd) < 0) {
		rc = errno_exit(errno);
		goto out;
	}
	st.svc = svc;
	st.path = path;
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
	if (plan.dir_fd >= 0)
		close(plan.dir_fd);
	if (plan.err_fd >= 0 && plan.err_fd != plan.out_fd)
		close(plan.err_fd);
	if (plan.out_fd >= 0)
		close(plan.out_fd);
	free(plan.groups);
	free(path);
	strv_free(&env);
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
	if (id.ident == IDENT_NONE) {
		(void)pidfile_remove(svc->state_path);
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
	forget_pid(svc);
	msg_info("%s: stopped\n", svc->name);
	return EXIT_OK;
}

enum transition { T_START, T_STOP, T_RESTART, T_TRY_RESTART };

static int transition(struct cmdctx *c, const char *name, enum transition t)
{
	struct service svc;
	bool was_running;
	int rc, lockfd;

	rc = load(c, name, &svc, EXIT_NOTCONFIGURED);
	if (rc)
		return rc;
	rc = lock_service(c, &svc, &lockfd);
	if (rc) {
		service_free(&svc);
		return rc;
	}
	switch (t) {
	case T_START: rc = start_locked(c, &svc); break;
	case T_STOP: rc = stop_locked(c, &svc, &was_running); break;
	case T_RESTART:
	case T_TRY_RESTART:
		if (t == T_TRY_RESTART) {
			struct identity id;
			identify(&svc, &id);
			if (id.ident != IDENT_RUNNING) {
				msg_info("%s: not running, not restarted\n", svc.name);
				rc = EXIT_OK;
				break;
			}
		}
		rc = stop_locked(c, &svc, &was_running);
		if (rc == EXIT_OK)
			rc = start_locked(c, &svc);
		break;
	}
	close(lockfd);
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
	if (id.ident != IDENT_RUNNING) {
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

static const char *state_word(enum ident ident)
{
	switch (ident) {
	case IDENT_RUNNING: return "running";
	case IDENT_DEAD:
	case IDENT_LEFTOVER: return "dead";
	case IDENT_STALE: return "stale";
	case IDENT_UNTRUSTED: return "unknown";
	case IDENT_NONE: break;
	}
	return "stopped";
}

static int status_code(enum ident ident)
{
	switch (ident) {
	case IDENT_RUNNING: return STATUS_RUNNING;
	case IDENT_DEAD:
	case IDENT_LEFTOVER:
	case IDENT_STALE: return STATUS_DEAD_PIDFILE;
	case IDENT_UNTRUSTED: return STATUS_UNKNOWN;
	case IDENT_NONE: break;
	}
	return STATUS_STOPPED;
}

/* Always valid UTF-8 JSON: control characters escaped, each byte that is
 * not part of well-formed UTF-8 written as \ufffd. */
static void json_string(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0, i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t seq = utf8_seq_len(s + i, n - i);

		if (seq == 0)
			fputs("\\ufffd", f);
		else if (seq > 1)
			fwrite(s + i, 1, seq, f);
		else if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
		i += seq ? seq : 1;
	}
	fputc('"', f);
}

struct facts {
	struct proc_info pi;
	bool have_pi;
	double uptime;
	char cmdline[1024];
};

/* What status shows beyond the identity; the command line only for the
 * detailed forms, since a list of 1000 services has no column for it. */
static void gather(const struct identity *id, struct facts *f, bool cmdline)
{
	memset(f, 0, sizeof(*f));
	if (id->ident != IDENT_RUNNING)
		return;
	f->pi = id->pi;
	f->have_pi = id->have_pi;
	if (f->have_pi)
		f->uptime = proc_uptime_of(f->pi.starttime);
	if (cmdline) {
		struct strv argv = {0};
		if (proc_argv(id->pid, &argv) == 0) {
			char *line = argv_join(argv.v, argv.n);
			snprintf(f->cmdline, sizeof(f->cmdline), "%s", line);
			free(line);
		}
		strv_free(&argv);
	}
}

static void print_json(const struct service *svc, const struct identity *id,
		       const struct facts *f)
{
	const char *log = service_log_path(svc);
	long page = sysconf(_SC_PAGESIZE);

	fputs("{\"name\":", stdout);
	json_string(stdout, svc->name);
	fputs(",\"description\":", stdout);
	json_string(stdout, svc->description);
	fputs(",\"state\":", stdout);
	json_string(stdout, state_word(id->ident));
	printf(",\"pid\":%d", id->ident == IDENT_NONE ? 0 : (int)id->pid);
	printf(",\"since\":%lld",
	       id->ident == IDENT_RUNNING && id->have_state ? id->st.started_at : 0LL);
	printf(",\"uptime_seconds\":%.0f", f->uptime);
	fputs(",\"process\":", stdout);
	json_string(stdout, f->have_pi ? f->pi.comm : "");
	fputs(",\"command\":", stdout);
	json_string(stdout, f->cmdline[0] ? f->cmdline : svc->exec_line);
	printf(",\"rss_bytes\":%lld,\"tasks\":%ld",
	       f->have_pi ? (long long)f->pi.rss_pages * page : 0LL,
	       f->have_pi ? f->pi.threads : 0L);
	fputs(",\"pidfile\":", stdout);
	json_string(stdout, svc->pidfile);
	printf(",\"verified\":%s", id->ident == IDENT_RUNNING ? "true" : "false");
	fputs(",\"verified_by\":", stdout);
	json_string(stdout, id->ident == IDENT_RUNNING ? id->how : id->why);
	printf(",\"leftovers\":%zu", id->nleft);
	printf(",\"restarts\":%d", id->have_state ? id->st.restarts : 0);
	fputs(",\"last_exit\":", stdout);
	json_string(stdout,
		    id->have_state && id->st.last_exit[0] ? id->st.last_exit : "-");
	fputs(",\"log\":", stdout);
	json_string(stdout, log ? log : "");
	fputs("}\n", stdout);
}

static void print_block(const struct service *svc, const struct identity *id,
			const struct facts *f)
{
	const char *log = service_log_path(svc);
	char dur[32], when[64];
	/* what the service's files and processes say reaches a terminal */
	char *desc = text_visible_dup(svc->description),
	     *cmd = text_visible_dup(f->cmdline[0] ? f->cmdline : svc->exec_line),
	     *comm = text_visible_dup(f->have_pi ? f->pi.comm : "?"),
	     *why = text_visible_dup(id->why);

	printf("%s - %s\n", svc->name, desc);
	switch (id->ident) {
	case IDENT_RUNNING:
		format_duration(f->uptime, dur, sizeof(dur));
		if (id->have_state) {
			time_t t = (time_t)id->st.started_at;
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z",
				 localtime(&t));
			printf("    State: running since %s (up %s)\n", when, dur);
		} else {
			printf("    State: running (up %s)\n", dur);
		}
		printf("      PID: %d (%s)\n", (int)id->pid, comm);
		printf("  Command: %s\n", cmd);
		if (f->have_pi)
			printf("   Memory: %.1f MiB RSS, %ld task%s\n",
			       (double)f->pi.rss_pages * (double)sysconf(_SC_PAGESIZE) /
				       1048576.0,
			       f->pi.threads, f->pi.threads == 1 ? "" : "s");
		printf("  Pidfile: %s (verified: %s)\n", svc->pidfile, id->how);
		break;
	case IDENT_NONE:
		printf("    State: not running\n");
		printf("  Command: %s\n", cmd);
		break;
	case IDENT_LEFTOVER: {
		char list[256];

		char *vis;

		format_leftovers(id, list, sizeof(list));
		vis = text_visible_dup(list); /* process names are anyone's */
		printf("    State: dead: pid %d is gone, %zu process%s of its group "
		       "still run%s: %s\n",
		       (int)id->pid, id->nleft, id->nleft == 1 ? "" : "es",
		       id->nleft == 1 ? "s" : "", vis);
		free(vis);
		printf("  Command: %s\n", cmd);
		break;
	}
	default:
		printf("    State: %s: pid %d: %s\n",
		       id->ident == IDENT_DEAD            ? "dead, pidfile remains"
			       : id->ident == IDENT_STALE ? "not running, stale pidfile"
							  : "unknown",
		       (int)id->pid, why);
		printf("  Command: %s\n", cmd);
		printf("  Pidfile: %s (not verified)\n", svc->pidfile);
		break;
	}
	printf(" Restarts: %d, last exit: %s\n", id->have_state ? id->st.restarts : 0,
	       id->have_state && id->st.last_exit[0] ? id->st.last_exit : "-");
	if (log) {
		printf("      Log: %s\n", log);
		fflush(stdout);
		log_tail(log, STATUS_LOG_LINES, "    ", STDOUT_FILENO);
	}
	free(desc);
	free(cmd);
	free(comm);
	free(why);
}

int cmd_status(struct cmdctx *c, const char *name)
{
	struct service svc;
	struct identity id;
	struct facts f;
	int rc = load(c, name, &svc, STATUS_UNKNOWN);

	if (rc)
		return rc;
	if (check_run_dir(c, name, false)) {
		service_free(&svc);
		return STATUS_UNKNOWN;
	}
	if (identify(&svc, &id) < 0) {
		msg_error(name, "%s: %s", svc.pidfile, id.why);
		service_free(&svc);
		return STATUS_UNKNOWN;
	}
	rc = status_code(id.ident);
	if (verbosity > 0 && c->brief) {
		/* the one line LSB tools and Ansible read: never "stop" when running */
		if (id.ident == IDENT_RUNNING)
			printf("%s is running (pid %d)\n", name, (int)id.pid);
		else if (id.ident == IDENT_NONE)
			printf("%s is not running\n", name);
		else if (id.ident == IDENT_UNTRUSTED) {
			char *why = text_visible_dup(id.why);
			printf("%s status is unknown: %s\n", name, why);
			free(why);
		} else if (id.ident == IDENT_LEFTOVER)
			printf("%s is dead but %zu process%s of its group still run%s\n",
			       name, id.nleft, id.nleft == 1 ? "" : "es",
			       id.nleft == 1 ? "s" : "");
		else
			printf("%s is dead but pid file exists\n", name);
	} else if (verbosity > 0) {
		gather(&id, &f, true);
		if (c->json)
			print_json(&svc, &id, &f);
		else
			print_block(&svc, &id, &f);
		fflush(stdout);
	}
	service_free(&svc);
	return rc;
}

/* The status lines of names[from, to); 0 when all of them run, else 3. */
static int status_lines(struct cmdctx *c, const struct strv *names, size_t from,
			size_t to, int width)
{
	int rc = EXIT_OK;

	for (size_t i = from; i < to; i++) {
		struct errlist el = {0};
		struct service svc;
		struct identity id;
		struct facts f;
		char dur[32] = "-", pid[16] = "-";

		if (service_load(&svc, &c->gc, names->v[i], &el) < 0) {
			char *vname = text_visible_dup(names->v[i]),
			     *why = text_visible_dup(el.msgs.n ? el.msgs.v[0] : "");
			if (verbosity > 0 && !c->json) {
				printf("%-*s  %-8s %7s  %-12s %s\n", width, vname,
				       "invalid", "-", "-", why);
			} else if (c->json && verbosity > 0) {
				fputs("{\"name\":", stdout);
				json_string(stdout, names->v[i]);
				fputs(",\"state\":\"invalid\"}\n", stdout);
			}
			free(vname);
			free(why);
			errlist_free(&el);
			service_free(&svc);
			rc = STATUS_STOPPED;
			continue;
		}
		errlist_free(&el);
		identify(&svc, &id);
		if (id.ident != IDENT_RUNNING)
			rc = STATUS_STOPPED;
		if (verbosity > 0) {
			gather(&id, &f, c->json);
			if (c->json) {
				print_json(&svc, &id, &f);
			} else {
				if (id.ident == IDENT_RUNNING)
					format_duration(f.uptime, dur, sizeof(dur));
				if (id.ident != IDENT_NONE)
					snprintf(pid, sizeof(pid), "%d", (int)id.pid);
				char *desc = text_visible_dup(svc.description);
				printf("%-*s  %-8s %7s  %-12s %s\n", width, svc.name,
				       state_word(id.ident), pid, dur, desc);
				free(desc);
			}
		}
		service_free(&svc);
	}
	return rc;
}

#define STATUS_PARALLEL_MIN 256 /* below this, a fork costs more than it saves */
#define STATUS_WORKERS_MAX 4

/* One line per service: NAME STATE PID UPTIME DESCRIPTION. 0 when every
 * service runs, 3 otherwise. A long list is split into contiguous slices
 * read by one process per CPU (the work is mostly system calls on /proc and
 * run_dir); their output is copied in name order. */
int cmd_status_list(struct cmdctx *c, const struct strv *names)
{
	struct {
		pid_t pid;
		int fd;
	} workers[STATUS_WORKERS_MAX] = {{0, -1}};
	size_t n = names->n, nworkers = 1, chunk;
	int width = 4, rc;

	if (check_run_dir(c, NULL, false))
		return STATUS_UNKNOWN;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(names->v[i]) > width)
			width = (int)strlen(names->v[i]);
	if (verbosity > 0 && !c->json)
		printf("%-*s  %-8s %7s  %-12s %s\n", width, "NAME", "STATE", "PID",
		       "UPTIME", "DESCRIPTION");
	if (n >= STATUS_PARALLEL_MIN) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = cpus < 1                 ? 1
			: cpus > STATUS_WORKERS_MAX ? STATUS_WORKERS_MAX
						    : (size_t)cpus;
	}
	chunk = (n + nworkers - 1) / nworkers;
	fflush(stdout);
	for (size_t w = 1; w < nworkers; w++) {
		int fds[2];
		size_t from = w * chunk, to = from + chunk < n ? from + chunk : n;

		workers[w].pid = -1;
		if (from >= n || pipe2(fds, O_CLOEXEC) < 0)
			continue;
		/* room for the whole slice, so a worker rarely waits for us */
		(void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
		workers[w].pid = fork();
		if (workers[w].pid == 0) {
			close(fds[0]);
			if (dup2(fds[1], STDOUT_FILENO) < 0)
				_exit(STATUS_UNKNOWN);
			rc = status_lines(c, names, from, to, width);
			fflush(stdout);
			_exit(rc);
		}
		close(fds[1]);
		if (workers[w].pid < 0)
			close(fds[0]);
		else
			workers[w].fd = fds[0];
	}
	rc = status_lines(c, names, 0, chunk < n ? chunk : n, width);
	fflush(stdout);
	for (size_t w = 1; w < nworkers; w++) {
		size_t from = w * chunk, to = from + chunk < n ? from + chunk : n;
		char buf[65536];
		ssize_t r;
		int status;

		if (from >= n)
			continue;
		if (workers[w].pid < 0) {
			/* the fork failed: do that slice here */
			if (status_lines(c, names, from, to, width) != EXIT_OK)
				rc = STATUS_STOPPED;
			fflush(stdout);
			continue;
		}
		while ((r = read(workers[w].fd, buf, sizeof(buf))) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			(void)write_full(STDOUT_FILENO, buf, (size_t)r);
		}
		close(workers[w].fd);
		while (waitpid(workers[w].pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_OK)
			rc = STATUS_STOPPED;
	}
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
	service_free(&svc);
	return EXIT_OK;
}

int cmd_logs(struct cmdctx *c, const char *name)
{
	struct service svc;
	const char *log;
	int rc = load(c, name, &svc, EXIT_NOTCONFIGURED);

	if (rc)
		return rc;
	log = service_log_path(&svc);
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
		       : log_tail(log, c->lines, "", STDOUT_FILENO)) < 0) {
		msg_error(name, "%s: %s", log,
			  errno == EINVAL ? "not a regular file" : strerror(errno));
		rc = EXIT_FAILED;
	}
	service_free(&svc);
	return rc;
}

/* Runs fn for every name, up to PARALLEL_JOBS at a time: each service has
 * its own lock, so starting a hundred need not take a hundred ready windows.
 * The result is the first failure in name order, else 0. */
int cmd_each(struct cmdctx *c, action_fn fn, const struct strv *names)
{
	pid_t *pids;
	int *codes, running = 0, rc = EXIT_OK, sweep[2] = {-1, -1};
	size_t next = 0;

	if (names->n == 1)
		return fn(c, names->v[0]);
	pids = xcalloc(names->n, sizeof(*pids));
	codes = xcalloc(names->n, sizeof(*codes));
	if (fn == cmd_stop && pipe2(sweep, O_CLOEXEC) == 0) {
		/* the workers report the groups they ended; one /proc pass
		 * afterwards finds what is left of all of them */
		(void)fcntl(sweep[1], F_SETPIPE_SZ, 1 << 20);
		c->defer_fd = sweep[1];
	}
	fflush(NULL);
	while (next < names->n || running > 0) {
		int status;
		pid_t done;

		while (next < names->n && running < PARALLEL_JOBS) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(fn(c, names->v[next]));
			if (pid < 0) {
				codes[next++] = EXIT_FAILED;
				msg_error(NULL, "fork: %s", strerror(errno));
				continue;
			}
			pids[next++] = pid;
			running++;
		}
		if (running == 0)
			break;
		done = wait(&status);
		if (done < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < names->n; i++)
			if (pids[i] == done) {
				codes[i] = WIFEXITED(status) ? WEXITSTATUS(status)
							     : EXIT_FAILED;
				running--;
			}
	}
	if (c->defer_fd >= 0) {
		struct group_left *groups = xcalloc(names->n, sizeof(*groups));
		size_t ngroups = 0;

		close(c->defer_fd);
		c->defer_fd = -1;
		while (ngroups < names->n &&
		       read_full(sweep[0], &groups[ngroups], sizeof(*groups)) ==
			       (ssize_t)sizeof(*groups))
			ngroups++;
		close(sweep[0]);
		stop_groups_rest(groups, ngroups);
		free(groups);
	}
	for (size_t i = 0; i < names->n; i++)
		if (codes[i] != EXIT_OK) {
			rc = codes[i];
			break;
		}
	free(pids);
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
