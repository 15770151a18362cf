/* Test program: exchanges two names with renameat2(RENAME_EXCHANGE) as fast
 * as it can, as a user racing a check-then-open would, until killed or
 * until argv[3] (a count, optional) exchanges were made. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv)
{
	long count = argc > 3 ? atol(argv[3]) : -1;

	if (argc < 3)
		return 2;
	for (long i = 0; count < 0 || i < count; i++)
		if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2],
			    RENAME_EXCHANGE) < 0) {
			perror("swapper: renameat2");
			return 1;
		}
	return 0;
}
