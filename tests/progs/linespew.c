/* Test program: writes argv[1] numbered lines to stdout as fast as stdio
 * allows, each "NNNNNNN " (seven digits) padded with 'x' to argv[2]
 * characters and a newline, then sleeps argv[3] seconds (0: exits at once)
 * and exits 0. Further arguments are ignored (a marker for the tests). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	static char line[4096];
	long count, width, i;
	double delay;

	if (argc < 4)
		return 2;
	count = atol(argv[1]);
	width = atol(argv[2]);
	delay = atof(argv[3]);
	if (count < 0 || count > 9999999 || width < 8 || width >= (long)sizeof(line) - 1)
		return 2;
	memset(line, 'x', (size_t)width);
	line[width] = '\n';
	for (i = 1; i <= count; i++) {
		char num[32];

		snprintf(num, sizeof(num), "%07ld ", i);
		memcpy(line, num, 8);
		if (fwrite(line, 1, (size_t)width + 1, stdout) != (size_t)width + 1)
			return 3;
	}
	if (fflush(stdout) != 0)
		return 3;
	while (delay > 0) {
		struct timespec ts = {1, 0};

		nanosleep(&ts, NULL);
		delay -= 1;
	}
	return 0;
}
