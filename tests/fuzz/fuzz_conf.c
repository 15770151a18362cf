/* svcctl.conf through the real loader: trust checks, the comment blanking,
 * libconfuse (conf_load). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "svcctl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_sandbox();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct globalconf gc;
	struct errlist el = {{0}};

	if (fuzz_put("fuzz.conf", data, size) < 0)
		abort();
	memset(&gc, 0, sizeof(gc));
	if (conf_load(&gc, fuzz_path("fuzz.conf"), true, &el) < 0 && el.msgs.n == 0)
		abort(); /* refused without a word */
	conf_free(&gc);
	errlist_free(&el);
	return 0;
}
