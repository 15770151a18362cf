/*
 * probe - the timing side of tests/bench/supervise.
 *
 *   probe respawn OUT ROUNDS GAP_MS TRUE_RUNS NAME:SOCKET[:PIDFILE]...
 *	Binds one datagram SOCKET per tool (announce sends "up PID NS" there),
 *	times TRUE_RUNS fork + exec + wait of /bin/true, creates OUT.ready,
 *	waits for each tool's first program, then ROUNDS times, tool after
 *	tool: kill -9 the program and wait for the next one to announce
 *	itself; with a PIDFILE also until that file names the new PID (seen
 *	through inotify on its directory).  GAP_MS after each round.  Writes
 *	to OUT: "true US" per spawn, and per respawn "resp NAME US_UP US_PIDFILE
 *	PSS_KB PRIVATE_DIRTY_KB PARENT" (the parent's smaps_rollup, read after
 *	the respawn, its command line with "|" between the words; US_PIDFILE
 *	is - without a PIDFILE).  A GAP_MS under 1000 tests the tools'
 *	throttles instead: tool after tool, each program killed GAP_MS after
 *	its start.
 *
 *   probe collect SOCKET N up|down TIMEOUT_S BG -- CMD...
 *	Binds SOCKET, runs CMD and waits until N distinct programs said
 *	"up" (or "down") and, unless BG is 1, CMD has exited.  Prints
 *	"SECONDS RC COUNT CMD_PID" (RC -1 for BG); "timeout SECONDS RC COUNT
 *	CMD_PID" when TIMEOUT_S passed first.
 *
 *   probe gather SOCKET N up|down TIMEOUT_S -- CMD...
 *	As collect with BG 0, and two more fields: "SECONDS RC COUNT CMD_PID
 *	AT_EXIT CMD_SECONDS", AT_EXIT the programs that had said so by the
 *	time CMD exited (by their own time stamps), CMD_SECONDS when it did.
 *	With $PROBE_EXE set, AT_EXIT is instead the number of live processes
 *	running that executable, counted in /proc the moment CMD's exit is seen.
 *	With $PROBE_STAMPS set, "PID NS" of each of them is written to
 *	that file.
 *
 *   probe lines N TIMEOUT_S DIR -- CMD...
 *	Runs CMD (which starts a spew of N lines) and waits until the last
 *	line ("N-1 ...") ends one of the files in DIR, then counts the
 *	distinct numbered lines across the files (again, for up to 3 s,
 *	while some seem missing: a rotation may be under way).  Prints "SECONDS DISTINCT
 *	LINES FILES" or "timeout SECONDS DISTINCT LINES FILES".
 *
 * All times come from CLOCK_MONOTONIC, the clock announce stamps with.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXTOOLS 8

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int bind_dgram(const char *path)
{
	struct sockaddr_un a;
	int fd, rcv = 4 << 20;

	if (strlen(path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		die(path);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		die(path);
	chmod(path, 0666);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	return fd;
}

/* One message: "KIND PID NS".  Returns 1 and fills the fields, 0 on none
 * within TIMEOUT_MS (-1: wait forever). */
static int recv_msg(int fd, int timeout_ms, char *kind, long *pid, int64_t *ns)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[128];
	ssize_t n;
	long long t;

	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		n = recv(fd, buf, sizeof buf - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		buf[n] = '\0';
		if (sscanf(buf, "%7s %ld %lld", kind, pid, &t) == 3) {
			*ns = t;
			return 1;
		}
	}
}

/* Run ARGV with stdin and stdout on /dev/null: what it says is not
 * wanted, and a daemon it leaves behind must hold no pipe of ours open. */
