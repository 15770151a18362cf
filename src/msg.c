/* Messages for the user: "svcctl: NAME: what happened" on stderr, normal
 * output on stdout unless -q. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
