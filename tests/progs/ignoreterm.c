/* Test program: ignores SIGTERM (and SIGHUP) and waits to be killed. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <unistd.h>

int main(void)
{
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;)
		pause();
}