static pid_t run_cmd(char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "probe: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static long ppid_of(long pid)
{
	char path[64], buf[512], *p;
	long ppid = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof buf, f) != NULL && (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %ld", &ppid);
	fclose(f);
	return ppid;
}

static void smaps(long pid, long *pss, long *pd, char *who, size_t wholen)
{
	char path[64], line[256];
	FILE *f;
	size_t n;

	*pss = *pd = -1;
	snprintf(who, wholen, "?");
	snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
	f = fopen(path, "re");
	if (f != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			sscanf(line, "Pss: %ld", pss);
			sscanf(line, "Private_Dirty: %ld", pd);
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
	f = fopen(path, "re");
	if (f != NULL) {
		n = fread(who, 1, wholen - 1, f);
		who[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (who[i] == '\0' || who[i] == ' ')
				who[i] = '|';
		if (n > 0 && who[n - 1] == '|')
			who[n - 1] = '\0';
		fclose(f);
	}
}

static long read_pidfile(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

struct tool {
	char *name, *sock, *pidfile;
	int fd, ino;
	long pid;
};

/* Drain the inotify descriptor; when the pidfile was replaced or written,
 * read the PID it names into *pid, the time into *seen, and return 1. */
static int pidfile_event(struct tool *t, long *pid, int64_t *seen)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *base = strrchr(t->pidfile, '/');
	ssize_t n;
	int hit = 0;

	base = base ? base + 1 : t->pidfile;
	while ((n = read(t->ino, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (e->len > 0 && strcmp(e->name, base) == 0)
				hit = 1;
			p += sizeof *e + e->len;
		}
	}
	if (!hit)
		return 0;
	*seen = now_ns();
	*pid = read_pidfile(t->pidfile);
	return 1;
}

static int cmd_respawn(int argc, char **argv)
{
	const char *out = argv[0];
	int rounds = atoi(argv[1]), gap = atoi(argv[2]), truns = atoi(argv[3]);
	struct tool tools[MAXTOOLS];
	int ntools = 0;
	char path[4096];
	FILE *o;

	o = fopen(out, "we");
	if (o == NULL)
		die(out);
	setvbuf(o, NULL, _IOLBF, 0);
	for (int i = 4; i < argc && ntools < MAXTOOLS; i++) {
		struct tool *t = &tools[ntools++];
		t->name = strtok(argv[i], ":");
		t->sock = strtok(NULL, ":");
		t->pidfile = strtok(NULL, ":");
		t->fd = bind_dgram(t->sock);
		t->ino = -1;
		t->pid = -1;
		if (t->pidfile != NULL) {
			char dir[4096], *slash;
			snprintf(dir, sizeof dir, "%s", t->pidfile);
			slash = strrchr(dir, '/');
			if (slash != NULL)
				*slash = '\0';
			t->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
			if (t->ino < 0 ||
			    inotify_add_watch(t->ino, dir, IN_CLOSE_WRITE | IN_MOVED_TO) <
				    0)
				die(dir);
		}
	}
	for (int i = 0; i < truns; i++) {
		int64_t t0 = now_ns();
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (p < 0 || waitpid(p, NULL, 0) < 0)
			die("spawn /bin/true");
		fprintf(o, "true %.1f\n", (double)(now_ns() - t0) / 1e3);
	}
	snprintf(path, sizeof path, "%s.ready", out);
	fclose(fopen(path, "we"));

	for (int i = 0; i < ntools; i++) {
		char kind[8];
		int64_t ns;
		while (recv_msg(tools[i].fd, 60000, kind, &tools[i].pid, &ns) &&
		       strcmp(kind, "up") != 0)
			;
		if (tools[i].pid <= 0) {
			fprintf(o, "fail %s no program announced itself in 60 s\n",
				tools[i].name);
			tools[i].pid = -1;
		}
	}
	/* A gap under a second tests the tools' throttles: tool after tool,
	 * each program killed GAP_MS after its start (the first kill of each
	 * tool, of a program that ran longer, is not counted).  Otherwise the
	 * tools take turns, so that a passing load falls on all of them. */
	int bytool = gap < 1000, outer = bytool ? ntools : rounds,
	    inner = bytool ? rounds + 1 : ntools;
	for (int a = 0; a < outer; a++) {
		for (int b = 0; b < inner; b++) {
			struct tool *t = &tools[bytool ? a : b];
			int counted = !bytool || b > 0;
			char kind[8], who[256];
			long pid = -1, pss, pd, pf_pid = -1;
			int64_t ns = 0, t0, pf = 0;
			int got_pf = 0;

			if (t->pid <= 0)
				continue;
			while (recv_msg(t->fd, 0, kind, &pid, &ns))
				; /* stale */
			if (t->ino >= 0)
				pidfile_event(t, &pf_pid, &pf);
			pf_pid = -1;
			t0 = now_ns();
			if (kill((pid_t)t->pid, SIGKILL) < 0) {
				fprintf(o, "fail %s kill %ld: %s\n", t->name, t->pid,
					strerror(errno));
				t->pid = -1;
				continue;
			}
			/* wait for both the announce and (with a pidfile) the new PID
			 * in it, whichever comes first, each timed when it happens */
			pid = -1;
			for (int64_t end = t0 + 10000000000LL; now_ns() < end;) {
				struct pollfd p[2] = {{.fd = t->fd, .events = POLLIN},
						      {.fd = t->ino, .events = POLLIN}};
				long mpid;
				int64_t mns;
				if (pid > 0 && (t->ino < 0 || got_pf))
					break;
				if (poll(p, 2, 100) <= 0)
					continue;
				if ((p[1].revents & POLLIN) &&
				    pidfile_event(t, &pf_pid, &pf))
					got_pf = pid > 0 && pf_pid == pid;
				if ((p[0].revents & POLLIN) && pid <= 0 &&
				    recv_msg(t->fd, 0, kind, &mpid, &mns) &&
				    strcmp(kind, "up") == 0 && mpid != t->pid) {
					pid = mpid;
					ns = mns;
					got_pf = pf_pid == pid;
				}
			}
			if (pid <= 0) {
				fprintf(o, "fail %s no respawn within 10 s\n", t->name);
				t->pid = -1;
				continue;
			}
			smaps(ppid_of(pid), &pss, &pd, who, sizeof who);
			if (!counted) {
				t->pid = pid;
				usleep((useconds_t)gap * 1000);
				continue;
			}
			if (t->ino >= 0 && got_pf) {
				int64_t both = pf > ns ? pf : ns;
				fprintf(o, "resp %s %.1f %.1f %ld %ld %s\n", t->name,
					(double)(ns - t0) / 1e3,
					(double)(both - t0) / 1e3, pss, pd, who);
			} else if (t->ino >= 0) {
				fprintf(o,
					"fail %s pidfile did not name PID %ld within 10 "
					"s\n",
					t->name, pid);
			} else {
				fprintf(o, "resp %s %.1f - %ld %ld %s\n", t->name,
					(double)(ns - t0) / 1e3, pss, pd, who);
			}
			t->pid = pid;
			if (bytool)
				usleep((useconds_t)gap * 1000);
		}
		if (!bytool)
			usleep((useconds_t)gap * 1000);
	}
	fclose(o);
	return 0;
}

/* a set of PIDs: open addressing, big enough for the scale runs */
#define SETSZ 65536
static long set[SETSZ];

static int set_add(long pid)
{
	unsigned long h = (unsigned long)pid * 2654435761UL;

	for (unsigned i = 0; i < SETSZ; i++) {
		long *s = &set[(h + i) % SETSZ];
		if (*s == pid)
			return 0;
		if (*s == 0) {
			*s = pid;
			return 1;
		}
	}
	return 0;
}

/* Live (not zombie) processes whose /proc/PID/exe is EXE. */
static long count_exe(const char *exe)
{
	char path[300], target[4096];
	struct dirent *e;
	long n = 0;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		ssize_t len;
		char stat[512], *paren;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
		len = readlink(path, target, sizeof target - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, exe) != 0)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, stat, sizeof stat - 1);
		close(fd);
		if (len <= 0)
			continue;
		stat[len] = '\0';
		paren = strrchr(stat, ')');
		if (paren != NULL && paren[1] == ' ' && paren[2] != 'Z' &&
		    paren[2] != 'X')
			n++;
	}
	closedir(d);
	return n;
}

static int cmd_collect(int argc, char **argv, int gather)
{
	int fd = bind_dgram(argv[0]);
	long want = atol(argv[1]);
	const char *kind_want = argv[2];
	int64_t timeout = atoll(argv[3]) * 1000000000LL;
	int bg = atoi(argv[4]);
	int64_t t0, t_exit = 0, t_last = 0, deadline;
	long count = 0, at_exit = 0, live_at_exit = -1;
	const char *probe_exe = gather ? getenv("PROBE_EXE") : NULL;
	int rc = -1, exited = bg, pidfd;
	static int64_t stamps[SETSZ];
	static long pids[SETSZ];
	pid_t pid;

	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr, "probe collect: usage\n");
		return 2;
	}
	t0 = now_ns();
	pid = run_cmd(argv + 6);
	pidfd = bg ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	deadline = t0 + timeout;
	while ((count < want || !exited) && now_ns() < deadline) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = exited ? -1 : pidfd, .events = POLLIN}};
		int r = poll(p, 2, pidfd < 0 && !exited ? 1 : 200);
		if (r < 0 && errno != EINTR)
			die("poll");
		if (!exited) {
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				t_exit = now_ns();
				exited = 1;
				if (probe_exe != NULL)
					live_at_exit = count_exe(probe_exe);
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
		}
		if (r > 0 && (p[0].revents & POLLIN)) {
			char kind[8];
			long mpid;
			int64_t ns;
			while (recv_msg(fd, 0, kind, &mpid, &ns)) {
				if (strcmp(kind, kind_want) == 0 && set_add(mpid)) {
					if (count < SETSZ) {
						stamps[count] = ns;
						pids[count] = mpid;
					}
					count++;
					if (ns > t_last)
						t_last = ns;
				}
			}
		}
	}
	{
		int64_t end = t_exit > t_last ? t_exit : t_last;
		int done = count >= want && exited;
		if (!done)
			end = now_ns();
		if (!gather) {
			printf("%s%.6f %d %ld %ld\n", done ? "" : "timeout ",
			       (double)(end - t0) / 1e9, rc, count, (long)pid);
			return done ? 0 : 1;
		}
		const char *stamps_path = getenv("PROBE_STAMPS");
		FILE *sf = stamps_path != NULL ? fopen(stamps_path, "we") : NULL;

		for (long i = 0; i < count && i < SETSZ; i++) {
			if (exited && stamps[i] <= t_exit)
				at_exit++;
			if (sf != NULL)
				fprintf(sf, "%ld %lld\n", pids[i], (long long)stamps[i]);
		}
		if (sf != NULL)
			fclose(sf);
		if (probe_exe != NULL)
			at_exit = live_at_exit;
		printf("%s%.6f %d %ld %ld %ld %.6f\n", done ? "" : "timeout ",
		       (double)(end - t0) / 1e9, rc, count, (long)pid, at_exit,
		       exited ? (double)(t_exit - t0) / 1e9 : -1.0);
		return done ? 0 : 1;
	}
}

