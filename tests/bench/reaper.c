/*
 * reaper - run a command as the child of a prompt child subreaper.
 *
 *   reaper CMD [ARG...]
 *
 * With PR_SET_CHILD_SUBREAPER every orphan among the command's descendants
 * (a double-forked daemon whose launcher exited) is re-parented to this process
 * instead of PID 1, and is reaped here the moment it dies, as a conventional
 * init does.  The exit status is the command's; descendants still running when
 * the command exits are left to PID 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child, pid;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		perror("reaper: prctl(PR_SET_CHILD_SUBREAPER)");
		return 2;
	}
	child = fork();
	if (child == -1) {
		perror("reaper: fork");
		return 2;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "reaper: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			perror("reaper: waitpid");
			return 2;
		}
		if (pid != child)
			continue;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		return 128 + WTERMSIG(status);
	}
}
