/* Stress helper: "decoy COUNTFILE [-t] [WORD...]" waits forever and appends
 * the number of every catchable signal it gets to COUNTFILE, one a line, from
 * the handler itself (write(2) on an O_APPEND descriptor is async-signal-safe),
 * so a signal is counted even when another follows at once. Only SIGKILL and
 * SIGSTOP escape it: a decoy that is gone was killed. With -t it exits after
 * counting a SIGTERM, as a service's copy of the same program would. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int count_fd = -1;
static int term_exits;

static void count(int sig)
{
	char line[4] = {(char)('0' + sig / 10), (char)('0' + sig % 10), '\n', 0};

	write(count_fd, line, 3);
	if (sig == SIGTERM && term_exits)
		_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int sig;

	if (argc < 2)
		return 2;
	count_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (count_fd < 0)
		return 3;
	term_exits = argc > 2 && strcmp(argv[2], "-t") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			sigaction(sig, &sa, NULL);
	for (;;)
		pause();
}
