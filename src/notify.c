/* type = notify (DESIGN 4.11): the monitor's NOTIFY_SOCKET, the sd_notify
 * messages that arrive on it, and who may send them.
 *
 * One datagram socket per monitor, made once at set-up and kept for the
 * monitor's life: run_dir/NAME.notify, or an abstract address when that
 * path does not fit sun_path. SO_PASSCRED makes the kernel attach the
 * sender's credentials to every message; a root sender may name another
 * PID (systemd-notify names its parent, the program), anyone else only its
 * own. A message counts only when that PID is the program, a process of the
 * program's group, or a descendant of the program: the socket is reachable
 * by others (an abstract one by anyone), the check is what makes it private.
 *
 * Nothing here allocates: the monitor calls it after set-up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "svcctl.h"

#define NOTIFY_ANCESTORS_MAX 64 /* how far up the parent chain a sender is looked for */

/* KEY=VALUE of one line: does the line start with key and '='? */
static const char *line_value(const char *line, size_t len, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	if (len <= klen || memcmp(line, key, klen) != 0 || line[klen] != '=')
		return NULL;
	*vlen = len - klen - 1;
	return line + klen + 1;
}

/* A decimal number of at most 19 digits, nothing else */
static int parse_decimal(const char *s, size_t len, unsigned long long max,
			 unsigned long long *out)
{
	unsigned long long n = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (unsigned long long)(s[i] - '0');
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

/* One sd_notify datagram: newline-separated KEY=VALUE assignments; unknown
 * keys and malformed values are ignored, a later assignment wins, a NUL
 * anywhere voids the whole datagram. Pure: no
 * I/O, no allocation. 0, or -1 with EINVAL when buf holds nothing usable. */
int notify_parse(const char *buf, size_t len, struct notify_msg *out)
{
	size_t at = 0;
	bool any = false;

	memset(out, 0, sizeof(*out));
	/* as systemd does: a NUL inside is a malformed message, all of it */
	if (!buf || memchr(buf, '\0', len)) {
		errno = EINVAL;
		return -1;
	}
	while (at < len) {
		const char *line = buf + at, *nl = memchr(line, '\n', len - at), *v;
		size_t llen = nl ? (size_t)(nl - line) : len - at, vlen;
		unsigned long long n;

		at += llen + (nl ? 1 : 0);
		if ((v = line_value(line, llen, "READY", &vlen))) {
			if (vlen == 1 && v[0] == '1')
				out->ready = any = true;
		} else if ((v = line_value(line, llen, "STOPPING", &vlen))) {
			if (vlen == 1 && v[0] == '1')
				out->stopping = any = true;
		} else if ((v = line_value(line, llen, "RELOADING", &vlen))) {
			if (vlen == 1 && v[0] == '1')
				out->reloading = any = true;
		} else if ((v = line_value(line, llen, "STATUS", &vlen))) {
			/* shown on a terminal: what it says, made visible */
			text_visible(v, vlen, out->status, sizeof(out->status));
			out->have_status = any = true;
		} else if ((v = line_value(line, llen, "MAINPID", &vlen))) {
			if (parse_decimal(v, vlen, 0x3fffffff, &n) == 0 && n > 0) {
				out->mainpid = (pid_t)n;
				any = true;
			}
		} else if ((v = line_value(line, llen, "EXTEND_TIMEOUT_USEC", &vlen))) {
			if (parse_decimal(v, vlen,
					  (unsigned long long)SECONDS_MAX * 1000000ULL,
					  &n) == 0) {
				out->extend_usec = n;
				out->have_extend = any = true;
			}
		} else if ((v = line_value(line, llen, "ERRNO", &vlen))) {
			if (parse_decimal(v, vlen, 4095, &n) == 0) {
				out->errnum = (int)n;
				out->have_errno = any = true;
			}
		}
	}
	if (!any) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Makes the monitor's socket for service name: run_dir/NAME.notify (a stale
 * one unlinked first), mode 0600, the service user's when uid is not
 * (uid_t)-1; an abstract address "@svcctl/NAME/PID" when the path does not
 * fit. ns->env is then "NOTIFY_SOCKET=..." for the program. 0, or -1 with
 * errno. */
int notify_open(struct notify_socket *ns, const char *run_dir, const char *name,
		uid_t uid, gid_t gid)
{
	struct sockaddr_un sa;
	socklen_t salen;
	mode_t old;
	int one = 1, n, saved;

	memset(ns, 0, sizeof(*ns));
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ns->fd < 0)
		return -1;
	if (setsockopt(ns->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto fail;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(ns->path, sizeof(ns->path), "%s/%s.notify", run_dir, name);
	if (n > 0 && (size_t)n < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, ns->path, (size_t)n + 1);
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n +
				    1);
		if (unlink(ns->path) < 0 && errno != ENOENT)
			goto fail;
		/* no moment at which another user could send before the owner
		 * and mode are the ones wanted */
		old = umask(0177);
		n = bind(ns->fd, (struct sockaddr *)&sa, salen);
		umask(old);
		if (n < 0)
			goto fail;
		ns->bound = true;
		if (uid != (uid_t)-1 &&
		    fchownat(AT_FDCWD, ns->path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			goto fail;
		snprintf(ns->env, sizeof(ns->env), "NOTIFY_SOCKET=%s", ns->path);
		return 0;
	}
	/* too long for sun_path: an abstract name, unique by the monitor's PID */
	n = snprintf(ns->path, sizeof(ns->path), "@svcctl/%s/%d", name, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(sa.sun_path, ns->path, (size_t)n);
	sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n);
	if (bind(ns->fd, (struct sockaddr *)&sa, salen) < 0)
		goto fail;
	snprintf(ns->env, sizeof(ns->env), "NOTIFY_SOCKET=%s", ns->path);
	return 0;
fail:
	saved = errno;
	notify_close(ns);
	errno = saved;
	return -1;
}

/* Closes the socket and removes its file */
void notify_close(struct notify_socket *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
	if (ns->bound)
		(void)unlink(ns->path);
	ns->bound = false;
}

/* One queued datagram into ns->buf, parsed into msg, with the sender's
 * credentials (cred_ok false when none came) and the descriptors that came
 * with it in ns->fds (the caller closes them with notify_close_fds once it
 * has acted on the message: systemd-notify's BARRIER=1 waits for that).
 * 1: a message; 0: none queued; -1 with errno. A truncated datagram, or
 * one that parses to nothing, is a message with nothing set. */
int notify_recv(struct notify_socket *ns, struct notify_msg *msg, struct ucred *cred,
		bool *cred_ok)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	} control;
	struct iovec iov = {ns->buf, sizeof(ns->buf) - 1};
	struct msghdr mh;
	ssize_t n;

	*cred_ok = false;
	ns->nfds = 0;
	memset(msg, 0, sizeof(*msg));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(ns->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			*cred_ok = true;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k && ns->nfds < NOTIFY_FDS_MAX; i++)
				memcpy(&ns->fds[ns->nfds++],
				       CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
	/* descriptors beyond the control buffer were closed by the kernel */
	if (mh.msg_flags & MSG_TRUNC)
		return 1;
	(void)notify_parse(ns->buf, (size_t)n, msg);
	return 1;
}

/* Closes what the last message brought (BARRIER=1, FDSTORE=1) */
void notify_close_fds(struct notify_socket *ns)
{
	for (size_t i = 0; i < ns->nfds; i++)
		(void)close(ns->fds[i]);
	ns->nfds = 0;
}

/* Is pi a process of the program: the program itself (pid program, started
 * at program_start), a process of its group g (alive or a zombie), or a
 * descendant of it (each process up the chain started at or after it)? */
bool notify_of_program(pid_t pid, const struct proc_info *pi, pid_t program,
		       unsigned long long program_start, const struct group_id *g)
{
	struct proc_info up = *pi;

	if (program <= 0 || pid <= 0)
		return false;
	if (pid == program)
		return pi->starttime == program_start;
	if (g && g->pgid > 0 && pi->pgid == g->pgid &&
	    (g->sid <= 0 || pi->sid == g->sid) && pi->starttime >= g->since)
		return true;
	for (int depth = 0; depth < NOTIFY_ANCESTORS_MAX; depth++) {
		pid_t parent = up.ppid;

		if (up.starttime < program_start || parent <= 1)
			return false;
		if (proc_stat(parent, &up) < 0)
			return false;
		if (parent == program)
			return up.starttime == program_start;
	}
	return false;
}

/* May this sender speak for the service? Its uid is root's or the
 * service's, and the PID it sent from (or named, as root) is a process of
 * the program that still exists: one gone from /proc cannot be checked and
 * is refused. */
bool notify_sender_ok(const struct ucred *cred, uid_t uid, pid_t program,
		      unsigned long long program_start, const struct group_id *g)
{
	struct proc_info pi;

	if (cred->uid != 0 && cred->uid != uid)
		return false;
	if (cred->pid <= 0 || proc_stat(cred->pid, &pi) < 0)
		return false;
	return notify_of_program(cred->pid, &pi, program, program_start, g);
}
