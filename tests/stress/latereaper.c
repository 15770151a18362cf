/* Stress helper: "latereaper MSEC CMD [ARG...]", PID 1 of a private PID
 * namespace that reaps late. It runs CMD and reaps it at once (its exit code
 * is latereaper's), but every other child, the orphans it inherits as init,
 * stays a zombie for MSEC milliseconds after it is first seen dead. With
 * MSEC 0 it reaps every child the moment it dies, as a conventional init. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procread.h"

#define ZOMBIE_MAX 4096

static struct {
	pid_t pid;
	long long seen_ms;
} zombies[ZOMBIE_MAX];
static int zombie_count;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a zombie whose parent is us, PID 1 */
static int is_zombie_child(int pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));

	return f && f[0] == 'Z' && strncmp(f + 1, " 1 ", 3) == 0;
}

static void note_zombies(long long now)
{
	struct dirent *de;
	DIR *proc;
	pid_t pid;
	int i;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((de = readdir(proc))) {
		pid = (pid_t)atoi(de->d_name);
		if (pid <= 0 || !is_zombie_child(pid))
			continue;
		for (i = 0; i < zombie_count && zombies[i].pid != pid; i++)
			;
		if (i == zombie_count && zombie_count < ZOMBIE_MAX) {
			zombies[zombie_count].pid = pid;
			zombies[zombie_count++].seen_ms = now;
		}
	}
	closedir(proc);
}

int main(int argc, char **argv)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	long long delay_ms, now;
	pid_t child;
	int status, i;

	if (argc < 3 || getpid() != 1) {
		fprintf(stderr, "usage: latereaper MSEC CMD [ARG...] (as PID 1)\n");
		return 2;
	}
	delay_ms = atoll(argv[1]);
	child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	while (delay_ms == 0) {
		pid_t pid = waitpid(-1, &status, 0);

		if (pid == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (pid < 0 && errno != EINTR)
			return 2;
	}
	for (;;) {
		if (waitpid(child, &status, WNOHANG) == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		now = now_ms();
		note_zombies(now);
		for (i = 0; i < zombie_count;) {
			if (now - zombies[i].seen_ms < delay_ms) {
				i++;
				continue;
			}
			waitpid(zombies[i].pid, NULL, WNOHANG);
			zombies[i] = zombies[--zombie_count];
		}
		nanosleep(&tick, NULL);
	}
}
