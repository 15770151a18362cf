/*
 * spew - the log throughput benchmark's program.
 *
 *   spew [LINES]
 *
 * Writes LINES (default 1,000,000) numbered lines of 60 bytes to stdout as
 * fast as it can ("0000000 " then filler, then a newline; numbers from 0),
 * then waits in pause() so that no supervisor restarts it and writes the
 * lines again.  SIGTERM ends it.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	long lines = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	for (long i = 0; i < lines; i++) {
		/* 8 + 51 + 1 = 60 bytes */
		if (printf("%07ld the quick brown fox jumps over the lazy dog, twice.\n",
			   i) < 0)
			return 1;
	}
	if (fflush(stdout) != 0)
		return 1;
	for (;;)
		pause();
}
