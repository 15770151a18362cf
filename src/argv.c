/* exec = splitting: POSIX sh quoting rules without any expansion, so what an
 * administrator reads in the INI file is exactly the argv the program gets. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

/* Splits line into words: blanks separate, '...' is literal, "..." keeps
 * backslash only before \ " $ ` as sh does, a bare backslash quotes the next
 * character. $VAR, globs and redirections are not special. */
int argv_split(const char *line, struct strv *out, const char **why)
{
	size_t len = strlen(line);
	char *word = xcalloc(1, len + 1);
	size_t wl = 0;
	bool in_word = false;
	const char *p = line;

	*why = NULL;
	while (*p) {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				word[wl] = '\0';
				strv_push(out, word);
				wl = 0;
				in_word = false;
			}
			p++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end) {
				*why = "unterminated single quote";
				goto fail;
			}
			memcpy(word + wl, p + 1, (size_t)(end - p - 1));
			wl += (size_t)(end - p - 1);
			p = end + 1;
		} else if (c == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] && strchr("\\\"$`", p[1]))
					p++;
				word[wl++] = *p++;
			}
			if (*p != '"') {
				*why = "unterminated double quote";
				goto fail;
			}
			p++;
		} else if (c == '\\') {
			if (!p[1]) {
				*why = "backslash at end of line";
				goto fail;
			}
			word[wl++] = p[1];
			p += 2;
		} else {
			word[wl++] = c;
			p++;
		}
	}
	if (in_word) {
		word[wl] = '\0';
		strv_push(out, word);
	}
	free(word);
	if (out->n == 0) {
		*why = "empty command";
		return -1;
	}
	return 0;
fail:
	free(word);
	strv_free(out);
	return -1;
}

static int executable_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (access(path, X_OK) < 0)
		return -1;
	return 0;
}

/* Finds the program: an absolute path as is, a bare name in the standard PATH
 * (the program's PATH, not the caller's, so boot and terminal agree). */
int argv_resolve(const char *prog, char **path_out)
{
	const char *dir, *end;
	int saved = ENOENT;

	*path_out = NULL;
	if (strchr(prog, '/')) {
		if (prog[0] != '/') {
			errno = EINVAL;
			return -1;
		}
		if (executable_file(prog) < 0)
			return -1;
		*path_out = xstrdup(prog);
		return 0;
	}
	for (dir = SVCCTL_PATH; *dir; dir = *end ? end + 1 : end) {
		char *cand;

		end = strchrnul(dir, ':');
		cand = xasprintf("%.*s/%s", (int)(end - dir), dir, prog);
		if (executable_file(cand) == 0) {
			*path_out = cand;
			return 0;
		}
		if (errno == EACCES)
			saved = EACCES;
		free(cand);
	}
	errno = saved;
	return -1;
}

/* The reverse of argv_split, for display: words that need it are quoted so
 * the line can be pasted into an INI file or a shell. */
char *argv_join(char *const *argv, size_t n)
{
	size_t cap = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		cap += strlen(argv[i]) * 4 + 3;
	out = p = xcalloc(1, cap);
	for (size_t i = 0; i < n; i++) {
		const char *w = argv[i];
		bool plain = *w != '\0';

		for (const char *c = w; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_./=:,+@%",
				    *c))
				plain = false;
		if (i)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, w);
			continue;
		}
		*p++ = '\'';
		for (const char *c = w; *c; c++) {
			if (*c == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *c;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}
