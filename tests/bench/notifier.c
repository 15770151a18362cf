/*
 * notifier - the readiness benchmark's program: a daemon that is ready at once.
 *
 *   notifier [-a SOCKET] [-f FD]
 *
 * First thing in main, in this order:
 *   - with -a SOCKET (or $ANNOUNCE_SOCKET), sends "up PID NS" to that unix
 *     datagram socket, as tests/bench/announce.c does (NS: CLOCK_MONOTONIC in
 *     nanoseconds), so that a harness can count the programs that run;
 *   - with $NOTIFY_SOCKET set, sends "READY=1" there by a raw sendmsg(), as
 *     sd_notify() does: an address starting with '@' is in the abstract
 *     namespace; NOTIFY_SOCKET is then removed from the environment;
 *   - with -f FD, writes a newline on descriptor FD and closes it (the s6 /
 *     dinit / nitro readiness convention).
 * Then it waits in pause().  On SIGTERM (or SIGINT) it sends "down PID NS" to
 * the announce socket and exits 0.  Without any of these it is a plain
 * sleeping program.  A send that fails is ignored: the program runs on, and the
 * harness sees it as a start that timed out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int announce_fd = -1;
static struct sockaddr_un announce_addr;

static void announce(const char *what)
{
	struct timespec ts;
	char buf[80];
	int n;

	if (announce_fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof buf, "%s %ld %lld", what, (long)getpid(),
		     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (n < 0)
		return;
	while (sendto(announce_fd, buf, (size_t)n, 0, (struct sockaddr *)&announce_addr,
		      sizeof announce_addr) < 0 &&
	       errno == EINTR)
		;
}

/* READY=1 to $NOTIFY_SOCKET; 0 when sent or when there is no socket. */
static int notify_ready(void)
{
	static const char msg[] = "READY=1";
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = sizeof msg - 1};
	struct msghdr mh;
	size_t len;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	memset(&mh, 0, sizeof mh);
	mh.msg_name = &sa;
	/* an abstract name is exactly its length; a path may carry its NUL */
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				     (path[0] == '@' ? 0 : 1));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while ((rc = (int)sendmsg(fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	close(fd);
	unsetenv("NOTIFY_SOCKET");
	return rc < 0 ? -1 : 0;
}

static void on_term(int sig)
{
	(void)sig;
	announce("down");
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *sock = getenv("ANNOUNCE_SOCKET");
	struct sigaction sa;
	sigset_t none;
	int opt, ready_fd = -1;

	while ((opt = getopt(argc, argv, "a:f:")) != -1) {
		switch (opt) {
		case 'a': sock = optarg; break;
		case 'f': ready_fd = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: notifier [-a SOCKET] [-f FD]\n");
			return 2;
		}
	}

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (sock != NULL && sock[0] == '/' &&
	    strlen(sock) < sizeof announce_addr.sun_path) {
		announce_addr.sun_family = AF_UNIX;
		memcpy(announce_addr.sun_path, sock, strlen(sock) + 1);
		announce_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	announce("up");
	if (notify_ready() < 0)
		fprintf(stderr, "notifier: READY=1 to %s: %s\n", getenv("NOTIFY_SOCKET"),
			strerror(errno));
	if (ready_fd >= 0) {
		while (write(ready_fd, "\n", 1) < 0 && errno == EINTR)
			;
		close(ready_fd);
	}
	for (;;)
		pause();
}
