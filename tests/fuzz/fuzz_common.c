#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

static char sandbox[PATH_MAX];

static void remove_sandbox(void)
{
	static const char *const files[] = {"services/f.ini", "svcctl.conf", "env",
					    "fuzz.conf", NULL};
	static const char *const dirs[] = {"services", "run", "log", NULL};
	char p[PATH_MAX];

	if (!sandbox[0])
		return;
	for (size_t i = 0; files[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", sandbox, files[i]);
		(void)unlink(p);
	}
	for (size_t i = 0; dirs[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", sandbox, dirs[i]);
		(void)rmdir(p);
	}
	(void)rmdir(sandbox);
}

const char *fuzz_sandbox(void)
{
	static const char *const dirs[] = {"services", "run", "log", NULL};
	const char *tmp = getenv("TMPDIR");
	char conf[PATH_MAX * 4];
	int n;

	if (sandbox[0])
		return sandbox;
	snprintf(sandbox, sizeof(sandbox), "%s/svcctl-fuzz.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sandbox)) {
		perror("fuzz: mkdtemp");
		exit(1);
	}
	atexit(remove_sandbox);
	for (size_t i = 0; dirs[i]; i++)
		if (mkdir(fuzz_path(dirs[i]), 0755) < 0) {
			perror("fuzz: mkdir");
			exit(1);
		}
	n = snprintf(conf, sizeof(conf),
		     "services_dir = \"%s/services\"\nrun_dir = \"%s/run\"\n"
		     "log_dir = \"%s/log\"\n",
		     sandbox, sandbox, sandbox);
	if (fuzz_put("svcctl.conf", (const uint8_t *)conf, (size_t)n) < 0) {
		perror("fuzz: svcctl.conf");
		exit(1);
	}
	return sandbox;
}

const char *fuzz_path(const char *rel)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", sandbox, rel);
	return p;
}

int fuzz_put(const char *rel, const uint8_t *data, size_t len)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sandbox, rel);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0)
		return -1;
	return rename(tmp, path);
}
