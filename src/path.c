/* path: the one resolver for every file svcctl opens on a service's behalf.
 *
 * svcctl runs as root for services that run as other users, and those users
 * may own directories on the paths root opens (a pidfile or log in the
 * service's own directory). The kernel follows any symlink it meets, so the
 * walk is done here, one component at a time: each component is opened with
 * O_PATH | O_NOFOLLOW relative to the descriptor of the directory already
 * verified, and a symlink is followed only when nobody but root (or, in user
 * mode, the caller) could have made it: the link and the directory holding
 * it are trusted owners', and that directory is not writable by group or
 * other. /var/run -> /run works; a link the service's user planted does not.
 * The last component is opened with O_NOFOLLOW, as open(2) would: a file is
 * never reached through a link at its own name, even root's; a directory
 * asked for with O_DIRECTORY follows the rule of the components before it.
 *
 * openat2(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) is not used: it would
 * give no more than this walk already does. No lookup here ever asks the
 * kernel to follow a symlink (every openat carries O_NOFOLLOW and names one
 * component), so a link, magic or not, is only ever met as an O_PATH
 * descriptor of the link itself, and is followed by its text alone after the
 * ownership check on that descriptor. Mounts cannot be planted by a user on
 * root's namespace, and ".." from a verified descriptor lands in the
 * directory that really holds it, which a user can change only by renaming
 * into a directory the user can write: the components after it are checked
 * all the same. openat2 would also refuse root's own /var/run link, which
 * the walk must follow, so it could serve only part of the path and the walk
 * would stay anyway.
 *
 * Every file is opened with O_NONBLOCK and O_NOCTTY and checked with fstat
 * before anything is read or written: a FIFO or a device where a file should
 * be never blocks svcctl or becomes its terminal. O_TRUNC is applied only
 * after the check. A regular file with other hard links in a directory
 * another user can write is refused: the link could be that user's way to a
 * root-only file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

/* as the kernel's MAXSYMLINKS */
#define PATH_HOPS_MAX 40

/* Whose links and directories are taken as svcctl's own: root's, and the
 * caller's when svcctl runs as a user (user mode trusts nobody else). */
static bool owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static bool dir_trusted(const struct stat *st)
{
	return owner_trusted(st->st_uid) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int path_dir_check(int dirfd, const char **why)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0) {
		*why = "cannot be examined";
		return -1;
	}
	if (!owner_trusted(st.st_uid)) {
		*why = geteuid() == 0 ? "is owned by a user other than root"
				      : "is owned by another user";
		errno = EPERM;
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*why = "is writable by group or other";
		errno = EPERM;
		return -1;
	}
	return 0;
}

struct walk {
	char rest[PATH_MAX]; /* what is left to resolve, consumed from the front */
	int dirfd; /* descriptor of the directory reached so far */
	bool owned; /* dirfd is the walk's to close (not "/" or the caller's) */
	int hops;
};

/* "/", opened once: every absolute walk starts there */
static int root_dir_fd = -1;

/* The descriptor of "/": *owned tells the walk to close it, when it could
 * not be kept (fd_cache_may_keep()) */
static int root_fd(bool *owned)
{
	int fd;

	*owned = false;
	if (root_dir_fd >= 0)
		return root_dir_fd;
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !fd_cache_may_keep()) {
		*owned = true;
		return fd;
	}
	root_dir_fd = fd;
	return fd;
}

