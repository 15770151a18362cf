/* Test program: a syslogd for tests. Binds a datagram socket at argv[1]
 * (replacing a stale one) and appends each message it receives, with a
 * newline, to the file argv[2], one write per message, so what it got is
 * on disk the moment it got it. SIGTERM ends it (the default action: no
 * handler, nothing to lose); the socket is left for the test's directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char msg[65536 + 1];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int buf = 4 << 20, sock, out;
	sigset_t none;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: dgramsink SOCKET FILE\n");
		return 2;
	}
	/* whatever the caller ignored or blocked, TERM ends it */
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (out < 0 || sock < 0) {
		perror("dgramsink");
		return 1;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	/* a large queue: a burst is received, not refused */
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dgramsink: bind");
		return 1;
	}
	for (;;) {
		ssize_t n = recv(sock, msg, sizeof(msg) - 1, 0);
		size_t done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("dgramsink: recv");
			return 1;
		}
		msg[n++] = '\n';
		while (done < (size_t)n) {
			ssize_t w = write(out, msg + done, (size_t)n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				perror("dgramsink: write");
				return 1;
			}
			done += (size_t)w;
		}
	}
}
