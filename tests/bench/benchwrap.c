/*
 * benchwrap - run a tool's command and time it to the point where its effect is
 * observable, so that every tool is timed to the same end point.
 *
 *   benchwrap [-n RUNS -j JSON [-p PREPARE]] [-l LOG] [-e EXE] MODE PIDSPEC...
 *             -- CMD [ARG...]
 *   benchwrap rss -- CMD [ARG...]
 *
 * PIDSPEC is a pidfile, "children:PIDFILE" for the first child of the process
 * that PIDFILE names (a supervisor's program), or "-" for nothing to check.
 *
 * MODE start:   run CMD, then wait until the first PIDSPEC names a live process
 *               (not a zombie) whose /proc/PID/exe is EXE when -e is given: the
 *               tool has returned and its pidfile is verified.
 * MODE stop:    note the PIDs, open a pidfd on each, run CMD, then wait until
 *               every one of them has exited.  A zombie counts as exited: this
 *               is the lenient end point, reached as soon as the program is
 *               dead, whoever reaps it and whenever.
 * MODE restart: both: the old PIDs have exited and the first PIDSPEC names a
 *               new live process.
 *
 * Without -n, CMD runs once.  With -n RUNS, PREPARE (untimed) and CMD run RUNS
 * times and the times, from just before CMD is forked to the end point, go to
 * JSON in hyperfine's format (results[0].times, .exit_codes).  Timing here rather
 * than under hyperfine keeps benchwrap's own exec out of the figures.
 *
 * rss: run CMD with its output to /dev/null and print its peak RSS in kB (from
 * wait4; the floor is benchwrap's own, about 1 MB: the kernel carries the
 * high-water mark across exec).
 *
 * Exit status: CMD's when it failed, 124 when the end point was not reached in
 * BENCHWRAP_TIMEOUT seconds (default 20), 3 when stop or restart found no
 * process to watch (CMD is run all the same), else 0; with -n, that of the last
 * run, and the runs end at the first 124.  With -l LOG one line per run is appended to LOG: the command's exit
 * status, whether the end point was already reached when CMD returned, and how
 * long it was reached after that.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 16

enum mode { MODE_START, MODE_STOP, MODE_RESTART };

struct plan {
	enum mode mode;
	const char *exe; /* -e: what the new process must be running */
	const char *log; /* -l */
	char **specs;
	int nspecs;
	char **cmd;
	double timeout;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t read_pidspec(const char *spec)
{
	static const char prefix[] = "children:";
	char buf[256];
	ssize_t n;
	long pid;
	int fd;

	if (strcmp(spec, "-") == 0)
		return -1;
	if (strncmp(spec, prefix, sizeof prefix - 1) == 0) {
		char children[64];

		pid = read_pidspec(spec + sizeof prefix - 1);
		if (pid <= 0)
			return -1;
		snprintf(children, sizeof children, "/proc/%ld/task/%ld/children", pid,
			 pid);
		return read_pidspec(children);
	}
	fd = open(spec, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : -1;
}

/* Alive and not a zombie, from /proc/PID/stat. */
static int pid_is_live(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	if (paren == NULL || paren[1] == '\0' || paren[2] == '\0')
		return 0;
	return paren[2] != 'Z' && paren[2] != 'X';
}

/* No EXE given, or /proc/PID/exe names it. */
static int pid_runs(pid_t pid, const char *exe)
{
	char path[64], target[4096];
	ssize_t n;

	if (exe == NULL)
		return 1;
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, exe) == 0;
}

static int live_now(const char *spec, pid_t old_pid, const char *exe)
{
	pid_t pid = read_pidspec(spec);

	return pid > 0 && pid != old_pid && pid_is_live(pid) && pid_runs(pid, exe);
}

