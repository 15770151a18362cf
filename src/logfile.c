/* A service's log file: the tail and follow that logs and status print. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

/* Output of logs and status, buffered: a thousand lines are a few writes. */
struct line_out {
	int fd;
	const char *indent;
	size_t n;
	char buf[16384];
};

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
 * only what is printed and the first line is never a fragment. */
static int tail_start(int in, off_t size, int lines, off_t *start)
{
	char block[65536];
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

/* Copies from..to of the file to the output, line by line. */
static int copy_lines(struct line_out *o, int in, off_t from, off_t to, bool partial,
		      off_t *upto)
{
	char buf[65536];
	size_t have = 0;
	off_t pos = from;

	*upto = from;
	while (pos < to) {
		size_t want = sizeof(buf) - have;
		ssize_t r, used;

		if ((off_t)want > to - pos)
			want = (size_t)(to - pos);
		r = pread(in, buf + have, want, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		pos += r;
		have += (size_t)r;
		used = emit_lines(o, buf, have, false);
		/* only a line longer than the whole buffer is printed in pieces */
		if (used == 0 && have == sizeof(buf))
			used = emit_lines(o, buf, have, true);
		if (used < 0)
			return -1;
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		*upto = pos - (off_t)have;
	}
	if (partial && have) {
		if (emit_lines(o, buf, have, true) < 0)
			return -1;
		*upto = pos;
	}
	return 0;
}

/* The log as root reads it: never through a link a user could have made. */
static int open_log(const char *path, struct stat *st)
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

/* Writes the last lines of path to fd, each prefixed by indent. Returns 0,
 * or -1 with errno (unreadable, not a regular file, write error). */
int log_tail(const char *path, int lines, const char *indent, int fd)
{
	struct line_out o = {.fd = fd, .indent = indent};
	struct stat st;
	off_t start, upto;
	int in, rc = -1, saved;

	if (lines <= 0)
		return 0;
	in = open_log(path, &st);
	if (in < 0)
		return -1;
	if (tail_start(in, st.st_size, lines, &start) == 0 &&
	    copy_lines(&o, in, start, st.st_size, true, &upto) == 0)
		rc = 0;
	saved = errno;
	if (out_flush(&o) < 0 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	close(in);
	errno = saved;
	return rc;
}

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* tail -F in C: prints the last lines, then what is appended, and follows
 * the path across rotation (renamed away and replaced) and truncation by
 * re-examining it every quarter second. Returns only on an error. */
int log_follow(const char *path, int lines, int fd)
{
	struct line_out o = {.fd = fd, .indent = ""};
	struct stat st, now;
	off_t pos;
	int in = open_log(path, &st), saved;

	if (in < 0)
		return -1;
	pos = st.st_size;
	if (lines > 0 && tail_start(in, st.st_size, lines, &pos) < 0)
		goto fail;
	for (;;) {
		if (fstat(in, &now) < 0)
			goto fail;
		if (now.st_size < pos) /* truncated: start again at its beginning */
			pos = 0;
		if (copy_lines(&o, in, pos, now.st_size, false, &pos) < 0 ||
		    out_flush(&o) < 0)
			goto fail;
		if (stat(path, &now) == 0 &&
		    (now.st_ino != st.st_ino || now.st_dev != st.st_dev)) {
			/* replaced: finish the old file, then read the new one whole */
			int next = open_log(path, &now);
			if (next >= 0) {
				struct stat old;
				if (fstat(in, &old) == 0 &&
				    copy_lines(&o, in, pos, old.st_size, true, &pos) <
					    0) {
					close(next);
					goto fail;
				}
				close(in);
				in = next;
				st = now;
				pos = 0;
				continue;
			}
		}
		nap(250);
	}
fail:
	saved = errno;
	close(in);
	errno = saved;
	return -1;
}