static void walk_setdir(struct walk *w, int fd, bool owned)
{
	if (w->owned && w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = fd;
	w->owned = owned;
}

static void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

static int walk_start(struct walk *w, int atfd, const char *path, const char **why)
{
	size_t len = strlen(path);
	bool owned;

	w->dirfd = -1;
	w->owned = false;
	w->hops = 0;
	if (len == 0) {
		*why = "is empty";
		errno = ENOENT;
		return -1;
	}
	if (len >= sizeof(w->rest)) {
		*why = "is too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(w->rest, path, len + 1);
	if (path[0] == '/') {
		int fd = root_fd(&owned);

		walk_setdir(w, fd, owned);
	} else if (atfd != AT_FDCWD) {
		walk_setdir(w, atfd, false);
	} else {
		walk_setdir(w, open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), true);
	}
	if (w->dirfd < 0) {
		*why = NULL;
		return -1;
	}
	return 0;
}

/* The link at linkfd (an O_PATH descriptor of the link itself, in w->dirfd)
 * is followed if root or the caller made it where nobody else can write:
 * its text replaces it in w->rest, before next (what followed it). */
static int walk_follow(struct walk *w, int linkfd, const struct stat *lst,
		       const char *next, bool last, const char **why)
{
	char target[PATH_MAX], joined[PATH_MAX];
	struct stat dst;
	ssize_t n;
	int len;

	if (fstat(w->dirfd, &dst) < 0) {
		*why = NULL;
		return -1;
	}
	if (!dir_trusted(&dst)) {
		*why = last ? "is a symbolic link in a directory another user can write"
			    : "goes through a symbolic link in a directory another user "
			      "can write";
		errno = ELOOP;
		return -1;
	}
	if (!owner_trusted(lst->st_uid)) {
		*why = last ? "is a symbolic link owned by another user"
			    : "goes through a symbolic link owned by another user";
		errno = ELOOP;
		return -1;
	}
	if (++w->hops > PATH_HOPS_MAX) {
		*why = "has too many levels of symbolic links";
		errno = ELOOP;
		return -1;
	}
	n = readlinkat(linkfd, "", target, sizeof(target));
	if (n < 0) {
		*why = NULL;
		return -1;
	}
	if ((size_t)n >= sizeof(target) || n == 0) {
		*why = n ? "has a symbolic link whose target is too long"
			 : "has an empty symbolic link";
		errno = n ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	target[n] = '\0';
	len = snprintf(joined, sizeof(joined), "%s%s%s", target, *next ? "/" : "", next);
	if (len < 0 || (size_t)len >= sizeof(joined)) {
		*why = "is too long once its symbolic links are followed";
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(w->rest, joined, (size_t)len + 1);
	if (target[0] == '/') {
		bool owned;
		int fd = root_fd(&owned);

		if (fd < 0) {
			*why = NULL;
			return -1;
		}
		walk_setdir(w, fd, owned);
	}
	return 0;
}

/* Finds the next component in w->rest: *comp is NUL-terminated, *next
 * points after it (with leading slashes skipped). Returns false at the end. */
static bool walk_next(struct walk *w, char **comp, char **next, size_t *offset)
{
	char *p = w->rest + *offset, *slash;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	slash = strchr(p, '/');
	if (slash) {
		*slash = '\0';
		for (slash++; *slash == '/'; slash++)
			;
		*next = slash;
	} else {
		*next = p + strlen(p);
	}
	*comp = p;
	*offset = (size_t)(*next - w->rest);
	return true;
}

/* Opens the last component into *fdp (return 0); on failure, tells a symlink
 * to follow (return 1, w->rest rewritten) from a refusal (-1, errno and why). */
static int open_last(struct walk *w, const char *comp, int flags, mode_t mode, int *fdp,
		     struct stat *out, const char **why)
{
	int open_flags =
		(flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	bool want_dir = flags & O_DIRECTORY;
	struct stat st, dst;
	int fd, lfd, saved;

	*fdp = -1;
	do
		fd = openat(w->dirfd, comp, open_flags, mode);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		saved = errno;
		*why = NULL;
		lfd = openat(w->dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (lfd < 0 || fstat(lfd, &st) < 0) {
			close_keep_errno(lfd);
			errno = saved;
			return -1;
		}
		if (S_ISLNK(st.st_mode) && want_dir) {
			int r = walk_follow(w, lfd, &st, "", true, why);

			close_keep_errno(lfd);
			return r < 0 ? -1 : 1;
		}
		close(lfd);
		if (S_ISLNK(st.st_mode) && !((flags & O_CREAT) && (flags & O_EXCL))) {
			/* O_NOFOLLOW: a file is never reached through a last link */
			*why = fstat(w->dirfd, &dst) == 0 && dir_trusted(&dst)
				? "is a symbolic link"
				: "is a symbolic link in a directory another user can "
				  "write";
			errno = ELOOP;
			return -1;
		}
		if (want_dir && !S_ISDIR(st.st_mode)) {
			*why = "is not a directory";
			saved = ENOTDIR;
		} else if (!want_dir && S_ISDIR(st.st_mode)) {
			*why = "is a directory";
			saved = EISDIR;
		} else if (!want_dir && !S_ISREG(st.st_mode)) {
			*why = "is not a regular file";
			saved = EINVAL;
		}
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*why = NULL;
		goto fail;
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		*why = want_dir               ? "is not a directory"
			: S_ISDIR(st.st_mode) ? "is a directory"
					      : "is not a regular file";
		errno = want_dir ? ENOTDIR : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (!want_dir && st.st_nlink > 1 &&
	    (fstat(w->dirfd, &dst) < 0 || !dir_trusted(&dst))) {
		*why = "has other hard links in a directory another user can write";
		errno = EPERM;
		goto fail;
	}
	/* F_SETFL takes only the status flags (O_APPEND...) from its argument;
	 * O_NONBLOCK means nothing to a directory */
	if (!(flags & O_NONBLOCK) && !want_dir && fcntl(fd, F_SETFL, flags) < 0) {
		*why = NULL;
		goto fail;
	}
	if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && st.st_size > 0) {
		int r;

		do
			r = ftruncate(fd, 0);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			*why = NULL;
			goto fail;
		}
	}
	if (out)
		*out = st;
	*fdp = fd;
	return 0;
fail:
	close_keep_errno(fd);
	return -1;
}

/* The walk: every component but the last is a directory (made with
 * dir_mode when mkdirs), the last is opened with flags. */
static int resolve(int atfd, const char *path, int flags, mode_t mode, bool mkdirs,
		   mode_t dir_mode, struct stat *out, const char **why)
{
	struct walk w;
	size_t offset = 0;
	char *comp, *next;
	int fd = -1, ret = -1;

	if (walk_start(&w, atfd, path, why) < 0)
		goto out;
	for (;;) {
		struct stat st;
		int r;

		if (!walk_next(&w, &comp, &next, &offset)) {
			/* "/" or a path that ends in a followed link to "/" */
			comp = ".";
			next = comp + 1;
		}
		if (!*next) {
			if (mkdirs && mkdirat(w.dirfd, comp, dir_mode) < 0 &&
			    errno != EEXIST) {
				*why = NULL;
				goto out;
			}
			r = open_last(&w, comp, flags, mode, &fd, out, why);
			if (r < 0)
				goto out;
			if (r == 1) {
				offset = 0;
				continue;
			}
			ret = fd;
			break;
		}
		if (strcmp(comp, ".") == 0)
			continue;
		/* a directory opens with O_DIRECTORY at once; a link (ENOTDIR
		 * under O_NOFOLLOW) is looked at as itself below */
		fd = openat(w.dirfd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && mkdirs) {
			if (mkdirat(w.dirfd, comp, dir_mode) < 0 && errno != EEXIST) {
				*why = NULL;
				goto out;
			}
			fd = openat(w.dirfd, comp,
				    O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd >= 0) {
			walk_setdir(&w, fd, true);
			fd = -1;
			continue;
		}
		if (errno != ENOTDIR) {
			*why = NULL;
			goto out;
		}
		fd = openat(w.dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			*why = NULL;
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			r = walk_follow(&w, fd, &st, next, false, why);
			close_keep_errno(fd);
			fd = -1;
			if (r < 0)
				goto out;
			offset = 0;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			*why = NULL;
			errno = ENOTDIR;
			goto out;
		}
		walk_setdir(&w, fd, true);
		fd = -1;
	}
out:
	if (ret < 0)
		close_keep_errno(fd);
	if (w.owned)
		close_keep_errno(w.dirfd);
	return ret;
}

/* Directories already verified, by the text of the path that led to them,
 * so that start or status of a thousand services does not walk run_dir's
 * path thousands of times: every file of a service in a kept directory
 * (lock, state, pidfile, log) is opened relative to its descriptor, with
 * the same checks on the last component as a walk makes. Only trusted
 * directories are kept: root's (or the caller's) and writable by nobody
 * else, checked with fstat on the descriptor when it was opened. Reusing
 * the descriptor within one command is sound because nobody but root (or,
 * in user mode, the caller: the very owners svcctl trusts) can rename,
 * replace or re-permission such a directory or the trusted path above it,
 * and a command lives for seconds; the --all workers inherit the cache.
 * A long-lived process (the monitor) calls path_cache_clear after its
 * writes, which also stops the caching for the rest of its life: it must
 * see the directories as they are months later. */
#define DIR_CACHE_MAX 8

static struct {
	char *path;
	int fd;
} dir_cache[DIR_CACHE_MAX];
static size_t dir_cached;
static bool dir_cache_off;

/* Drops the kept directories; later walks keep theirs again. */
void path_cache_drop(void)
{
	for (size_t i = 0; i < dir_cached; i++) {
		free(dir_cache[i].path);
		close(dir_cache[i].fd);
	}
	dir_cached = 0;
}

void path_cache_clear(void)
{
	path_cache_drop();
	dir_cache_off = true;
	if (root_dir_fd >= 0)
		close(root_dir_fd);
	root_dir_fd = -1;
}

/* The cached descriptor of the directory DIR (dirlen bytes), or -1 */
static int dir_cached_fd(const char *dir, size_t dirlen)
{
	for (size_t i = 0; i < dir_cached; i++)
		if (strlen(dir_cache[i].path) == dirlen &&
		    memcmp(dir_cache[i].path, dir, dirlen) == 0)
			return dir_cache[i].fd;
	return -1;
}

/* Keeps fd (a directory just opened by a walk of path) when it is trusted;
 * true when the cache took it. */
static bool dir_keep(const char *path, int fd, const struct stat *checked)
{
	struct stat st;

	if (dir_cache_off || !fd_cache_may_keep() || dir_cached >= DIR_CACHE_MAX)
		return false;
	if (!checked) {
		if (fstat(fd, &st) < 0)
			return false;
		checked = &st;
	}
	if (!dir_trusted(checked))
		return false;
	dir_cache[dir_cached].path = xstrdup(path);
	dir_cache[dir_cached++].fd = fd;
	return true;
}

/* The cached descriptor of the longest kept directory DIR (dirlen bytes)
 * lies under, or -1; *rest is where the rest of DIR starts. A walk of the
 * rest from there meets what the whole walk would: the kept directory is
 * the one the same text led to, and nobody svcctl does not trust can have
 * changed it since (see above). */
static int dir_cached_prefix(const char *dir, size_t dirlen, size_t *rest)
{
	size_t best = 0;
	int fd = -1;

	for (size_t i = 0; i < dir_cached; i++) {
		size_t n = strlen(dir_cache[i].path);

		if (n > best && n + 1 < dirlen && dir[n] == '/' && dir[n + 1] != '/' &&
		    memcmp(dir_cache[i].path, dir, n) == 0) {
			best = n;
			fd = dir_cache[i].fd;
		}
	}
	*rest = best + 1;
	return fd;
}

/* The directory at the absolute or relative path dir (made with mode when
 * mkdirs), walked from the nearest kept directory above it; *st is the
 * fstat that checked it. A walk that fails from there is made again in
 * full, so a refusal keeps its words (a relative dir has no kept
 * directory above it: the cache holds absolute paths). */
static int walk_dir(const char *dir, bool mkdirs, mode_t mode, struct stat *st,
		    const char **why)
{
	size_t rest;
	int above = dir_cached_prefix(dir, strlen(dir), &rest), fd = -1;

	if (above >= 0)
		fd = resolve(above, dir + rest, O_RDONLY | O_DIRECTORY, 0, mkdirs, mode,
			     st, why);
	if (fd < 0)
		fd = resolve(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0, mkdirs, mode, st,
			     why);
	return fd;
}

/* The verified directory DIR (dirlen bytes of text): a cached descriptor
 * (*owned false) or a new one, walked from the nearest kept directory
 * above it (run_dir, log_dir and services_dir from svcctl.conf's). */
static int dir_lookup(const char *dir, size_t dirlen, bool *owned, const char **why)
{
	char copy[PATH_MAX];
	struct stat st;
	int fd;

	*owned = false;
	fd = dir_cached_fd(dir, dirlen);
	if (fd >= 0)
		return fd;
	if (dirlen >= sizeof(copy)) {
		*why = "is too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(copy, dir, dirlen);
	copy[dirlen] = '\0';
	fd = walk_dir(copy, false, 0, &st, why);
	if (fd < 0)
		return -1;
	/* st: the fstat of fd that open_last checked it with */
	if (dir_keep(copy, fd, &st))
		return fd;
	*owned = true;
	return fd;
}

/* path_open_trusted, path_open_read: *out (when not NULL) is what the
 * fstat that checked the file found */
static int open_trusted(const char *path, int flags, mode_t mode, struct stat *out,
			const char **why)
{
	const char *dummy, *slash = strrchr(path, '/');
	bool owned;
	int dirfd, fd;

	if (!why)
		why = &dummy;
	*why = NULL;
	/* an absolute directory to read is found through the cache too; the
	 * caller gets a descriptor of its own (its own offset for readdir) */
	if (!out && path[0] == '/' && (flags & ~O_CLOEXEC) == (O_RDONLY | O_DIRECTORY)) {
		dirfd = dir_lookup(path, strlen(path), &owned, why);
		return dirfd < 0 || owned
			? dirfd
			: openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	/* a file in an absolute directory is opened through the cache */
	if (path[0] != '/' || slash == path || !slash[1] || (flags & O_DIRECTORY))
		return resolve(AT_FDCWD, path, flags, mode, false, 0, out, why);
	dirfd = dir_lookup(path, (size_t)(slash - path), &owned, why);
	if (dirfd < 0) /* the whole walk again, for its own words on why */
		return resolve(AT_FDCWD, path, flags, mode, false, 0, out, why);
	fd = resolve(dirfd, slash + 1, flags, mode, false, 0, out, why);
	if (owned)
		close_keep_errno(dirfd);
	return fd;
}

int path_open_trusted(const char *path, int flags, mode_t mode, const char **why)
{
	return open_trusted(path, flags, mode, NULL, why);
}

int path_openat_trusted(int dirfd, const char *path, int flags, mode_t mode,
			const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	return resolve(dirfd, path, flags, mode, false, 0, NULL, why);
}

/* A file read here and closed at once needs O_NONBLOCK cleared no more
 * than it needs a second fstat: a read of a regular file never blocks. */
int path_open_read(const char *path, struct stat *st, const char **why)
{
	return open_trusted(path, O_RDONLY | O_NONBLOCK, 0, st, why);
}

int path_openat_read(int dirfd, const char *path, struct stat *st, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	return resolve(dirfd, path, O_RDONLY | O_NONBLOCK, 0, false, 0, st, why);
}

int path_mkdir_trusted(const char *path, mode_t mode, const char **why)
{
	const char *dummy;
	struct stat st;
	int fd;

	if (!why)
		why = &dummy;
	*why = NULL;
	/* a directory verified before exists: nothing to make */
	fd = path[0] == '/' ? dir_cached_fd(path, strlen(path)) : -1;
	if (fd >= 0)
		return fcntl(fd, F_DUPFD_CLOEXEC, 0);
	fd = walk_dir(path, true, mode, &st, why);
	if (fd >= 0 && path[0] == '/') {
		int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		if (keep >= 0 && !dir_keep(path, keep, &st))
			close(keep);
	}
	return fd;
}

int path_parent_cached(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (path[0] != '/' || slash == path || !slash[1])
		return -1;
	fd = dir_cached_fd(path, (size_t)(slash - path));
	if (fd >= 0)
		*base = slash + 1;
	return fd;
}

int path_parent_trusted(const char *path, bool create, mode_t mode, const char **base,
			const char **why)
{
	char dir[PATH_MAX];
	const char *slash, *dummy;
	size_t len;

	if (!why)
		why = &dummy;
	*why = NULL;
	len = strlen(path);
	if (len >= sizeof(dir)) {
		*why = "is too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	slash = strrchr(dir, '/');
	if (!slash) {
		*base = path;
		strcpy(dir, ".");
	} else {
		*base = path + (slash - dir) + 1;
		if (!**base || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
			*why = "does not name a file";
			errno = EINVAL;
			return -1;
		}
		dir[slash == dir ? 1 : slash - dir] = '\0';
	}
	if (create)
		return path_mkdir_trusted(dir, mode, why);
	if (dir[0] == '/') {
		bool owned;
		int fd = dir_lookup(dir, strlen(dir), &owned, why);

		/* the caller closes what it gets: a cached one is duplicated */
		return fd < 0 || owned ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	}
	return path_open_trusted(dir, O_RDONLY | O_DIRECTORY, 0, why);
}
