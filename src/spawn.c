/* Starting a service: fork, setsid, fork again, set the program's world up,
 * exec, and learn the outcome synchronously.
 *
 * svcctl ──fork──> middle (setsid) ──fork──> program (setpgid, set-up, exec)
 *
 * The program reports a failed set-up step or exec as {step, errno} over a
 * close-on-exec pipe; EOF on it means exec succeeded. The middle process is
 * the program's parent during the ready window, so it knows the exact exit
 * status of an early death, and reports to svcctl over a second pipe before
 * it exits and leaves the program to init. Nothing stays resident. */
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
};

struct child_error {
	int step;
	int err;
};

enum report_kind { REPORT_FAILED, REPORT_STARTED, REPORT_DIED, REPORT_READY };

struct report {
	int kind;
	int pid;
	int status;
	int step;
	int err;
	double elapsed;
};

static void report_send(int fd, const struct report *r)
{
	/* under PIPE_BUF, so the write is atomic */
	(void)write_full(fd, r, sizeof(*r));
}

static void child_fail(int fd, enum step step)
{
	struct child_error ce = {step, errno};

	(void)write_full(fd, &ce, sizeof(ce));
	_exit(127);
}

/* glibc keeps the first two real-time signals (32, 33) for itself and its
 * sigaction() refuses them, but an ignored one survives exec: some callers
 * (GNU make's children, for one) hand them down ignored. The raw system call
 * resets them; the kernel's struct is laid out like this where it is used. */
static void reset_reserved_signals(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} ksa = {SIG_DFL, 0, NULL, 0};

	for (int sig = 32; sig < SIGRTMIN; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
#endif
}

/* Runs in the program's process, between fork and exec: only
 * async-signal-safe calls, no allocation, leave with _exit(). */
