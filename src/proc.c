/* Facts about processes from /proc: liveness (a zombie is dead), start time,
 * executable, memory, process group members, and pidfds. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* /proc, opened once: status of every service reads a stat file each.
 * proc_cache_clear() closes it. */
static int proc_fd = -1;

/* -1 when it is not open and may not be kept now (fd_cache_may_keep()):
 * the callers then open by the full path */
static int proc_dirfd(void)
{
	if (proc_fd < 0 && fd_cache_may_keep())
		proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return proc_fd;
}

/* Opens the /proc descriptor now, so that a vfork()ed child, which may not
 * open it for the cache, still reads /proc through it */
void proc_cache_warm(void)
{
	(void)proc_dirfd();
}

/* the boot id, read once per process: it cannot change under a process */
static char boot_id_cached[40];

/* Drops what this file keeps between calls (the /proc descriptor, the
 * boot id): a long-lived process calls it with path_cache_clear() */
void proc_cache_clear(void)
{
	if (proc_fd >= 0)
		close(proc_fd);
	proc_fd = -1;
	boot_id_cached[0] = '\0';
}

/* Opens /proc/PID/FILE for reading: through the kept /proc descriptor, or
 * by the full path while it may not be kept (fd_cache_may_keep()) */
static int proc_open(pid_t pid, const char *file)
{
	char path[64];
	int dirfd = proc_dirfd();

	if (dirfd >= 0) {
		snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
		return openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Parses /proc/PID/stat. comm may hold spaces and parentheses, so the fields
 * are counted from the last ')'. */
int proc_stat(pid_t pid, struct proc_info *pi)
{
	char buf[1024], *p, *end;
	int fd;
	ssize_t r;
	unsigned long long f[24];
	int n = 0;

	fd = proc_open(pid, "stat");
	if (fd < 0)
		return -1;
	/* procfs hands over the whole line in one read */
	r = read_once(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0) {
		errno = ESRCH;
		return -1;
	}
	buf[r] = '\0';
	p = strchr(buf, '(');
	end = strrchr(buf, ')');
	if (!p || !end || end < p || end[1] != ' ') {
		errno = EINVAL;
		return -1;
	}
	memset(pi, 0, sizeof(*pi));
	snprintf(pi->comm, sizeof(pi->comm), "%.*s", (int)(end - p - 1), p + 1);
	pi->state = end[2];
	/* fields 4.. (ppid onwards) */
	p = end + 3;
	while (n < 24 && *p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		f[n++] = strtoull(p, &p, 10);
	}
	if (n < 22) {
		errno = EINVAL;
		return -1;
	}
	pi->ppid = (pid_t)f[0];
	pi->pgid = (pid_t)f[1];
	pi->sid = (pid_t)f[2];
	pi->cpu_ticks = f[10] + f[11]; /* utime, stime */
	pi->threads = (long)f[16];
	pi->starttime = f[18];
	pi->rss_pages = (long)f[20];
	return 0;
}

/* kill(pid, 0) calls a zombie alive; the state letter does not. */
enum proc_state proc_state_of(const struct proc_info *pi)
{
	if (pi->state == 'Z' || pi->state == 'X' || pi->state == 'x')
		return PROC_ZOMBIE;
	return PROC_ALIVE;
}

enum proc_state proc_alive(pid_t pid)
{
	struct proc_info pi;

	if (pid <= 0 || proc_stat(pid, &pi) < 0)
		return PROC_GONE;
	return proc_state_of(&pi);
}

int proc_starttime(pid_t pid, unsigned long long *st)
{
	struct proc_info pi;

	if (proc_stat(pid, &pi) < 0)
		return -1;
	*st = pi.starttime;
	return 0;
}

/* The real uid of PID, from the Uid: line of /proc/PID/status. */
int proc_uid(pid_t pid, uid_t *uid)
{
	char buf[4096], *line;
	unsigned long v;
	ssize_t r;
	int fd;

	fd = proc_open(pid, "status");
	if (fd < 0)
		return -1;
	r = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	line = strstr(buf, "\nUid:");
	if (!line || sscanf(line + 5, "%lu", &v) != 1) {
		errno = EINVAL;
		return -1;
	}
	*uid = (uid_t)v;
	return 0;
}

int proc_boot_id(char *buf, size_t len)
{
	char *cached = boot_id_cached;
	int fd;
	ssize_t r;

	if (!cached[0]) {
		fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		r = read_full(fd, cached, sizeof(boot_id_cached) - 1);
		close(fd);
		if (r <= 0)
			return -1;
		cached[r] = '\0';
		cached[strcspn(cached, "\n")] = '\0';
	}
	snprintf(buf, len, "%s", cached);
	return 0;
}

/* The process's argv, word by word, from /proc/PID/cmdline. */
int proc_argv(pid_t pid, struct strv *argv)
{
	char buf[8192];
	int fd;
	ssize_t r;

	fd = proc_open(pid, "cmdline"); /* the JSON list reads one per service */
	if (fd < 0)
		return -1;
	r = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	for (char *p = buf; p < buf + r; p += strlen(p) + 1)
		strv_push(argv, p);
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
		sa.st_ino == sb.st_ino;
}

/* Does PID run path? Either as its executable (device and inode, as
 * start-stop-daemon --exec does), or as the script an interpreter runs
 * (argv[1] of "/bin/sh /path/script"), since exe then names the interpreter. */
int proc_exe_matches(pid_t pid, const char *path)
{
	struct strv argv = {0};
	char exe[64];
	int match;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	if (same_file(exe, path))
		return 1;
	if (proc_argv(pid, &argv) < 0)
		return 0;
	match = argv.n > 1 && argv.v[1][0] == '/' && same_file(argv.v[1], path);
	strv_free(&argv);
	return match;
}

int proc_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int proc_pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Is the process pi describes a live member of the service's group? The
 * process group and session must be the recorded ones and it must have
 * started no earlier than the leader: a PID number stays allocated while any
 * process uses it as a group or session ID, so a group whose leader's PID was
 * recycled had emptied first, and a process started before the leader cannot
 * be one the service forked. The caller has checked the boot id. */
bool proc_group_member(const struct group_id *g, const struct proc_info *pi)
{
	return g->pgid > 0 && pi->pgid == g->pgid && (g->sid <= 0 || pi->sid == g->sid) &&
		pi->starttime >= g->since && proc_state_of(pi) == PROC_ALIVE;
}

/* One pass over /proc: the live members of g except the PID except. Fills
 * out with up to max of them and counts all of them in total. */
int proc_group_members(const struct group_id *g, pid_t except, struct group_member *out,
		       size_t max, size_t *total)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	*total = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct proc_info pi;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    parse_int(de->d_name, 1, 0x7fffffff, &pid) < 0 ||
		    (pid_t)pid == except)
			continue;
		if (proc_stat((pid_t)pid, &pi) < 0 || !proc_group_member(g, &pi))
			continue;
		if (n < max) {
			out[n].pid = (pid_t)pid;
			out[n].starttime = pi.starttime;
			snprintf(out[n].comm, sizeof(out[n].comm), "%s", pi.comm);
			n++;
		}
		(*total)++;
	}
	closedir(d);
	return 0;
}

/* Seconds a process that started at starttime (clock ticks after boot) has
 * been running. The start time counts on CLOCK_BOOTTIME (as /proc/uptime
 * does, suspend included), so the clock is read each time instead of an
 * uptime kept from when this process started: right after days as well. */
double proc_uptime_of(unsigned long long starttime)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec now;
	double up;

	if (clock_gettime(CLOCK_BOOTTIME, &now) < 0)
		return 0;
	up = (double)now.tv_sec + (double)now.tv_nsec / 1e9 -
		(double)starttime / (double)(hz > 0 ? hz : 100);
	return up > 0 ? up : 0;
}