static int skip_name(const char *n)
{
	return n[0] == '.' || strcmp(n, "config") == 0 || strcmp(n, "lock") == 0 ||
		strcmp(n, "state") == 0 || strcmp(n, "newstate") == 0;
}

/* Does a file in DIR end with the line numbered LAST? */
static int last_line_in(const char *dir, long last)
{
	char want[32], buf[64], path[4096];
	struct dirent *e;
	int found = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	snprintf(want, sizeof want, "%07ld ", last);
	while (!found && (e = readdir(d)) != NULL) {
		struct stat st;
		int fd;
		if (skip_name(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 60 &&
		    pread(fd, buf, 60, st.st_size - 60) == 60 && buf[59] == '\n' &&
		    memcmp(buf, want, 8) == 0)
			found = 1;
		close(fd);
	}
	closedir(d);
	return found;
}

static void count_lines(const char *dir, long n, long *distinct, long *lines, long *files)
{
	unsigned char *seen = calloc((size_t)n + 1, 1);
	char path[4096], *line = NULL;
	size_t cap = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	*distinct = *lines = *files = 0;
	if (d == NULL || seen == NULL)
		die(dir);
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		if (skip_name(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		(*files)++;
		while (getline(&line, &cap, f) > 0) {
			char *end;
			long k = strtol(line, &end, 10);
			(*lines)++;
			if (end == line + 7 && *end == ' ' && k >= 0 && k < n &&
			    !seen[k]) {
				seen[k] = 1;
				(*distinct)++;
			}
		}
		fclose(f);
	}
	closedir(d);
	free(line);
	free(seen);
}

static int cmd_lines(int argc, char **argv)
{
	long n = atol(argv[0]), distinct, lines, files;
	int64_t timeout = atoll(argv[1]) * 1000000000LL, t0, end;
	const char *dir = argv[2];
	int found = 0, st;
	pid_t pid;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "probe lines: usage\n");
		return 2;
	}
	t0 = now_ns();
	pid = run_cmd(argv + 4);
	while (!(found = last_line_in(dir, n - 1)) && now_ns() - t0 < timeout) {
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	end = now_ns();
	waitpid(pid, &st, 0);
	/* A logger may be renaming a file it just filled while the
	 * directory is read, and readdir can then miss it: count again,
	 * 0.3 s apart, while lines seem missing (a lost line stays lost). */
	for (int i = 0; i < 10; i++) {
		struct timespec ts = {0, 300000000};
		count_lines(dir, n, &distinct, &lines, &files);
		if (!found || distinct >= n)
			break;
		nanosleep(&ts, NULL);
	}
	printf("%s%.6f %ld %ld %ld\n", found ? "" : "timeout ", (double)(end - t0) / 1e9,
	       distinct, lines, files);
	return found ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc > 6 && strcmp(argv[1], "respawn") == 0)
		return cmd_respawn(argc - 2, argv + 2);
	if (argc > 8 && strcmp(argv[1], "collect") == 0)
		return cmd_collect(argc - 2, argv + 2, 0);
	if (argc > 7 && strcmp(argv[1], "gather") == 0) {
		/* collect's arguments with BG 0 put in */
		char *args[argc + 1];
		args[0] = argv[2];
		args[1] = argv[3];
		args[2] = argv[4];
		args[3] = argv[5];
		args[4] = "0";
		for (int i = 6; i <= argc; i++)
			args[i - 1] = argv[i];
		return cmd_collect(argc - 1, args, 1);
	}
	if (argc > 6 && strcmp(argv[1], "lines") == 0)
		return cmd_lines(argc - 2, argv + 2);
	fprintf(stderr,
		"usage: probe respawn|collect|gather|lines ... (see the source)\n");
	return 2;
}
