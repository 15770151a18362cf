/* keysdoc FILE: prints FILE with the key lists between its markers written
 * afresh from keys.def, the table the parser uses. Markers, on lines of
 * their own:
 *   markdown  <!-- keys SECTION -->  ...  <!-- end keys -->
 *   mdoc      .\" keys SECTION       ...  .\" end keys
 * where SECTION is service or install. make docs rewrites the docs with
 * it; make check fails when they differ from its output. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct row {
	const char *section, *name, *values, *dflt, *origin, *help;
} rows[] = {
#define KEY(sec, name, values, dflt, origin, set, help)                                  \
	{#sec, #name, values, dflt, #origin, help},
#include "keys.def"
#undef KEY
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* markdown: '|' would end a table cell */
static void md_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

/* mdoc: backticks dropped, backslashes escaped, a sentence per line and
 * lines of at most 72 bytes, none starting with a request character */
static void man_text(const char *s)
{
	size_t col = 0;

	while (*s) {
		size_t len = strcspn(s, " ");
		int ends = len > 1 && s[len - 1] == '.';

		if (col > 0 && col + 1 + len > 72) {
			putchar('\n');
			col = 0;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		if (col == 0 && (*s == '.' || *s == '\''))
			col += (size_t)printf("\\&");
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '`')
				continue;
			col += s[i] == '\\' ? (size_t)printf("\\e") : (putchar(s[i]), 1);
		}
		s += len;
		s += strspn(s, " ");
		if (ends && *s) {
			putchar('\n');
			col = 0;
		}
	}
}

static int conf_default(const struct row *r)
{
	return strcmp(r->origin, "CONF") == 0;
}

static void write_md(const char *section)
{
	puts("| key | values | default | notes |");
	puts("|---|---|---|---|");
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];

		if (strcasecmp(r->section, section) != 0)
			continue;
		printf("| `%s` | ", r->name);
		md_text(r->values);
		fputs(" | ", stdout);
		md_text(r->dflt);
		if (conf_default(r))
			printf(" (svcctl.conf `%s`)", r->name);
		fputs(" | ", stdout);
		md_text(r->help);
		puts(" |");
	}
}

static void write_man(const char *section)
{
	puts(".Bl -tag -width Ds");
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];

		if (strcasecmp(r->section, section) != 0)
			continue;
		printf(".It Ic %s\n", r->name);
		fputs("Values: ", stdout);
		man_text(r->values);
		puts(".");
		fputs("Default: ", stdout);
		man_text(r->dflt);
		if (conf_default(r))
			printf(", or %s in\n.Xr svcctl.conf 5 ", r->name);
		puts(".");
		man_text(r->help);
		putchar('\n');
	}
	puts(".El");
}

int main(int argc, char **argv)
{
	char *line = NULL, section[32];
	size_t cap = 0;
	int skipping = 0, rc = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: keysdoc FILE\n");
		return 2;
	}
	f = fopen(argv[1], "re");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (getline(&line, &cap, f) > 0) {
		int md = sscanf(line, "<!-- keys %31[a-z] -->", section) == 1;
		int man = !md && sscanf(line, ".\\\" keys %31[a-z]", section) == 1;

		if (skipping) {
			if (strcmp(line, "<!-- end keys -->\n") == 0 ||
			    strcmp(line, ".\\\" end keys\n") == 0) {
				skipping = 0;
				fputs(line, stdout);
			}
			continue;
		}
		fputs(line, stdout);
		if (md || man) {
			if (strcmp(section, "service") != 0 &&
			    strcmp(section, "install") != 0) {
				fprintf(stderr, "%s: no section '%s'\n", argv[1],
					section);
				rc = 1;
			}
			if (md)
				write_md(section);
			else
				write_man(section);
			skipping = 1;
		}
	}
	if (skipping) {
		fprintf(stderr, "%s: a keys marker without its end\n", argv[1]);
		rc = 1;
	}
	free(line);
	fclose(f);
	return rc;
}
