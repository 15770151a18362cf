/* Test program: a self-daemonizing launcher. forker [options] PIDFILE [WORD...]
 * forks; the child calls setsid and forks the daemon, which writes its PID to
 * PIDFILE (a temporary file renamed into place) and waits for a signal (HUP
 * only logs a line, as a reload). The launcher exits at once. Extra WORDs are ignored (a
 * marker for the tests). -x CODE  the launcher exits with CODE (the daemon runs on
 * anyway) -H       the launcher never exits -d MS    the daemon waits MS milliseconds
 * before it writes the pidfile -n       the daemon never writes the pidfile -w PID   the
 * daemon writes PID instead of its own -D       the daemon exits right after writing the
 * pidfile -c       the daemon first forks a child that waits too (same group) */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void on_hup(int sig)
{
	static const char line[] = "forker: daemon got HUP\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, line, sizeof(line) - 1);
}

static void write_pidfile(const char *path, long pid)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", pid) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		perror("forker: pidfile");
		_exit(4);
	}
}

int main(int argc, char **argv)
{
	int code = 0, hang = 0, never = 0, die = 0, extra = 0, opt;
	long delay_ms = 0, wrong = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "x:Hd:nw:Dc")) != -1) {
		switch (opt) {
		case 'x': code = atoi(optarg); break;
		case 'H': hang = 1; break;
		case 'd': delay_ms = atol(optarg); break;
		case 'n': never = 1; break;
		case 'w': wrong = atol(optarg); break;
		case 'D': die = 1; break;
		case 'c': extra = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc)
		return 2;
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid > 0) {
		printf("forker: launcher %ld exits with %d\n", (long)getpid(), code);
		fflush(stdout);
		while (hang)
			pause();
		return code;
	}
	if (setsid() < 0)
		_exit(3);
	pid = fork();
	if (pid != 0)
		_exit(pid < 0 ? 3 : 0);
	if (extra && fork() == 0)
		for (;;)
			pause();
	{
		struct sigaction sa = {0};

		sa.sa_handler = on_hup;
		sigaction(SIGHUP, &sa, NULL);
	}
	if (delay_ms > 0) {
		struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	if (!never)
		write_pidfile(argv[optind], wrong ? wrong : (long)getpid());
	printf("forker: daemon %ld is up\n", (long)getpid());
	fflush(stdout);
	if (die)
		return 0;
	for (;;)
		pause();
}