/* Fork and exec argv; with quiet, its output goes to /dev/null. */
static int run(char **argv, int quiet, struct rusage *ru)
{
	pid_t child;
	int status;

	child = fork();
	if (child == -1) {
		perror("benchwrap: fork");
		return 125;
	}
	if (child == 0) {
		if (quiet) {
			int null = open("/dev/null", O_RDWR);

			if (null != -1) {
				dup2(null, STDOUT_FILENO);
				dup2(null, STDERR_FILENO);
			}
		}
		execvp(argv[0], argv);
		fprintf(stderr, "benchwrap: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(child, &status, 0, ru) == -1)
		if (errno != EINTR)
			return 125;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int all_exited_now(const int *fds, int nfds)
{
	struct pollfd pfd;
	int i;

	for (i = 0; i < nfds; i++) {
		pfd.fd = fds[i];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1)
			return 0;
	}
	return 1;
}

/* Wait until every pidfd is readable (its process has exited). */
static int wait_exited(const int *fds, int nfds, double deadline)
{
	struct pollfd pfd;
	int i, ms;

	for (i = 0; i < nfds; i++) {
		pfd.fd = fds[i];
		pfd.events = POLLIN;
		for (;;) {
			ms = (int)((deadline - now()) * 1000) + 1;
			if (ms <= 0)
				return -1;
			if (poll(&pfd, 1, ms) == 1)
				break;
			if (now() > deadline)
				return -1;
		}
	}
	return 0;
}

/* Wait until spec names a live process other than old_pid. */
static int wait_live(const char *spec, pid_t old_pid, const char *exe, double deadline)
{
	const struct timespec tick = {0, 100000};

	for (;;) {
		if (live_now(spec, old_pid, exe))
			return 0;
		if (now() > deadline)
			return -1;
		nanosleep(&tick, NULL);
	}
}

/* One timed call of the plan; *elapsed is seconds from fork to end point. */
static int one(const struct plan *p, double *elapsed)
{
	int fds[MAX_PIDS], nfds = 0, i, rc, reached = 1, failed = 0, missing = 0;
	pid_t old_pid = -1;
	double t0, t_return, deadline;

	if (p->mode != MODE_START)
		for (i = 0; i < p->nspecs; i++) {
			pid_t pid;
			int fd;

			if (strcmp(p->specs[i], "-") == 0)
				continue;
			pid = read_pidspec(p->specs[i]);
			if (i == 0)
				old_pid = pid;
			fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
			if (fd >= 0)
				fds[nfds++] = fd;
			else
				missing = 1;
		}

	t0 = now();
	rc = run(p->cmd, 0, NULL);
	t_return = now();
	deadline = t_return + p->timeout;
	if (rc == 0 && p->mode != MODE_START) {
		reached = all_exited_now(fds, nfds);
		if (wait_exited(fds, nfds, deadline) == -1)
			failed = 1;
	}
	if (rc == 0 && !failed && p->mode != MODE_STOP && strcmp(p->specs[0], "-") != 0) {
		if (!live_now(p->specs[0], old_pid, p->exe))
			reached = 0;
		if (wait_live(p->specs[0], old_pid, p->exe, deadline) == -1)
			failed = 1;
	}
	*elapsed = now() - t0;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (p->log != NULL) {
		FILE *log = fopen(p->log, "a");

		if (log != NULL) {
			fprintf(log,
				"rc=%d reached_at_return=%d timeout=%d waited_ms=%.3f\n",
				rc, reached, failed, (now() - t_return) * 1000);
			fclose(log);
		}
	}
	if (rc != 0)
		return rc;
	if (failed)
		return 124;
	return missing && p->mode == MODE_STOP ? 3 : 0;
}

static void json_string(FILE *f, char **argv)
{
	const char *c;
	int i;

	fputc('"', f);
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			fputc(' ', f);
		for (c = argv[i]; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				fputc('\\', f);
			if ((unsigned char)*c >= 0x20)
				fputc(*c, f);
		}
	}
	fputc('"', f);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: benchwrap [-n RUNS -j JSON [-p PREPARE]] [-l LOG] [-e EXE] "
		"start|stop|restart PIDSPEC... -- CMD [ARG...]\n"
		"       benchwrap rss -- CMD [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct plan p;
	const char *json = NULL, *env;
	char *prepare[2] = {NULL, NULL};
	double *times;
	int *codes;
	int opt, runs = 0, i, rc = 0, first;

	if (argc >= 4 && strcmp(argv[1], "rss") == 0 && strcmp(argv[2], "--") == 0) {
		struct rusage ru;

		memset(&ru, 0, sizeof ru);
		rc = run(argv + 3, 1, &ru);
		printf("%ld\n", ru.ru_maxrss);
		return rc;
	}

	memset(&p, 0, sizeof p);
	p.timeout = 20;
	env = getenv("BENCHWRAP_TIMEOUT");
	if (env != NULL && atof(env) > 0)
		p.timeout = atof(env);
	while ((opt = getopt(argc, argv, "+n:j:p:l:e:")) != -1) {
		switch (opt) {
		case 'n': runs = atoi(optarg); break;
		case 'j': json = optarg; break;
		case 'p': prepare[0] = optarg; break;
		case 'l': p.log = optarg; break;
		case 'e': p.exe = optarg; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	if (strcmp(argv[optind], "start") == 0)
		p.mode = MODE_START;
	else if (strcmp(argv[optind], "stop") == 0)
		p.mode = MODE_STOP;
	else if (strcmp(argv[optind], "restart") == 0)
		p.mode = MODE_RESTART;
	else
		return usage();
	first = optind + 1;
	for (i = first; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	p.specs = argv + first;
	p.nspecs = i - first;
	p.cmd = argv + i + 1;
	if (i >= argc - 1 || p.nspecs < 1 || p.nspecs > MAX_PIDS)
		return usage();
	if (runs <= 0) {
		double elapsed;

		return one(&p, &elapsed);
	}
	if (json == NULL)
		return usage();

	times = calloc((size_t)runs, sizeof *times);
	codes = calloc((size_t)runs, sizeof *codes);
	if (times == NULL || codes == NULL)
		return 125;
	for (i = 0; i < runs; i++) {
		if (prepare[0] != NULL && (rc = run(prepare, 1, NULL)) != 0) {
			fprintf(stderr, "benchwrap: prepare %s: exit %d\n", prepare[0],
				rc);
			return rc;
		}
		rc = one(&p, &times[i]);
		codes[i] = rc;
		if (rc == 124) { /* no end point: each run more would wait out the timeout */
			runs = i + 1;
			break;
		}
	}
	{
		FILE *f = fopen(json, "w");

		if (f == NULL) {
			perror(json);
			return 125;
		}
		fputs("{\"results\":[{\"command\":", f);
		json_string(f, p.cmd);
		fputs(",\"times\":[", f);
		for (i = 0; i < runs; i++)
			fprintf(f, "%s%.9f", i ? "," : "", times[i]);
		fputs("],\"exit_codes\":[", f);
		for (i = 0; i < runs; i++)
			fprintf(f, "%s%d", i ? "," : "", codes[i]);
		fputs("]}]}\n", f);
		fclose(f);
	}
	return rc;
}
