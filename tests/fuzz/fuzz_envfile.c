/* An environment_file's text (env_file_parse): every pair it accepts is
 * KEY=VALUE with a KEY a shell could name. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "svcctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct strv env = {0};
	struct errlist el = {{0}};

	memcpy(text, data, size);
	text[size] = '\0';
	(void)env_file_parse(text, size, "fuzz.env", &env, &el);
	for (size_t i = 0; i < env.n; i++)
		if (!strchr(env.v[i], '=') || env.v[i][0] == '=')
			abort();
	strv_free(&env);
	errlist_free(&el);
	free(text);
	return 0;
}
