/* Shared by the stress helpers: reading /proc. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/NAME, read whole into buf (at most len - 1 bytes, then a NUL):
 * its length, or -1 when the process is gone */
static ssize_t proc_read(int pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* /proc/PID/stat after the command name: "S PPID PGRP ...", or NULL */
static const char *proc_stat_fields(int pid, char *buf, size_t len)
{
	char *p;

	if (proc_read(pid, "stat", buf, len) < 0)
		return NULL;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}
