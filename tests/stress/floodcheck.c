/* Stress program: floodcheck DIR NAME STOPFILE COUNTFILE checks the log of
 * the flood (stress 05). While STOPFILE does not exist it takes every
 * rotated file, DIR/NAME.log.K, out of the rotation's way (renamed to
 * DIR/checked.NNNNNN, so the rotation can never delete it), checks it and
 * removes it; then the last rotated files and DIR/NAME.log. Every line
 * must be a whole flood_line() (flood.h), numbered one more than the line
 * before it in the same file, and the files together must hold lines 1 to
 * the count in COUNTFILE, each once. Prints "lines=N bytes=B files=F" and
 * what is wrong; exits 0 when nothing is. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flood.h"

struct range {
	long first, last;
};

static struct range *ranges;
static size_t nranges, cap;
static long long total_lines, total_bytes, files;
static long backlog; /* the highest K of NAME.log.K seen: how far behind */
static int errors;

static void problem(const char *file, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(const char *file, const char *fmt, ...)
{
	va_list ap;

	if (errors++ >= 20)
		return;
	printf("%s: ", file);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* checks one file, whole; its range of line numbers joins the others */
static void check_file(int dirfd, const char *name, const char *shown)
{
	static char buf[1 << 20];
	char expect[FLOOD_LINE_MAX];
	size_t have = 0;
	long first = 0, prev = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		problem(shown, "cannot open: %s", strerror(errno));
		return;
	}
	files++;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		size_t at = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		total_bytes += r;
		for (;;) {
			char *nl = memchr(buf + at, '\n', have - at);
			size_t len;
			long n;

			if (!nl)
				break;
			len = (size_t)(nl - (buf + at)) + 1;
			n = len > FLOOD_DIGITS ? strtol(buf + at, NULL, 10) : 0;
			if (n <= 0 || len > FLOOD_LINE_MAX ||
			    flood_line(n, expect) != len ||
			    memcmp(expect, buf + at, len) != 0) {
				problem(shown, "torn line after line %ld (%ld bytes)",
					prev, (long)len);
			} else {
				if (prev && n != prev + 1)
					problem(shown, "line %ld follows line %ld", n,
						prev);
				if (!first)
					first = n;
				prev = n;
				total_lines++;
			}
			at += len;
		}
		memmove(buf, buf + at, have - at);
		have -= at;
	}
	if (have)
		problem(shown, "%ld bytes without a newline after line %ld", (long)have,
			prev);
	close(fd);
	if (!first)
		return;
	if (nranges == cap) {
		cap = cap ? 2 * cap : 256;
		ranges = realloc(ranges, cap * sizeof(*ranges));
		if (!ranges)
			exit(2);
	}
	ranges[nranges++] = (struct range){first, prev};
}

static unsigned long taken, checked; /* checked.N: N < taken made, N < checked done */

/* takes the rotated files there are now out of the rotation's way, which
 * is quick: they are checked afterwards, one between two sweeps */
static void sweep(int dirfd, const char *name)
{
	size_t len = strlen(name);
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *e;

	if (!d)
		exit(2);
	rewinddir(d);
	while ((e = readdir(d))) {
		char kept[64];

		if (strncmp(e->d_name, name, len) != 0 ||
		    strncmp(e->d_name + len, ".log.", 5) != 0)
			continue;
		if (atol(e->d_name + len + 5) > backlog)
			backlog = atol(e->d_name + len + 5);
		snprintf(kept, sizeof(kept), "checked.%06lu", taken);
		/* ENOENT: the rotation moved it on meanwhile, the next sweep
		 * finds it under its new number */
		if (renameat(dirfd, e->d_name, dirfd, kept) == 0)
			taken++;
	}
	closedir(d);
}

/* checks and removes the oldest file taken; false when none waits */
static bool check_next(int dirfd)
{
	char kept[64];

	if (checked == taken)
		return false;
	snprintf(kept, sizeof(kept), "checked.%06lu", checked++);
	check_file(dirfd, kept, kept);
	(void)unlinkat(dirfd, kept, 0);
	return true;
}

static int by_first(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

int main(int argc, char **argv)
{
	struct timespec pause = {0, 2000000};
	char current[300];
	long count = 0, next = 1;
	FILE *f;
	int dirfd;

	if (argc < 5)
		return 2;
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 2;
	while (access(argv[3], F_OK) < 0) {
		sweep(dirfd, argv[2]);
		if (!check_next(dirfd))
			nanosleep(&pause, NULL);
	}
	sweep(dirfd, argv[2]);
	while (check_next(dirfd))
		;
	snprintf(current, sizeof(current), "%s.log", argv[2]);
	check_file(dirfd, current, current);
	f = fopen(argv[4], "re");
	if (!f || fscanf(f, "%ld", &count) != 1)
		problem(argv[4], "no count from the program");
	qsort(ranges, nranges, sizeof(*ranges), by_first);
	for (size_t i = 0; i < nranges; i++) {
		if (ranges[i].first != next)
			problem("log", "lines %ld.. follow line %ld", ranges[i].first,
				next - 1);
		next = ranges[i].last + 1;
	}
	if (next - 1 != count)
		problem("log", "the last line is %ld, the program wrote %ld", next - 1,
			count);
	if (total_lines != count)
		problem("log", "%lld lines, the program wrote %ld", total_lines, count);
	printf("lines=%lld bytes=%lld files=%lld backlog=%ld errors=%d\n", total_lines,
	       total_bytes, files, backlog, errors);
	return errors ? 1 : 0;
}
