/* NAME.state as read back (state_parse), and what state_format writes of a
 * parsed state parses to the same thing. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct state st, again;
	static char buf[65536], buf2[65536];

	memcpy(text, data, size);
	text[size] = '\0';
	memset(&st, 0, sizeof(st));
	if (state_parse(text, &st) == 0 && state_format(&st, buf, sizeof(buf)) >= 0) {
		memset(&again, 0, sizeof(again));
		if (state_parse(buf, &again) < 0) {
			fprintf(stderr, "fuzz: state written does not parse:\n%s", buf);
			abort();
		}
		if (state_format(&again, buf2, sizeof(buf2)) < 0 ||
		    strcmp(buf, buf2) != 0) {
			fprintf(stderr,
				"fuzz: state written:\n%s\nread back and written:\n%s",
				buf, buf2);
			abort();
		}
	}
	free(text);
	return 0;
}
