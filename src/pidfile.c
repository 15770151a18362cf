/* The files in run_dir: NAME.lock (flock around every transition), NAME.pid
 * (the PID and a newline, for every other tool) and NAME.state (what svcctl
 * needs to trust that PID). Writes are atomic and never follow a symlink. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

static void close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* mkdir -p that never goes through a link another user could have made. */
int mkdir_p(const char *path, mode_t mode)
{
	int fd = path_mkdir_trusted(path, mode, NULL);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Takes the service's transition lock, waiting for whoever holds it. The
 * descriptor is close-on-exec so the lock never leaks into a program. */
int pidfile_lock(const char *lock_path)
{
	int fd = path_open_trusted(lock_path, O_RDWR | O_CREAT, 0644, NULL);

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

/* Removes the NAME.tmpPID files a killed svcctl left in dirfd, of every
 * NAME at once: only those of PIDs that no longer run, so a concurrent
 * writer keeps its own. */
static void sweep_stale_temps(int dirfd)
{
	struct dirent *de;
	/* a descriptor of its own: a dup would share (and move) the offset */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		const char *p = de->d_name, *tmp = NULL;
		long pid;

		/* the last ".tmp" with a name before it and digits after */
		for (const char *q = strstr(p + 1, ".tmp"); q; q = strstr(q + 1, ".tmp"))
			tmp = q;
		if (!tmp || parse_int(tmp + 4, 1, 0x3fffffff, &pid) < 0)
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			(void)unlinkat(dirfd, p, 0);
	}
	closedir(d);
}

/* Has this process swept the directory already? Once per directory and
 * process, for every name in it: a monitor writes the state and the
 * pidfile on every respawn, start --all writes three files for each of a
 * thousand services, and a run_dir of a thousand services is not read
 * each time. Workers forked after a sweep inherit the record. */
static bool swept_before(int dirfd)
{
	static struct {
		dev_t dev;
		ino_t ino;
	} seen[8];
	static size_t nseen;
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return false;
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
			return true;
	if (nseen < sizeof(seen) / sizeof(seen[0])) {
		seen[nseen].dev = st.st_dev;
		seen[nseen].ino = st.st_ino;
		nseen++;
	}
	return false;
}

/* Sweeps dirfd's stale temporary names unless this process did: in a
 * directory others can write (sticky /tmp) the names could be another
 * user's files, so only where nobody else writes. */
static void sweep_once(int dirfd)
{
	const char *why;

	if (!swept_before(dirfd) && path_dir_check(dirfd, &why) == 0)
		sweep_stale_temps(dirfd);
}

/* The sweep of dir done now, once, rather than by the first write there:
 * start --all does it before its workers fork, and they inherit it. */
void pidfile_sweep_dir(const char *dir)
{
	int fd = path_open_trusted(dir, O_RDONLY | O_DIRECTORY, 0, NULL);

	if (fd < 0)
		return;
	sweep_once(fd);
	close(fd);
}

/* Puts the file named tmp in dirfd in place of base. Over an existing
 * file, ext4 (auto_da_alloc) writes the new file's blocks out before a
 * rename returns: 0.1 to 0.5 ms on every stop and every respawn, for files
 * that are not meant to outlive a power loss anyway (see below). Exchanging
 * the two names is as atomic for a reader and starts no write-out; the old
 * file then goes with the temporary name. Where there is nothing to
 * exchange with (ENOENT), the filesystem cannot (EINVAL), or what was there
 * is no file (a directory: it is put back), a plain rename. */
static int replace_name(int dirfd, const char *tmp, const char *base)
{
	if (renameat2(dirfd, tmp, dirfd, base, RENAME_EXCHANGE) == 0) {
		if (unlinkat(dirfd, tmp, 0) == 0)
			return 0;
		(void)renameat2(dirfd, tmp, dirfd, base, RENAME_EXCHANGE);
	}
	return renameat(dirfd, tmp, dirfd, base);
}

/* Writes the content to a file with no name yet (O_TMPFILE, so a crash
 * while writing leaves nothing), gives it a temporary name and renames that
 * over path, all relative to the verified directory holding path: readers
 * see the old content or the new, never a part, and the rename replaces a
 * symlink at path instead of writing through it. Nothing is fsync'ed: these
 * files describe processes, which a power loss ends; what survives a crash
 * is from an earlier boot and judged so (the boot id), and a monitor's
 * respawn must not wait for a disk. The mode is set with fchmod: the caller's umask plays
 * no part. Where the filesystem has no O_TMPFILE the temporary name is made first; either
 * way the names a killed writer left are swept. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[NAME_MAX + 1], self[64];
	const char *base;
	int dirfd, fd = -1, saved;
	bool named = false;

	dirfd = path_parent_trusted(path, false, 0, &base, NULL);
	if (dirfd < 0)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%d", base, (int)getpid()) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	sweep_once(dirfd);
	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		named = true;
		(void)unlinkat(dirfd, tmp, 0);
		fd = openat(dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	}
	if (fd < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || write_full(fd, data, len) < 0)
		goto fail;
	if (!named) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		(void)unlinkat(dirfd, tmp, 0);
		if (linkat(AT_FDCWD, self, dirfd, tmp, AT_SYMLINK_FOLLOW) < 0)
			goto fail;
		named = true;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (replace_name(dirfd, tmp, base) < 0)
		goto fail;
	close(dirfd);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (named)
		(void)unlinkat(dirfd, tmp, 0);
	close(dirfd);
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
	fd = path_open_read(path, &st, NULL);
	if (fd < 0) {
		if (errno == ELOOP)
			*why = "pidfile is a symbolic link another user could have made";
		else if (errno == EINVAL || errno == EISDIR)
			*why = "pidfile is not a regular file";
		else if (errno == EPERM)
			*why = "pidfile has other hard links in a directory another user "
			       "can write";
		return -1;
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
	/* a user trusts only what the user (or root) wrote */
	if (!running_as_root() && st.st_uid != 0 && st.st_uid != geteuid()) {
		*why = "pidfile is owned by another user";
		errno = EPERM;
		goto bad;
	}
	if (!running_as_root() && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		*why = "pidfile is writable by group or other";
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

/* unlinkat in the verified directory: a link planted on the way cannot
 * point the unlink at another directory's file of the same name. */
int pidfile_remove(const char *path)
{
	const char *base;
	int dirfd = path_parent_trusted(path, false, 0, &base, NULL), rc = 0;

	if (dirfd < 0)
		return errno == ENOENT ? 0 : -1;
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
		rc = -1;
	close_keep_errno(dirfd);
	return rc;
}
