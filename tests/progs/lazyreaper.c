/* Test program: "lazyreaper STATUSFILE CMD [ARG...]" runs CMD as a child
 * subreaper that never reaps the orphans it inherits, the way a PID 1 that
 * reaps late (or not at all) leaves a dead daemon a zombie. When CMD exits,
 * its exit status goes to STATUSFILE (written whole, by rename); then it
 * waits to be killed, and only then do its zombies go to init. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char tmp[4096];
	FILE *f;
	pid_t pid;
	int status, code;

	if (argc < 3)
		return 2;
	/* an inherited SIG_IGN for SIGCHLD would make the kernel reap for us */
	signal(SIGCHLD, SIG_DFL);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return 3;
	pid = fork();
	if (pid < 0)
		return 4;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 5;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 6;
	fprintf(f, "%d\n", code);
	fclose(f);
	if (rename(tmp, argv[1]) < 0)
		return 7;
	for (;;)
		pause();
}
