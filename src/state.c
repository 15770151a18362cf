/* NAME.state: what svcctl needs to trust a PID (start time, boot id, group,
 * session), written atomically next to the pidfile, root's, 0644. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

int state_format(const struct state *st, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "pid=%d\nstarttime=%llu\nboot_id=%s\npgid=%d\nsid=%d\n"
			 "monitor_pid=%d\nstarted_at=%lld\nrestarts=%d\nlast_exit=%s\n"
			 "exec=%s\n",
			 (int)st->pid, st->starttime, st->boot_id, (int)st->pgid,
			 (int)st->sid, (int)st->monitor_pid, st->started_at, st->restarts,
			 st->last_exit, st->exec);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return n;
}

int state_write(const char *path, const struct state *st)
{
	char buf[1024];
	int n = state_format(st, buf, sizeof(buf));

	if (n < 0)
		return -1;
	return write_file_atomic(path, buf, (size_t)n, 0644);
}

static void copy_field(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/* KEY=VALUE lines; unknown keys are skipped so that an older svcctl can read
 * a newer one's state. pid, starttime and boot_id are required; a state
 * without pgid (an older svcctl's) means the program led its own group, and
 * without sid, that the session is not checked. */
int state_parse(const char *text, struct state *st)
{
	char *copy = xstrdup(text), *save = NULL, *line;
	unsigned seen = 0;
	bool bad = false;

	memset(st, 0, sizeof(*st));
	for (line = strtok_r(copy, "\n", &save); line && !bad;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *end;
		const char *v;
		long n;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		if (strcmp(line, "pid") == 0) {
			bad = parse_int(v, 1, 0x3fffffff, &n) < 0;
			st->pid = (pid_t)n;
			seen |= 1;
		} else if (strcmp(line, "starttime") == 0) {
			errno = 0;
			st->starttime = strtoull(v, &end, 10);
			bad = *v < '0' || *v > '9' || *end || errno;
			seen |= 2;
		} else if (strcmp(line, "boot_id") == 0) {
			bad = !*v;
			copy_field(st->boot_id, sizeof(st->boot_id), v);
			seen |= 4;
		} else if (strcmp(line, "pgid") == 0) {
			bad = parse_int(v, 1, 0x3fffffff, &n) < 0;
			st->pgid = (pid_t)n;
		} else if (strcmp(line, "sid") == 0) {
			bad = parse_int(v, 0, 0x3fffffff, &n) < 0;
			st->sid = (pid_t)n;
		} else if (strcmp(line, "monitor_pid") == 0) {
			bad = parse_int(v, 0, 0x3fffffff, &n) < 0;
			st->monitor_pid = (pid_t)n;
		} else if (strcmp(line, "started_at") == 0) {
			st->started_at = strtoll(v, NULL, 10);
		} else if (strcmp(line, "restarts") == 0) {
			bad = parse_int(v, 0, 1 << 30, &n) < 0;
			st->restarts = (int)n;
		} else if (strcmp(line, "last_exit") == 0) {
			copy_field(st->last_exit, sizeof(st->last_exit), v);
		} else if (strcmp(line, "exec") == 0) {
			copy_field(st->exec, sizeof(st->exec), v);
		}
	}
	free(copy);
	if (bad || seen != 7) {
		errno = EINVAL;
		return -1;
	}
	if (!st->pgid)
		st->pgid = st->pid;
	return 0;
}

/* The state vouches for a PID, so only svcctl's own file counts: root's (or
 * the calling user's), writable by nobody else. */
int state_read(const char *path, struct state *st)
{
	char text[4097];
	struct stat sb;
	ssize_t r;
	int fd = path_open_trusted(path, O_RDONLY, 0, NULL);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || (r = read_once(fd, text, sizeof(text))) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if ((sb.st_uid != 0 && sb.st_uid != geteuid()) ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return -1;
	}
	if ((size_t)r >= sizeof(text)) {
		errno = EFBIG;
		return -1;
	}
	text[r] = '\0';
	return state_parse(text, st);
}
