/* A service's log file: the tail that logs and status print and the pieces
 * logs -f (follow.c) copies with, and the monitor's sink that writes it
 * (lines, rotation, reopen, syslog). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

/* Output of logs and status, buffered: a thousand lines are a few dozen
 * writes. A page, and never zeroed: the status block's tail sits on the
 * stack below it and touches no page that one status has not used already. */
struct line_out {
	int fd;
	const char *indent;
	size_t n;
	char buf[4096];
};

static void out_init(struct line_out *o, int fd, const char *indent)
{
	o->fd = fd;
	o->indent = indent;
	o->n = 0;
}

static int out_flush(struct line_out *o)
{
	ssize_t w = write_full(o->fd, o->buf, o->n);

	o->n = 0;
	return w < 0 ? -1 : 0;
}

static int out_bytes(struct line_out *o, const char *p, size_t len)
{
	while (len) {
		size_t take = sizeof(o->buf) - o->n < len ? sizeof(o->buf) - o->n : len;

		memcpy(o->buf + o->n, p, take);
		o->n += take;
		p += take;
		len -= take;
		if (o->n == sizeof(o->buf) && out_flush(o) < 0)
			return -1;
	}
	return 0;
}

/* The one place a line of a service's log reaches the terminal: whatever
 * makes a line safe to print belongs here. */
static int emit_line(struct line_out *o, const char *line, size_t len)
{
	/* control bytes made visible, NUL bytes included: a log line never
	 * drives the terminal and never ends early */
	char *vis = xcalloc(1, 4 * len + 1);
	size_t vlen = text_visible(line, len, vis, 4 * len + 1);
	int rc = 0;

	if (out_bytes(o, o->indent, strlen(o->indent)) < 0 ||
	    out_bytes(o, vis, vlen) < 0 || out_bytes(o, "\n", 1) < 0)
		rc = -1;
	free(vis);
	return rc;
}

/* Emits the complete lines of buf[0..len); returns how many bytes were
 * consumed (an unfinished last line is left unless flush_partial). */
static ssize_t emit_lines(struct line_out *o, const char *buf, size_t len,
			  bool flush_partial)
{
	size_t done = 0;

	while (done < len) {
		const char *nl = memchr(buf + done, '\n', len - done);
		if (!nl && !flush_partial)
			break;
		size_t end = nl ? (size_t)(nl - buf) : len;
		if (emit_line(o, buf + done, end - done) < 0)
			return -1;
		done = nl ? end + 1 : len;
	}
	return (ssize_t)done;
}

/* Where the last `lines` lines of the file (size bytes) begin: read
 * backwards in blocks until enough newlines are seen, so a large log costs
 * only what is printed and the first line is never a fragment. A block is
 * a page: the lines status shows are mostly in the last one, and a deeper
 * stack would be pages faulted in only to stay empty. */
int log_tail_start(int in, off_t size, int lines, off_t *start)
{
	char block[4096];
	off_t pos = size;
	int found = 0;
	bool last = true;

	*start = 0;
	while (pos > 0) {
		size_t take = pos < (off_t)sizeof(block) ? (size_t)pos : sizeof(block);
		ssize_t r;

		pos -= (off_t)take;
		r = pread(in, block, take, pos);
		if (r < 0 && errno == EINTR) {
			pos += (off_t)take;
			continue;
		}
		if (r < 0)
			return -1;
		if ((size_t)r < take) /* truncated under us: start at its new end */
			take = (size_t)r;
		for (size_t i = take; i-- > 0;) {
			if (block[i] != '\n')
				continue;
			if (last && pos + (off_t)i == size - 1) /* the final newline */
				continue;
			if (++found == lines) {
				*start = pos + (off_t)i + 1;
				return 0;
			}
		}
		last = false;
	}
	return 0;
}

/* Copies from..to of the file to the output, line by line. The buffer is
 * no larger than the range and a byte (so what fits is never a line "longer
 * than the buffer"), at most COPY_BUF: a short tail touches no more memory
 * than it reads. */
#define COPY_BUF 65536

