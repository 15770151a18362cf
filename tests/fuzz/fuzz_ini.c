/* services_dir/NAME.ini through the real loader: the file's trust checks, the
 * line reader, inih, and the key table (service_load). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "svcctl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct globalconf gc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct errlist el = {{0}};

	(void)argc;
	(void)argv;
	fuzz_sandbox();
	if (conf_load(&gc, fuzz_path("svcctl.conf"), true, &el) < 0)
		abort();
	errlist_free(&el);
	return 0;
}

/* check -v's output without the "; origin" mark of each line */
static char *printed(const struct service *svc)
{
	char *text = NULL, *out, *o;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	service_print_config(f, svc, &gc);
	if (fclose(f) != 0)
		abort();
	o = out = calloc(1, len + 1);
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n'), *mark;
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		mark = memmem(line, n, " ; ", 3);
		while (mark && memmem(mark + 3, n - (size_t)(mark + 3 - line), " ; ", 3))
			mark = memmem(mark + 3, n - (size_t)(mark + 3 - line), " ; ", 3);
		if (line[0] != ';' && mark)
			n = (size_t)(mark - line);
		memcpy(o, line, n);
		o += n;
		*o++ = '\n';
		line += nl ? (size_t)(nl - line) + 1 : n;
		if (!nl)
			break;
	}
	free(text);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service svc;
	struct errlist el = {{0}};

	if (fuzz_put("services/f.ini", data, size) < 0)
		abort();
	memset(&svc, 0, sizeof(svc));
	if (service_load(&svc, &gc, "f", &el) == 0) {
		/* a service that loads has a program to run */
		char *first, *second;
		struct service again;

		if (svc.argv.n == 0 || !svc.argv.v[0][0])
			abort();
		/* check -v prints a file that loads as the same service */
		first = printed(&svc);
		if (fuzz_put("services/f.ini", (const uint8_t *)first, strlen(first)) < 0)
			abort();
		memset(&again, 0, sizeof(again));
		if (service_load(&again, &gc, "f", &el) < 0) {
			fprintf(stderr,
				"fuzz: check -v printed a file that does not load:\n%s",
				first);
			for (size_t i = 0; i < el.msgs.n; i++)
				fprintf(stderr, "fuzz: %s\n", el.msgs.v[i]);
			abort();
		}
		second = printed(&again);
		if (strcmp(first, second) != 0) {
			fprintf(stderr,
				"fuzz: printed:\n%s\nloaded and printed again:\n%s",
				first, second);
			abort();
		}
		free(first);
		free(second);
		service_free(&again);
	} else if (el.msgs.n == 0) {
		abort(); /* refused without a word */
	}
	service_free(&svc);
	errlist_free(&el);
	return 0;
}
