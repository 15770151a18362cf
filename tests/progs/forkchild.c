/* Test program: forks a child that writes its PID to argv[1]; both wait. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid;

	if (argc < 2)
		return 2;
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		FILE *f = fopen(argv[1], "w");
		if (!f)
			_exit(4);
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	for (;;)
		pause();
}
