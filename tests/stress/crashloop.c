/* Stress program: a service that crashes, for the monitor's long-run check.
 * crashloop COUNTFILE CRASHES GATEFILE [MARK]: counts its runs in COUNTFILE
 * and prints one line per run. Run 1 lives a second (the start's ready
 * window), run 2 waits until GATEFILE exists (the monitor is measured
 * then), runs up to CRASHES crash at once with SIGSEGV (no core: not
 * dumpable), run CRASHES + 1 stays until a signal ends it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void crash(void) __attribute__((noreturn));

static void crash(void)
{
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	raise(SIGSEGV);
	_exit(139);
}

int main(int argc, char **argv)
{
	char buf[32] = "";
	long run, crashes;
	ssize_t n;
	int fd;

	if (argc < 4)
		return 2;
	crashes = atol(argv[2]);
	fd = open(argv[1], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 2;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	run = atol(buf) + 1;
	n = snprintf(buf, sizeof(buf), "%ld\n", run);
	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) < 0)
		return 2;
	close(fd);
	printf("crashloop: run %ld of %ld\n", run, crashes + 1);
	fflush(stdout);
	if (run == 1) {
		pause_ms(1000);
	} else if (run == 2) {
		for (int i = 0; i < 120000 / 10 && access(argv[3], F_OK) < 0; i++)
			pause_ms(10);
	} else if (run > crashes) {
		for (;;)
			pause();
	}
	crash();
}
