/* Messages for the user: "svcctl: NAME: what happened" on stderr, normal
 * output on stdout unless -q; and the tail of a service's log. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

int verbosity = 1;
const char *progname = "svcctl";

static void vmsg(const char *name, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(const char *name, const char *fmt, va_list ap)
{
	char raw[2048], buf[4 * sizeof(raw) + 1];
	size_t n;

	/* one write per message, so concurrent svcctl runs do not interleave;
	 * a message may quote a value from a file, so it is made visible */
	if (name)
		snprintf(raw, sizeof(raw), "%s: %s: ", progname, name);
	else
		snprintf(raw, sizeof(raw), "%s: ", progname);
	n = strlen(raw);
	vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
	n = text_visible(raw, strlen(raw), buf, sizeof(buf) - 1);
	buf[n++] = '\n';
	(void)write_full(STDERR_FILENO, buf, n);
}

void msg_error(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(name, fmt, ap);
	va_end(ap);
}

void msg_warn(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg(name, fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void msg_verbose(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
}

/* Writes the last lines of path to fd, each prefixed by indent. Reads only
 * the end of the file, so a large log costs nothing. */
void log_tail(const char *path, int lines, const char *indent, int fd)
{
	char buf[16384];
	struct stat st;
	off_t off;
	ssize_t r;
	int in, found = 0;
	char *start;

	if (lines <= 0)
		return;
	/* never through a link the service's user planted to a root-only file */
	in = path_open_trusted(path, O_RDONLY, 0, NULL);
	if (in < 0)
		return;
	if (fstat(in, &st) < 0) {
		close(in);
		return;
	}
	off = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1
						  : 0;
	r = pread(in, buf, sizeof(buf) - 1, off);
	close(in);
	if (r <= 0)
		return;
	buf[r] = '\0';
	if (buf[r - 1] == '\n')
		buf[--r] = '\0';
	start = buf + r;
	while (start > buf) {
		if (start[-1] == '\n' && ++found == lines)
			break;
		start--;
	}
	/* by length, not as C strings: a NUL byte must not end the tail, and
	 * every line goes through text_visible() before it reaches a terminal */
	while (start < buf + r) {
		char *nl = memchr(start, '\n', (size_t)(buf + r - start)), *vis;
		size_t len = (size_t)((nl ? nl : buf + r) - start);

		vis = xcalloc(1, 4 * len + 1);
		text_visible(start, len, vis, 4 * len + 1);
		dprintf(fd, "%s%s\n", indent, vis);
		free(vis);
		start += len + (nl ? 1 : 0);
	}
}
