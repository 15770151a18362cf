/* Test program: prints a line, then after argv[2] seconds (default 0) exits
 * with status argv[1], or kills itself with signal -argv[1]. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 1;
	double delay = argc > 2 ? atof(argv[2]) : 0;
	struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};

	printf("exitafter: going to end with %d\n", code);
	fflush(stdout);
	nanosleep(&ts, NULL);
	if (code < 0)
		raise(-code);
	return code;
}
