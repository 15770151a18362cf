/* exec = ... split into words (argv_split): any bytes, NUL-terminated as the
 * INI reader hands them over. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "svcctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct strv words = {0};
	const char *why = NULL;

	memcpy(line, data, size);
	line[size] = '\0';
	if (argv_split(line, &words, &why) == 0) {
		/* what it split joins back to a line the splitter accepts */
		char *joined = argv_join(words.v, words.n);
		struct strv again = {0};

		if (words.n > 0 && argv_split(joined, &again, &why) < 0)
			abort();
		if (words.n > 0 && again.n != words.n)
			abort();
		for (size_t i = 0; words.n > 0 && i < words.n; i++)
			if (strcmp(words.v[i], again.v[i]) != 0)
				abort();
		strv_free(&again);
		free(joined);
	}
	strv_free(&words);
	free(line);
	return 0;
}
