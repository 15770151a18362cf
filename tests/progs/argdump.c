/* Test program: writes each of its arguments after argv[1], one per line, to
 * the file named by argv[1], then "done", then waits to be stopped. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *out;

	if (argc < 2)
		return 2;
	out = fopen(argv[1], "w");
	if (!out)
		return 3;
	for (int i = 2; i < argc; i++)
		fprintf(out, "arg:%s\n", argv[i]);
	fprintf(out, "done\n");
	fclose(out);
	for (;;)
		pause();
}
