/* Stress helper: "burst N CMD [ARG...]" runs N copies of CMD at once: every
 * child blocks on a pipe until all are forked, then all exec together. It
 * prints the exit code of each copy, space-separated, and exits 0 when all
 * exited 0, 1 otherwise. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define BURST_MAX 256

int main(int argc, char **argv)
{
	pid_t pids[BURST_MAX];
	int gate[2], n, i, status, failed = 0;
	char c;

	if (argc < 3 || (n = atoi(argv[1])) < 1 || n > BURST_MAX) {
		fprintf(stderr, "usage: burst N CMD [ARG...]\n");
		return 2;
	}
	if (pipe(gate) < 0)
		return 2;
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("burst: fork");
			return 2;
		}
		if (pids[i] == 0) {
			close(gate[1]);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			close(gate[0]);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < n; i++) {
		while (waitpid(pids[i], &status, 0) < 0)
			if (errno != EINTR)
				return 2;
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		failed |= status != 0;
		printf("%s%d", i ? " " : "", status);
	}
	printf("\n");
	return failed;
}
