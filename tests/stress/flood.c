/* Stress program: flood SECONDS COUNTFILE [MARK] writes numbered lines to
 * stdout as fast as it can for SECONDS, in blocks of whole lines, then a
 * last block of 1 MiB in one write, then writes to COUNTFILE how many
 * lines it wrote and exits 0. Line N is
 * flood_line(N) (flood.h): its number in ten digits, a blank, a filler
 * whose length and letter follow from N, a newline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "flood.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Lines from line + 1 on into block, up to size bytes; returns the bytes */
static size_t fill_block(char *block, size_t size, long *line)
{
	size_t used = 0;

	while (used + FLOOD_LINE_MAX <= size) {
		used += flood_line(*line + 1, block + used);
		(*line)++;
	}
	return used;
}

int main(int argc, char **argv)
{
	static char block[1 << 20];
	double end;
	long line = 0;
	char text[64];
	int fd, n;

	if (argc < 3)
		return 2;
	end = now() + atof(argv[1]);
	while (now() < end)
		if (write_all(STDOUT_FILENO, block, fill_block(block, 65536, &line)) < 0)
			return 3;
	/* the last block is a pipe's worth, written at once just before the
	 * exit: the reader has it all to drain after the exit */
	if (write_all(STDOUT_FILENO, block, fill_block(block, sizeof(block), &line)) < 0)
		return 3;
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	n = snprintf(text, sizeof(text), "%ld\n", line);
	if (fd < 0 || write_all(fd, text, (size_t)n) < 0 || close(fd) < 0)
		return 4;
	return 0;
}
