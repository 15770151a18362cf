/* Test program: writes what it inherited (umask, signal masks, descriptors,
 * session, tty, cwd, environment) to the file named by argv[1], then waits
 * to be stopped. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char line[512], cwd[4096];
	FILE *out, *status, *stat;
	DIR *d;
	struct dirent *de;
	mode_t mask = umask(0);
	int tty = -1;

	if (argc < 2)
		return 2;
	out = fopen(argv[1], "w");
	if (!out)
		return 3;
	umask(mask);
	fprintf(out, "umask=%04o\n", (unsigned)mask);
	status = fopen("/proc/self/status", "r");
	while (status && fgets(line, sizeof(line), status))
		if (!strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigBlk:", 7))
			fputs(line, out);
	if (status)
		fclose(status);
	d = opendir("/proc/self/fd");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			fprintf(out, "fd=%s\n", de->d_name);
	if (d)
		closedir(d);
	stat = fopen("/proc/self/stat", "r");
	if (stat && fgets(line, sizeof(line), stat)) {
		char *p = strrchr(line, ')');
		if (p)
			sscanf(p + 2, "%*c %*d %*d %*d %d", &tty);
	}
	if (stat)
		fclose(stat);
	fprintf(out, "pid=%d\npgid=%d\nsid=%d\ntty=%d\n", (int)getpid(), (int)getpgrp(),
		(int)getsid(0), tty);
	if (getcwd(cwd, sizeof(cwd)))
		fprintf(out, "cwd=%s\n", cwd);
	for (char **e = environ; *e; e++)
		fprintf(out, "env:%s\n", *e);
	fprintf(out, "done\n");
	fclose(out);
	for (;;)
		pause();
}
