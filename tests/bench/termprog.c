/*
 * termprog - the benchmark's test program.
 *
 *   termprog            wait for signals; exit 0 on SIGTERM (or SIGINT)
 *   termprog ignore     ignore SIGTERM; only SIGKILL ends it
 *   termprog fail       exit 1 at once (a program that fails on start-up)
 *
 * A shell loop is no good as the "TERM-responsive" program: sh runs a trap only
 * after the foreground `sleep` returns, so it answers TERM up to a second late.
 * Dispositions are set explicitly so that an ignored TERM inherited from the
 * tool under test cannot change the result.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t none;

	if (argc > 1 && strcmp(argv[1], "fail") == 0)
		return 1;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (argc > 1 && strcmp(argv[1], "ignore") == 0)
		sa.sa_handler = SIG_IGN;
	else
		sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;)
		pause();
}
