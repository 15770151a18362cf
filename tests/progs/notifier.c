/* Test program: an sd_notify sender linked to nothing. Sends its messages
 * to $NOTIFY_SOCKET ('@' first: an abstract address) with a plain sendmsg,
 * then runs the command after "--" in its place (or exits 0 without one).
 *
 *   notifier [--delay S] [--flag FILE S] [--status TEXT] [--after TEXT]
 *            [--mainpid PID] [--mainpid-child] [--no-ready]
 *            [--exit-before CODE] [--raw MESSAGE] [-- CMD ARG...]
 *
 * --delay S          wait S seconds before READY=1
 * --flag FILE S      if FILE exists, wait S more seconds; else create it
 *                    (a respawn that is slow to get ready)
 * --status TEXT      STATUS=TEXT with READY=1
 * --after TEXT       STATUS=TEXT in a second datagram after READY=1
 * --mainpid PID      MAINPID=PID with READY=1
 * --mainpid-child    fork; the child runs CMD, the parent sends MAINPID=
 *                    the child with READY=1 and exits 0
 * --no-ready         no READY=1 (the other messages still go)
 * --exit-before CODE exit CODE before sending anything
 * --raw MESSAGE      send MESSAGE as it is, and nothing else */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void nap(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int send_text(const char *text)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct iovec iov = {(void *)text, strlen(text)};
	struct msghdr mh = {0};
	size_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notifier: no usable NOTIFY_SOCKET\n");
		return -1;
	}
	len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	else
		len++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	mh.msg_name = &sa;
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(fd, &mh, 0) < 0) {
		perror("notifier: sendmsg");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *status = NULL, *after = NULL, *mainpid = NULL, *flag = NULL,
		   *raw = NULL;
	double delay = 0, flag_delay = 0;
	int ready = 1, mainpid_child = 0, i;
	char msg[4096], pidbuf[32];
	pid_t child = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--delay") == 0 && i + 1 < argc) {
			delay = atof(argv[++i]);
		} else if (strcmp(a, "--flag") == 0 && i + 2 < argc) {
			flag = argv[++i];
			flag_delay = atof(argv[++i]);
		} else if (strcmp(a, "--status") == 0 && i + 1 < argc) {
			status = argv[++i];
		} else if (strcmp(a, "--after") == 0 && i + 1 < argc) {
			after = argv[++i];
		} else if (strcmp(a, "--mainpid") == 0 && i + 1 < argc) {
			mainpid = argv[++i];
		} else if (strcmp(a, "--mainpid-child") == 0) {
			mainpid_child = 1;
		} else if (strcmp(a, "--no-ready") == 0) {
			ready = 0;
		} else if (strcmp(a, "--exit-before") == 0 && i + 1 < argc) {
			return atoi(argv[++i]);
		} else if (strcmp(a, "--raw") == 0 && i + 1 < argc) {
			raw = argv[++i];
		} else {
			fprintf(stderr, "notifier: bad argument '%s'\n", a);
			return 2;
		}
	}
	printf("notifier: pid %d\n", (int)getpid());
	fflush(stdout);
	if (raw)
		return send_text(raw) < 0 ? 1 : 0;
	if (flag) {
		if (access(flag, F_OK) == 0) {
			nap(flag_delay);
		} else {
			FILE *f = fopen(flag, "w");
			if (f)
				fclose(f);
		}
	}
	nap(delay);
	if (mainpid_child) {
		child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			if (i < argc)
				execvp(argv[i], argv + i);
			for (;;)
				pause();
		}
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
		mainpid = pidbuf;
	}
	snprintf(msg, sizeof(msg), "%s%s%s%s%s%s", ready ? "READY=1\n" : "",
		 status ? "STATUS=" : "", status ? status : "", status ? "\n" : "",
		 mainpid ? "MAINPID=" : "", mainpid ? mainpid : "");
	if (msg[0] && send_text(msg) < 0)
		return 1;
	if (after) {
		snprintf(msg, sizeof(msg), "STATUS=%s", after);
		if (send_text(msg) < 0)
			return 1;
	}
	if (mainpid_child)
		return 0;
	if (i < argc) {
		execvp(argv[i], argv + i);
		perror("notifier: exec");
		return 127;
	}
	return 0;
}
