/* Test program: "sigwrap [-r] CMD [ARG...]" runs CMD with SIGHUP, SIGPIPE,
 * SIGCHLD and SIGTERM ignored and SIGUSR1, SIGUSR2, SIGINT and SIGALRM
 * blocked, the hostile inheritance a program started from a careless shell
 * or daemon gets. With -r, signals 32 and 33 (reserved by glibc, which
 * refuses sigaction() on them, but a caller such as GNU make's posix_spawn
 * can leave them ignored) are ignored too, through the raw system call. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the kernel's struct sigaction, as rt_sigaction(2) takes it */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

int main(int argc, char **argv)
{
	static const int ignored[] = {SIGHUP, SIGPIPE, SIGCHLD, SIGTERM};
	static const int blocked[] = {SIGUSR1, SIGUSR2, SIGINT, SIGALRM};
	sigset_t set;
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		struct kernel_sigaction ksa;

		memset(&ksa, 0, sizeof(ksa));
		ksa.handler = SIG_IGN;
		for (int sig = 32; sig <= 33; sig++)
			if (syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask)) < 0) {
				perror("sigwrap: rt_sigaction");
				return 2;
			}
		first = 2;
	}
	if (argc <= first)
		return 2;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		sigaddset(&set, blocked[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	execvp(argv[first], argv + first);
	perror(argv[first]);
	return 127;
}