static void child_setup(const struct spawn_plan *plan, int errfd)
{
	const struct service *svc = plan->svc;
	struct sigaction sa;
	sigset_t none;
	int fd;

	if (setpgid(0, 0) < 0)
		child_fail(errfd, STEP_SETPGID);

	/* dispositions and mask come from whoever ran svcctl; an ignored
	 * SIGPIPE or SIGCHLD would otherwise leak into the program */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	reset_reserved_signals();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

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
	/* keep only 0-2 and the error pipe (close-on-exec) at 3 */
	if (errfd != 3) {
		if (dup3(errfd, 3, O_CLOEXEC) < 0)
			child_fail(errfd, STEP_STDOUT);
		errfd = 3;
	}
	if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
		for (fd = 4; fd < 1024; fd++)
			(void)close(fd);

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

/* Waits up to seconds for the child to exit. Returns 1 and its status when
 * it did, 0 when it is still running at the deadline. */
static int wait_child(pid_t pid, double seconds, int *status)
{
	int pidfd = proc_pidfd_open(pid);
	double deadline = now_mono() + seconds;

	for (;;) {
		double left = deadline - now_mono();
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			break;
		if (left <= 0) {
			if (pidfd >= 0)
				close(pidfd);
			return 0;
		}
		if (pidfd >= 0) {
			struct pollfd pfd = {pidfd, POLLIN, 0};
			(void)poll(&pfd, 1, (int)(left * 1000) + 1);
		} else {
			/* kernels before 5.3: no pidfd; a short nap is the best left */
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return 1;
}

static void middle_process(const struct spawn_plan *plan, int reportfd)
{
	struct report r = {0};
	struct child_error ce;
	int errpipe[2], status;
	double started;
	pid_t pid;
	ssize_t n;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (setsid() < 0 || pipe2(errpipe, O_CLOEXEC) < 0) {
		r.kind = REPORT_FAILED;
		r.step = STEP_FORK;
		r.err = errno;
		report_send(reportfd, &r);
		_exit(0);
	}
	pid = fork();
	if (pid < 0) {
		r.kind = REPORT_FAILED;
		r.step = STEP_FORK;
		r.err = errno;
		report_send(reportfd, &r);
		_exit(0);
	}
	if (pid == 0) {
		close(errpipe[0]);
		close(reportfd);
		child_setup(plan, errpipe[1]);
	}
	close(errpipe[1]);
	n = read_full(errpipe[0], &ce, sizeof(ce));
	started = now_mono();
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(ce)) {
		(void)waitpid(pid, &status, 0);
		r.kind = REPORT_FAILED;
		r.step = ce.step;
		r.err = ce.err;
		report_send(reportfd, &r);
		_exit(0);
	}
	r.kind = REPORT_STARTED;
	r.pid = pid;
	report_send(reportfd, &r);
	if (wait_child(pid, plan->svc->ready_seconds, &status)) {
		r.kind = REPORT_DIED;
		r.status = status;
		r.elapsed = now_mono() - started;
	} else {
		r.kind = REPORT_READY;
		r.elapsed = now_mono() - started;
	}
	report_send(reportfd, &r);
	_exit(0);
}

/* Starts the program and returns when the outcome is known. on_started is
 * called as soon as exec succeeded, so the pidfile exists during the ready
 * window; a nonzero return from it kills the program and fails the start. */
int spawn_service(const struct spawn_plan *plan, struct spawn_result *res,
		  int (*on_started)(pid_t pid, void *arg), void *arg)
{
	int reportfd[2];
	struct report r;
	pid_t middle;
	ssize_t n;
	bool started = false;

	memset(res, 0, sizeof(*res));
	if (pipe2(reportfd, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	middle = fork();
	if (middle < 0) {
		int saved = errno;
		close(reportfd[0]);
		close(reportfd[1]);
		errno = saved;
		return -1;
	}
	if (middle == 0) {
		close(reportfd[0]);
		middle_process(plan, reportfd[1]);
	}
	close(reportfd[1]);
	while ((n = read_full(reportfd[0], &r, sizeof(r))) == (ssize_t)sizeof(r)) {
		if (r.kind == REPORT_FAILED) {
			res->exec_failed = r.step == STEP_EXEC;
			res->err = r.err;
			snprintf(res->step, sizeof(res->step), "%s",
				 r.step >= 0 && r.step <= STEP_FORK ? step_names[r.step]
								    : "start");
			break;
		}
		if (r.kind == REPORT_STARTED) {
			res->pid = r.pid;
			started = true;
			if (on_started && on_started(r.pid, arg) < 0) {
				res->err = errno;
				snprintf(res->step, sizeof(res->step), "write pidfile");
				(void)kill(-r.pid, SIGKILL);
				(void)kill(r.pid, SIGKILL);
				break;
			}
			continue;
		}
		res->elapsed = r.elapsed;
		if (r.kind == REPORT_DIED) {
			res->died = true;
			res->exit_status = r.status;
		}
		break;
	}
	close(reportfd[0]);
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r) && !res->step[0]) {
		/* the middle process vanished without a verdict */
		snprintf(res->step, sizeof(res->step), "start");
		res->err = EPIPE;
		if (started) {
			(void)kill(-res->pid, SIGKILL);
			(void)kill(res->pid, SIGKILL);
		}
	}
	return res->step[0] ? -1 : 0;
}

static int env_set(struct strv *env, const char *kv)
{
	size_t keylen = strcspn(kv, "=");

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], kv, keylen) == 0 && env->v[i][keylen] == '=') {
			free(env->v[i]);
			env->v[i] = xstrdup(kv);
			return 0;
		}
	return strv_push(env, kv);
}

