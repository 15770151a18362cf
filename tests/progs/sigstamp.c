/* Test program: appends "NAME SECONDS.NANOSECONDS" (CLOCK_REALTIME) to argv[1]
 * for every HUP, INT, QUIT, USR1, USR2 or TERM it gets. On INT, QUIT or TERM
 * it waits argv[2] milliseconds (default 0), writes the line and exits at
 * once, so the last line is the time of its own exit. Further arguments are
 * ignored (a marker for the tests). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void handler(int sig)
{
	got = sig;
}

static const char *name(int sig)
{
	switch (sig) {
	case SIGHUP: return "HUP";
	case SIGINT: return "INT";
	case SIGQUIT: return "QUIT";
	case SIGUSR1: return "USR1";
	case SIGUSR2: return "USR2";
	default: return "TERM";
	}
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM};
	struct sigaction sa;
	sigset_t block, old;
	long delay_ms = argc > 2 ? atol(argv[2]) : 0;

	if (argc < 2)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		struct timespec ts;
		char line[64];
		int fd, sig, n;

		while (!got)
			sigsuspend(&old);
		sig = got;
		got = 0;
		if (delay_ms > 0 && (sig == SIGINT || sig == SIGQUIT || sig == SIGTERM)) {
			struct timespec d = {delay_ms / 1000,
					     (delay_ms % 1000) * 1000000L};
			nanosleep(&d, NULL);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		n = snprintf(line, sizeof(line), "%s %lld.%09ld\n", name(sig),
			     (long long)ts.tv_sec, ts.tv_nsec);
		fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, line, (size_t)n) < 0)
				n = -1;
			close(fd);
		}
		if (sig == SIGINT || sig == SIGQUIT || sig == SIGTERM)
			_exit(0);
	}
}
