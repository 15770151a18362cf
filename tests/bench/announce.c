/*
 * announce - the supervision benchmark's sleep-like program.
 *
 *   announce [SOCKET]
 *
 * First thing on start it sends "up PID NS" (NS: CLOCK_MONOTONIC in
 * nanoseconds, read at the top of main) to the unix datagram SOCKET (or to
 * $ANNOUNCE_SOCKET when the argument is no socket: runsv runs ./run without
 * arguments and s6-supervise with the service's name or directory, so there
 * ./run is a link to this program), then
 * waits in pause().  On SIGTERM it sends "down PID NS" and exits 0.  A send
 * that fails (nobody listening) is ignored: the program runs on all the same.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sock = -1;
static struct sockaddr_un addr;

static void say(const char *what)
{
	struct timespec ts;
	char buf[80];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof buf, "%s %ld %lld", what, (long)getpid(),
		     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (sock < 0 || n < 0)
		return;
	while (sendto(sock, buf, (size_t)n, 0, (struct sockaddr *)&addr, sizeof addr) <
		       0 &&
	       errno == EINTR)
		;
}

static void on_term(int sig)
{
	(void)sig;
	say("down");
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t none;
	struct stat st;
	/* s6-supervise runs ./run with the service's directory as argument */
	const char *path = argc > 1 && stat(argv[1], &st) == 0 && S_ISSOCK(st.st_mode)
		? argv[1]
		: getenv("ANNOUNCE_SOCKET");

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (path != NULL && strlen(path) < sizeof addr.sun_path) {
		addr.sun_family = AF_UNIX;
		memcpy(addr.sun_path, path, strlen(path) + 1);
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	say("up");
	for (;;)
		pause();
}