static bool env_name_valid(const char *s, size_t len)
{
	if (len == 0 ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* The lines of an environment_file (len bytes of text, which it may change):
 * KEY=VALUE, # comments, an optional "export ", one pair of matching quotes
 * around the value removed. A NUL byte is an error on its line, not the end
 * of the file. */
int env_file_parse(char *text, size_t len, const char *file, struct strv *env,
		   struct errlist *el)
{
	char *p = text, *end = text + len;
	int lineno = 0, rc = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p, *eq, *val;
		size_t vlen, linelen = (size_t)((nl ? nl : end) - p);

		p += linelen + (nl ? 1 : 0);
		lineno++;
		if (memchr(line, '\0', linelen)) {
			errlist_add(el, "%s:%d: NUL byte in line", file, lineno);
			rc = -1;
			continue;
		}
		line[linelen] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		eq = strchr(line, '=');
		if (!eq || !env_name_valid(line, (size_t)(eq - line))) {
			errlist_add(el, "%s:%d: expected KEY=VALUE", file, lineno);
			rc = -1;
			continue;
		}
		val = eq + 1;
		vlen = strlen(val);
		while (vlen > 0 && (val[vlen - 1] == '\r' || val[vlen - 1] == ' '))
			val[--vlen] = '\0';
		if (vlen >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[vlen - 1] == val[0]) {
			val[vlen - 1] = '\0';
			memmove(val, val + 1, vlen - 1);
		}
		*eq = '\0';
		{
			char *kv = xasprintf("%s=%s", line, val);
			env_set(env, kv);
			free(kv);
		}
	}
	return rc;
}

static int read_environment_file(const struct service *svc, struct strv *env,
				 struct errlist *el)
{
	const char *why = NULL;
	struct stat st = {0};
	char *text;
	ssize_t r;
	int fd, rc;

	fd = path_open_trusted(svc->environment_file, O_RDONLY, 0, &why);
	if (fd < 0) {
		if (errno == ENOENT && svc->environment_file_optional)
			return 0;
		errlist_add(el, "%s: %s", svc->environment_file,
			    why ? why : strerror(errno));
		return -1;
	}
	/* as root it feeds a program's environment (LD_PRELOAD...): same rule as
	 * the config files, checked on the descriptor that is then read, so a
	 * name swapped after the check cannot feed in another file */
	if (fstat(fd, &st) < 0 || st.st_size > (1 << 20)) {
		errlist_add(el, "%s: %s", svc->environment_file,
			    st.st_size > (1 << 20) ? strerror(EFBIG) : strerror(errno));
		close(fd);
		return -1;
	}
	if (file_trusted(svc->environment_file, &st, el) < 0) {
		close(fd);
		return -1;
	}
	text = xcalloc(1, (size_t)st.st_size + 1);
	r = read_full(fd, text, (size_t)st.st_size);
	close(fd);
	if (r < 0) {
		errlist_add(el, "%s: %s", svc->environment_file, strerror(errno));
		free(text);
		return -1;
	}
	rc = env_file_parse(text, (size_t)r, svc->environment_file, env, el);
	free(text);
	return rc;
}

/* The program's whole environment: nothing from the caller's shell except
 * LANG, so a start from a terminal and one from boot behave the same. */
int build_environment(const struct service *svc, struct strv *env, struct errlist *el)
{
	struct passwd *pw = getpwuid(svc->uid);
	const char *lang = getenv("LANG");

	strv_push(env, "PATH=" SVCCTL_PATH);
	if (lang && *lang)
		strv_push_owned(env, xasprintf("LANG=%s", lang));
	if (pw) {
		strv_push_owned(env, xasprintf("HOME=%s", pw->pw_dir));
		strv_push_owned(env, xasprintf("USER=%s", pw->pw_name));
		strv_push_owned(env, xasprintf("LOGNAME=%s", pw->pw_name));
		strv_push_owned(env,
				xasprintf("SHELL=%s",
					  pw->pw_shell && *pw->pw_shell ? pw->pw_shell
									: "/bin/sh"));
	}
	if (svc->environment_file && read_environment_file(svc, env, el) < 0)
		return -1;
	for (size_t i = 0; i < svc->environment.n; i++)
		env_set(env, svc->environment.v[i]);
	return 0;
}
