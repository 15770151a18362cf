/* Stress helper: "pcount WORD" prints the number of live processes (zombies
 * excluded) that carry WORD as one whole argument, then their PIDs, all on
 * one line, itself left out. It reads /proc, not what svcctl says.
 * "pcount -e PATH" counts the processes whose executable is PATH instead: a
 * program that has just exec()ed may show an empty command line for a moment
 * (the kernel sets up its arguments after the exec's point of no return), its
 * executable never. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procread.h"

#define PCOUNT_MAX 64

static int has_word(int pid, const char *word)
{
	char buf[8192];
	ssize_t len, off;

	len = proc_read(pid, "cmdline", buf, sizeof(buf));
	for (off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1)
		if (strcmp(buf + off, word) == 0)
			return 1;
	return 0;
}

static int runs(int pid, const char *path)
{
	char link[64], exe[4096];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	len = readlink(link, exe, sizeof(exe) - 1);
	if (len <= 0)
		return 0;
	exe[len] = '\0';
	return strcmp(exe, path) == 0;
}

static int is_live(int pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));

	return f && f[0] != 'Z' && f[0] != 'X';
}

int main(int argc, char **argv)
{
	int found[PCOUNT_MAX];
	struct dirent *de;
	DIR *proc;
	int n = 0, i, pid, by_exe;

	by_exe = argc == 3 && strcmp(argv[1], "-e") == 0;
	if (argc != 2 && !by_exe) {
		fprintf(stderr, "usage: pcount WORD | pcount -e PATH\n");
		return 2;
	}
	proc = opendir("/proc");
	if (!proc)
		return 2;
	while ((de = readdir(proc))) {
		pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		if ((by_exe ? runs(pid, argv[2]) : has_word(pid, argv[1])) && is_live(pid)) {
			if (n < PCOUNT_MAX)
				found[n] = pid;
			n++;
		}
	}
	closedir(proc);
	printf("%d", n);
	for (i = 0; i < n && i < PCOUNT_MAX; i++)
		printf(" %d", found[i]);
	printf("\n");
	return 0;
}