static int copy_lines(struct line_out *o, int in, off_t from, off_t to, bool partial,
		      off_t *upto)
{
	size_t size = to - from < COPY_BUF ? (size_t)(to - from) + 1 : COPY_BUF;
	size_t have = 0;
	off_t pos = from;
	char *buf;
	int rc = -1, saved;

	*upto = from;
	if (pos >= to)
		return 0;
	buf = malloc(size);
	if (!buf)
		return -1;
	while (pos < to) {
		size_t want = size - have;
		ssize_t r, used;

		if ((off_t)want > to - pos)
			want = (size_t)(to - pos);
		r = pread(in, buf + have, want, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		pos += r;
		have += (size_t)r;
		used = emit_lines(o, buf, have, false);
		/* only a line longer than the whole buffer is printed in pieces */
		if (used == 0 && have == size)
			used = emit_lines(o, buf, have, true);
		if (used < 0)
			goto out;
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		*upto = pos - (off_t)have;
	}
	if (partial && have) {
		if (emit_lines(o, buf, have, true) < 0)
			goto out;
		*upto = pos;
	}
	rc = 0;
out:
	saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

/* The log as root reads it: never through a link a user could have made. */
int log_open(const char *path, struct stat *st)
{
	const char *why;
	int in = path_open_trusted(path, O_RDONLY, 0, &why);

	if (in < 0)
		return -1;
	if (fstat(in, st) < 0) {
		int saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(in);
		errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	return in;
}

/* Writes the last lines of path to fd, each prefixed by indent; window > 0
 * bounds how much of the end is read (LOG_TAIL_WINDOW). Returns 0,
 * or -1 with errno (unreadable, not a regular file, write error). */
int log_tail(const char *path, int lines, off_t window, const char *indent, int fd)
{
	struct line_out o;
	struct stat st;
	off_t start, upto;
	int in, rc = -1, saved;

	if (lines <= 0)
		return 0;
	out_init(&o, fd, indent);
	in = log_open(path, &st);
	if (in < 0)
		return -1;
	if (log_tail_start(in, st.st_size, lines, &start) == 0) {
		/* window > 0: no more than its last bytes, a line cut there
		 * shown from the cut */
		if (window > 0 && st.st_size - start > window)
			start = st.st_size - window;
		if (copy_lines(&o, in, start, st.st_size, true, &upto) == 0)
			rc = 0;
	}
	saved = errno;
	if (out_flush(&o) < 0 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	close(in);
	errno = saved;
	return rc;
}

/* Writes bytes from..to of in to fd as log_tail prints them: whole lines
 * (the last one too when partial), *upto set past what was printed. */
int log_copy(int in, off_t from, off_t to, bool partial, off_t *upto, int fd)
{
	struct line_out o;
	int rc, saved;

	out_init(&o, fd, "");
	rc = copy_lines(&o, in, from, to, partial, upto);
	saved = errno;

	if (out_flush(&o) < 0 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	errno = saved;
	return rc;
}

/* ---- the monitor's log sink ---------------------------------------------
 *
 * The monitor reads the program's output from a pipe and hands it here. A
 * line is the unit everywhere: it is written whole, rotation happens between
 * two lines, and a line longer than LOG_LINE_MAX becomes several lines of at
 * most that size, so a program that never writes a newline cannot make the
 * monitor hold an unbounded buffer. Each stream keeps its own unfinished
 * line: a partial stdout line never swallows a stderr line.
 *
 * To a file, the complete lines of one read go out in one writev(2), taken
 * where they lie in the caller's buffer (the kept partial line and the
 * newlines added at splits are the only other pieces): the sink copies only
 * the tail of a read that ends mid-line. A line that cannot be written is
 * counted in lost_lines, never dropped without a trace; every line written
 * ends with its newline, so a line is lost when its newline was not written. */

/* iovecs in one writev; a piece takes at most three, a batch that fills up
 * is written and a new one begun */
#define BATCH_IOV 64

struct batch {
	struct iovec iov[BATCH_IOV];
	int n;
	size_t bytes;
};

static const char newline[1] = {'\n'};

static void sink_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The current file, by name in the verified directory: root's 0640 when it
 * is made here (fchmod: the monitor's umask plays no part), appended to when
 * it exists, refused when it is a link, a FIFO or anything but a file. */
static int file_open(struct logsink *ls, const char **why)
{
	const char *base = ls->path + ls->base;
	struct stat st;
	bool made;
	int fd, saved;

	/* the file as it is first, so a link there is refused as a link */
	fd = path_openat_trusted(ls->dirfd, base, O_WRONLY | O_APPEND, 0, why);
	made = fd < 0 && errno == ENOENT;
	if (made)
		fd = path_openat_trusted(ls->dirfd, base,
					 O_WRONLY | O_APPEND | O_CREAT | O_EXCL, 0640,
					 why);
	if (fd < 0 && made && errno == EEXIST) {
		made = false;
		fd = path_openat_trusted(ls->dirfd, base, O_WRONLY | O_APPEND, 0, why);
	}
	if (fd < 0)
		return -1;
	if ((made && fchmod(fd, 0640) < 0) || fstat(fd, &st) < 0) {
		saved = errno;
		*why = NULL;
		close(fd);
		errno = saved;
		return -1;
	}
	ls->fd = fd;
	ls->size = (uint64_t)st.st_size;
	return 0;
}

/* Lines whose newline is in the unwritten iovecs: each piece ends with
 * exactly one newline and has none inside. */
static uint64_t newlines_in(const struct iovec *iov, int n)
{
	uint64_t count = 0;

	for (int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base, *end = p + iov[i].iov_len;

		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			count++;
			p++;
		}
	}
	return count;
}

/* Writes the batch: 0, or -1 with errno and the lines not written counted. */
static int batch_write(struct logsink *ls, struct batch *b)
{
	struct iovec *iov = b->iov;
	int n = b->n, saved, rc = 0;
	const char *why;

	if (n == 0)
		return 0;
	/* a rotation that could not make the new file: try again */
	if (ls->fd < 0 && file_open(ls, &why) < 0)
		goto lost;
	while (n > 0) {
		ssize_t w = writev(ls->fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto lost;
		ls->size += (uint64_t)w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	goto out;
lost:
	saved = errno;
	ls->lost_lines += newlines_in(iov, n);
	errno = saved;
	rc = -1;
out:
	b->n = 0;
	b->bytes = 0;
	return rc;
}

static void batch_add(struct batch *b, const void *p, size_t len)
{
	struct iovec *last = b->n ? &b->iov[b->n - 1] : NULL;

	if (len == 0)
		return;
	if (last && (const char *)last->iov_base + last->iov_len == p)
		last->iov_len += len;
	else
		b->iov[b->n++] = (struct iovec){.iov_base = (void *)p, .iov_len = len};
	b->bytes += len;
}

/* NAME.log.(N-1) -> NAME.log.N ... NAME.log -> NAME.log.1, all in the
 * directory verified at open, then a fresh NAME.log. Renaming over
 * NAME.log.N removes the oldest; a name a user replaced with a link is
 * renamed as the link, never followed. With no backups the file is
 * replaced by an empty one. */
static int file_rotate(struct logsink *ls)
{
	const char *base = ls->path + ls->base, *why;
	char from[LOGSINK_PATH_MAX + 16], to[LOGSINK_PATH_MAX + 16];
	int rc = 0, saved = 0;

	for (int i = ls->backups - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", base, i);
		snprintf(to, sizeof(to), "%s.%d", base, i + 1);
		if (renameat(ls->dirfd, from, ls->dirfd, to) < 0 && errno != ENOENT) {
			saved = errno;
			rc = -1;
		}
	}
	if (ls->backups > 0) {
		snprintf(to, sizeof(to), "%s.1", base);
		if (renameat(ls->dirfd, base, ls->dirfd, to) < 0 && errno != ENOENT) {
			saved = errno;
			rc = -1;
		}
	} else if (unlinkat(ls->dirfd, base, 0) < 0 && errno != ENOENT) {
		saved = errno;
		rc = -1;
	}
	sink_close_fd(&ls->fd);
	if (file_open(ls, &why) < 0) {
		saved = errno;
		rc = -1;
	}
	ls->rotations++;
	errno = saved;
	return rc;
}

/* One piece to the file: rotated first when the file has something and
 * the piece would take it past max_bytes, so a line never straddles two
 * files (a piece longer than max_bytes gets a file of its own). */
static int file_piece(struct logsink *ls, struct batch *b, struct logsink_partial *part,
		      const char *text, size_t take, bool has_newline)
{
	uint64_t line = part->len + take + 1, used = ls->size + b->bytes;
	int rc = 0;

	if (ls->max_bytes && used > 0 && used + line > ls->max_bytes) {
		if (batch_write(ls, b) < 0)
			rc = -1;
		if (file_rotate(ls) < 0)
			rc = -1;
	}
	if (b->n > BATCH_IOV - 3 && batch_write(ls, b) < 0)
		rc = -1;
	batch_add(b, part->text, part->len);
	if (has_newline) {
		batch_add(b, text, take + 1);
	} else {
		batch_add(b, text, take);
		batch_add(b, newline, 1);
	}
	return rc;
}

/* ---- syslog --------------------------------------------------------------- */

static int syslog_connect(struct logsink *ls)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = LOGSINK_SEND_TIMEOUT};
	int fd, r, saved;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, ls->syslog_path, strlen(ls->syslog_path) + 1);
	/* back-pressure from a busy syslogd is fine, a stuck one must not
	 * hold the monitor: a send waits this long at most */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		goto fail;
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		goto fail;
	ls->fd = fd;
	ls->stalled = false;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* "<PRI>Mmm dd hh:mm:ss IDENT[PID]: " (RFC 3164), in the C locale's words */
static size_t syslog_header(const struct logsink *ls, enum log_stream stream, char *buf,
			    size_t cap)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int pri = LOG_DAEMON | (stream == LOG_STDERR ? LOG_ERR : LOG_INFO);
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	n = snprintf(buf, cap, "<%d>%s %2d %02d:%02d:%02d %s", pri,
		     months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ls->ident);
	if (n >= 0 && (size_t)n < cap)
		n += ls->pid > 0
			? snprintf(buf + n, cap - (size_t)n, "[%ld]: ", (long)ls->pid)
			: snprintf(buf + n, cap - (size_t)n, ": ");
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static bool syslog_reconnectable(int err)
{
	return err == ECONNREFUSED || err == ENOTCONN || err == ENOENT;
}

/* One piece as one datagram, without its newline. A syslogd that went away
 * (restarted) is reconnected once; a send that timed out marks the sink
 * stalled, and while it is, sends do not wait: the first that gets
 * through ends it. A line that is not sent is counted lost. */
static int syslog_piece(struct logsink *ls, enum log_stream stream,
			const struct logsink_partial *part, const char *text, size_t take)
{
	char head[128 + SERVICE_NAME_MAX];
	struct iovec iov[3] = {
		{.iov_base = head, .iov_len = 0},
		{.iov_base = (void *)part->text, .iov_len = part->len},
		{.iov_base = (void *)text, .iov_len = take},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 3};
	bool reconnected = false;
	ssize_t r;

	iov[0].iov_len = syslog_header(ls, stream, head, sizeof(head));
	if (ls->fd < 0) {
		if (syslog_connect(ls) < 0)
			goto lost;
		reconnected = true;
	}
	for (;;) {
		do
			r = sendmsg(ls->fd, &mh,
				    MSG_NOSIGNAL | (ls->stalled ? MSG_DONTWAIT : 0));
		while (r < 0 && errno == EINTR);
		if (r >= 0) {
			ls->stalled = false;
			return 0;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			ls->stalled = true;
			goto lost;
		}
		if (!syslog_reconnectable(errno) || reconnected)
			goto lost;
		sink_close_fd(&ls->fd);
		if (syslog_connect(ls) < 0)
			goto lost;
		reconnected = true;
	}
lost:
	ls->lost_lines++;
	return -1;
}

/* ---- the sink's interface ------------------------------------------------- */

static int copy_name(char *dst, size_t cap, const char *src, const char **why,
		     const char *too_long)
{
	size_t len = strlen(src);

	if (len >= cap) {
		*why = too_long;
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

int logsink_open(struct logsink *ls, const struct logsink_config *cfg, const char **why)
{
	const char *dummy, *base;
	int saved;

	if (!why)
		why = &dummy;
	*why = NULL;
	/* the text buffers are left untouched: pages the sink never uses stay
	 * clean in the monitor */
	ls->fd = -1;
	ls->dirfd = -1;
	ls->syslog = cfg->syslog;
	ls->stalled = false;
	ls->max_bytes = cfg->max_bytes;
	ls->backups = cfg->backups < 0 ? 0 : cfg->backups;
	ls->size = 0;
	ls->pid = 0;
	ls->lost_lines = 0;
	ls->rotations = 0;
	ls->base = 0;
	ls->path[0] = ls->syslog_path[0] = ls->ident[0] = '\0';
	ls->partial[LOG_STDOUT].len = ls->partial[LOG_STDERR].len = 0;
	if (copy_name(ls->ident, sizeof(ls->ident), cfg->ident ? cfg->ident : "", why,
		      "ident is too long") < 0)
		return -1;
	if (cfg->syslog) {
		if (copy_name(ls->syslog_path, sizeof(ls->syslog_path),
			      cfg->syslog_path ? cfg->syslog_path : "/dev/log", why,
			      "syslog socket path is too long") < 0)
			return -1;
		/* the time zone is read now: localtime_r later reads no file
		 * and allocates nothing */
		tzset();
		/* no syslogd yet (a service started before it at boot) is not
		 * an error: the sink connects at the first line it can send,
		 * and counts the lines it could not */
		if (syslog_connect(ls) < 0 && !syslog_reconnectable(errno)) {
			*why = "cannot connect to the syslog socket";
			return -1;
		}
		return 0;
	}
	if (!cfg->path) {
		*why = "no log file";
		errno = EINVAL;
		return -1;
	}
	if (copy_name(ls->path, sizeof(ls->path), cfg->path, why, "is too long") < 0)
		return -1;
	ls->dirfd = path_parent_trusted(ls->path, false, 0, &base, why);
	if (ls->dirfd < 0)
		return -1;
	/* room for ".N" after the name at rotation */
	if (strlen(base) > 240) {
		*why = "has too long a file name";
		errno = ENAMETOOLONG;
		goto fail;
	}
	ls->base = (size_t)(base - ls->path);
	if (file_open(ls, why) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	sink_close_fd(&ls->dirfd);
	errno = saved;
	return -1;
}

int logsink_feed(struct logsink *ls, enum log_stream stream, const char *buf, size_t len)
{
	struct logsink_partial *part = &ls->partial[stream == LOG_STDERR];
	struct batch b = {.n = 0};
	size_t pos = 0;
	int rc = 0, saved = 0;

	while (pos < len) {
		size_t room = LOG_LINE_MAX - part->len, avail = len - pos;
		const char *nl =
			memchr(buf + pos, '\n', avail < room + 1 ? avail : room + 1);
		size_t take;
		int r;

		if (nl)
			take = (size_t)(nl - (buf + pos));
		else if (avail > room)
			take = room; /* the line is split here */
		else
			break; /* the rest waits for its newline */
		if (ls->syslog)
			r = syslog_piece(ls, stream, part, buf + pos, take);
		else
			r = file_piece(ls, &b, part, buf + pos, take, nl != NULL);
		if (r < 0) {
			saved = errno;
			rc = -1;
		}
		/* consumed; its text stays in place until the batch is written */
		part->len = 0;
		pos += take + (nl != NULL);
	}
	if (!ls->syslog && batch_write(ls, &b) < 0) {
		saved = errno;
		rc = -1;
	}
	if (pos < len) {
		memcpy(part->text + part->len, buf + pos, len - pos);
		part->len += len - pos;
	}
	errno = saved;
	return rc;
}

int logsink_flush(struct logsink *ls)
{
	int rc = 0, saved = 0;

	for (int s = LOG_STDOUT; s <= LOG_STDERR; s++) {
		struct logsink_partial *part = &ls->partial[s];
		struct batch b = {.n = 0};
		int r;

		if (part->len == 0)
			continue;
		if (ls->syslog) {
			r = syslog_piece(ls, (enum log_stream)s, part, "", 0);
		} else {
			r = file_piece(ls, &b, part, "", 0, false);
			if (batch_write(ls, &b) < 0)
				r = -1;
		}
		if (r < 0) {
			saved = errno;
			rc = -1;
		}
		part->len = 0;
	}
	errno = saved;
	return rc;
}

int logsink_reopen(struct logsink *ls, const char **why)
{
	const char *dummy;
	int old = ls->fd, saved;

	if (!why)
		why = &dummy;
	*why = NULL;
	ls->fd = -1;
	if (ls->syslog) {
		sink_close_fd(&old);
		if (syslog_connect(ls) < 0) {
			*why = "cannot connect to the syslog socket";
			return -1;
		}
		return 0;
	}
	if (file_open(ls, why) < 0) {
		/* nothing is lost for a failed reopen: the old file goes on */
		saved = errno;
		ls->fd = old;
		errno = saved;
		return -1;
	}
	sink_close_fd(&old);
	return 0;
}

void logsink_set_pid(struct logsink *ls, pid_t pid)
{
	ls->pid = pid;
}

void logsink_close(struct logsink *ls)
{
	(void)logsink_flush(ls);
	sink_close_fd(&ls->fd);
	sink_close_fd(&ls->dirfd);
}
