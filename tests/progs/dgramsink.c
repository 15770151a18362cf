/* Test program: binds a datagram socket at argv[1] and appends every message
 * it receives, and a newline, to argv[2]; exits 0 on TERM. A stand-in for
 * /dev/log in a private mount namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void handler(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_un addr;
	struct sigaction sa;
	int sock, out;

	if (argc < 3 || strlen(argv[1]) >= sizeof(addr.sun_path))
		return 2;
	/* no SA_RESTART: recv must return EINTR so the flag is seen */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGTERM, &sa, NULL);
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0)
		return 3;
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return 4;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return 5;
	chmod(argv[1], 0666);
	while (!stop) {
		struct iovec iov[2];
		ssize_t n = recv(sock, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 6;
		}
		/* one write per message, so a reader never sees half of one */
		iov[0].iov_base = buf;
		iov[0].iov_len = (size_t)n;
		iov[1].iov_base = "\n";
		iov[1].iov_len = 1;
		if (writev(out, iov, 2) < 0)
			return 7;
	}
	unlink(argv[1]);
	return 0;
}
