/* Test program: appends the name of every HUP/USR1 it gets to argv[1]; exits
 * on TERM. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void handler(int sig)
{
	got = sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (argc < 2)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (;;) {
		pause();
		if (got) {
			FILE *f = fopen(argv[1], "a");
			if (f) {
				fprintf(f, "%s\n", got == SIGHUP ? "HUP" : "USR1");
				fclose(f);
			}
			got = 0;
		}
	}
}
