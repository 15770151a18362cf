/* Stress helper: "killat USEC CMD [ARG...]" runs CMD and sends it SIGKILL
 * USEC microseconds later. Exits 0 when the kill landed, 1 when CMD had
 * already ended (its exit code on stdout as "ended N"). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	long usec;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: killat USEC CMD [ARG...]\n");
		return 2;
	}
	usec = atol(argv[1]);
	ts.tv_sec = usec / 1000000;
	ts.tv_nsec = usec % 1000000 * 1000;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 2;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return 0;
	printf("ended %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 1;
}
