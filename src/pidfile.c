/* The files in run_dir: NAME.lock (flock around every transition), NAME.pid
 * (the PID and a newline, for every other tool) and NAME.state (what svcctl
 * needs to trust that PID). Writes are atomic and never follow a symlink. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

int mkdir_p(const char *path, mode_t mode)
{
	struct stat existing;
	char *copy;
	int rc = 0;

	/* the common case, on every transition: it is there already */
	if (stat(path, &existing) == 0 && S_ISDIR(existing.st_mode))
		return 0;
	copy = xstrdup(path);

	for (char *p = copy + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	if (rc == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			rc = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
	}
	{
		int saved = errno;
		free(copy);
		errno = saved;
	}
	return rc;
}

/* Takes the service's transition lock, waiting for whoever holds it. The
 * descriptor is close-on-exec so the lock never leaks into a program. */
int pidfile_lock(const char *lock_path)
{
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

/* Writes a temporary file beside path and renames it into place, so readers
 * see the old content or the new, never a part; rename replaces a symlink
 * at path instead of writing through it. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* left by a crashed svcctl with our PID: ours to replace */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  mode);
	}
	if (fd < 0)
		goto fail_noclose;
	if (write_full(fd, data, len) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
fail_noclose:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int pidfile_write(const char *path, pid_t pid)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	return write_file_atomic(path, buf, (size_t)len, 0644);
}

/* Reads a PID that may have been written by anyone. As root, a pidfile that
 * someone else could have written is not evidence of anything. */
int pidfile_read(const char *path, uid_t allowed_uid, pid_t *pid, const char **why)
{
	char buf[32];
	struct stat st;
	ssize_t r;
	long v;
	int fd;

	*why = NULL;
	fd = path_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			*why = "pidfile is a symbolic link";
		return -1;
	}
	if (fstat(fd, &st) < 0)
		goto bad;
	if (!S_ISREG(st.st_mode)) {
		*why = "pidfile is not a regular file";
		errno = EINVAL;
		goto bad;
	}
	if ((st.st_mode & S_IWOTH) && running_as_root()) {
		*why = "pidfile is world-writable";
		errno = EPERM;
		goto bad;
	}
	if (st.st_uid != 0 && st.st_uid != allowed_uid && running_as_root()) {
		*why = "pidfile is owned by another user";
		errno = EPERM;
		goto bad;
	}
	r = read_once(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' ' || buf[r - 1] == '\r'))
		buf[--r] = '\0';
	if (parse_int(buf, 2, 0x3fffffff, &v) < 0) {
		*why = "pidfile does not hold a PID";
		errno = EINVAL;
		return -1;
	}
	*pid = (pid_t)v;
	return 0;
bad : {
	int saved = errno;
	close(fd);
	errno = saved;
}
	return -1;
}

int pidfile_remove(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

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

int state_read(const char *path, struct state *st)
{
	char *text = read_small_file(path, 4096, NULL);
	int rc;

	if (!text)
		return -1;
	rc = state_parse(text, st);
	free(text);
	return rc;
}
