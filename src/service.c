/* NAME.ini: read with inih through our own line reader, validated into a
 * struct service. Every problem is an error with FILE:LINE; nothing is
 * silently ignored. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcctl.h"

enum section { SEC_NONE, SEC_SERVICE, SEC_ENVIRONMENT, SEC_INSTALL, SEC_UNKNOWN };

struct entry {
	enum section section;
	char *key;
	char *value;
	size_t vlen, vcap; /* continuation lines append in amortised O(1) */
	int line;
};

struct parse_ctx {
	const char *text; /* the whole file, read at once */
	size_t text_len, pos;
	const char *file;
	struct errlist *el;
	int lineno;
	enum section section;
	struct entry *entries;
	size_t n_entries, cap_entries;
	bool continuable; /* an indented line here continues the last key */
	char *buf;
	size_t bufcap;
};

static const char *const section_names[] = {
	[SEC_SERVICE] = "service",
	[SEC_ENVIRONMENT] = "environment",
	[SEC_INSTALL] = "install",
};

/* The words of the command line that can never name a service: "svcctl
 * stop status" must mean one thing. */
static const char *const action_words[] = {
	"start",      "stop",         "restart", "try-restart", "condrestart",
	"reload",     "force-reload", "status",  "check",       "logs",
	"initscript", "enable",       "disable", "is-enabled",
};

bool service_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > SERVICE_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.@-", name[i]))
			return false;
	for (size_t i = 0; i < sizeof(action_words) / sizeof(action_words[0]); i++)
		if (strcmp(name, action_words[i]) == 0)
			return false;
	return true;
}

static bool env_name_ok(const char *k, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)k[0]) || k[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

/* Appends text to the value of e, with one space between. */
static void entry_append(struct entry *e, const char *text)
{
	size_t add = strlen(text), need = e->vlen + (e->vlen ? 1 : 0) + add + 1;

	if (need > e->vcap) {
		size_t cap = e->vcap ? e->vcap : 64;
		while (cap < need)
			cap *= 2;
		e->value = xrealloc(e->value, cap);
		e->vcap = cap;
	}
	if (e->vlen)
		e->value[e->vlen++] = ' ';
	memcpy(e->value + e->vlen, text, add + 1);
	e->vlen += add;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* The same inline-comment rule inih applies: ';' after a blank. */
static void strip_inline_comment(char *s)
{
	for (char *p = s + 1; *p; p++)
		if (*p == ';' && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

/* inih reader. It hands inih one physical line at a time but handles the
 * parts inih gets wrong for us: a line longer than inih's buffer (which inih
 * would split in two), indented continuation lines (inih would call the
 * handler twice, indistinguishable from a duplicate key), lines without '=',
 * and unknown sections that hold no key. */
static char *ini_line_reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	ssize_t len;
	char *line, *t;

	if (ctx->pos >= ctx->text_len)
		return NULL;
	{
		const char *start = ctx->text + ctx->pos;
		const char *nl = memchr(start, '\n', ctx->text_len - ctx->pos);

		len = nl ? nl - start : (ssize_t)(ctx->text_len - ctx->pos);
		ctx->pos += (size_t)len + (nl ? 1 : 0);
		if ((size_t)len + 1 > ctx->bufcap) {
			ctx->bufcap = (size_t)len + 1;
			free(ctx->buf);
			ctx->buf = xcalloc(1, ctx->bufcap);
		}
		memcpy(ctx->buf, start, (size_t)len);
		ctx->buf[len] = '\0';
	}
	ctx->lineno++;
	line = ctx->buf;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len > num - 2) {
		errlist_add(ctx->el,
			    "%s:%d: line longer than %d bytes; continue a long value on "
			    "indented lines",
			    ctx->file, ctx->lineno, num - 2);
		ctx->continuable = false;
		goto blank;
	}
	if (strlen(line) != (size_t)len) {
		errlist_add(ctx->el, "%s:%d: NUL byte in line", ctx->file, ctx->lineno);
		goto blank;
	}
	t = trim(line);
	if (*t == '\0') {
		ctx->continuable = false;
		goto blank;
	}
	if (*t == ';' || *t == '#')
		goto blank;
	if (t != line && (line[0] == ' ' || line[0] == '\t') && *t != '[') {
		if (!ctx->continuable || ctx->n_entries == 0) {
			errlist_add(ctx->el, "%s:%d: indented line continues no key",
				    ctx->file, ctx->lineno);
			goto blank;
		}
		strip_inline_comment(t);
		t = trim(t);
		if (*t)
			entry_append(&ctx->entries[ctx->n_entries - 1], t);
		goto blank;
	}
	if (*t == '[') {
		char *end = strchr(t, ']');
		ctx->continuable = false;
		if (!end) {
			errlist_add(ctx->el, "%s:%d: section header without ']'",
				    ctx->file, ctx->lineno);
			goto blank;
		}
		*end = '\0';
		{
			/* "[service] junk" is a typo, not a header; " ; ..." is a
			 * comment */
			char *rest = end + 1;
			rest += strspn(rest, " \t");
			if (*rest &&
			    !(*rest == ';' && (rest[-1] == ' ' || rest[-1] == '\t'))) {
				char *vis = text_visible_dup(rest);
				errlist_add(
					ctx->el,
					"%s:%d: bad section header: text after ']': '%s'",
					ctx->file, ctx->lineno, vis);
				free(vis);
			}
		}
		ctx->section = SEC_UNKNOWN;
		for (int s = SEC_SERVICE; s <= SEC_INSTALL; s++)
			if (strcmp(t + 1, section_names[s]) == 0)
				ctx->section = (enum section)s;
		if (ctx->section == SEC_UNKNOWN)
			errlist_add(ctx->el, "%s:%d: unknown section [%s]", ctx->file,
				    ctx->lineno, t + 1);
		goto blank;
	}
	if (!strpbrk(t, "=:")) {
		errlist_add(ctx->el, "%s:%d: expected 'key = value'", ctx->file,
			    ctx->lineno);
		ctx->continuable = false;
		goto blank;
	}
	if (ctx->section == SEC_ENVIRONMENT) {
		/* inih would split "FOO:BAR=baz" at the ':' and set FOO: the name is
		 * everything before the first '=' */
		const char *eq = strchr(t, '=');
		size_t klen = eq ? (size_t)(eq - t) : strlen(t);
		while (klen > 0 && (t[klen - 1] == ' ' || t[klen - 1] == '\t'))
			klen--;
		if (!eq || !env_name_ok(t, klen)) {
			char *key = xasprintf("%.*s", (int)klen, t);
			char *vis = text_visible_dup(key);
			errlist_add(ctx->el,
				    eq ? "%s:%d: '%s' is not a valid environment "
					 "variable name"
				       : "%s:%d: expected 'NAME = value', not '%s'",
				    ctx->file, ctx->lineno, vis);
			free(vis);
			free(key);
			ctx->continuable = false;
			goto blank;
		}
	}
	ctx->continuable = true;
	snprintf(str, (size_t)num, "%s\n", t);
	return str;
blank:
	snprintf(str, (size_t)num, "\n");
	return str;
}

/* Reads a whole INI file in one go (one open, fstat and read), with the
 * fstat for the ownership check; a service file has no business being over
 * 1 MiB, and that also bounds every value. As root, the directory holding
 * it follows the rules of config files too: one that another user can write
 * could swap a root-owned file for another name's. */
#define INI_FILE_MAX (1 << 20)
static char *read_config_file(const char *path, struct stat *st, size_t *len,
			      const char **why)
{
	const char *base;
	/* a thousand files of one directory: the descriptor the cache kept
	 * (only a directory that passes the check below is kept), not a
	 * copy of it each */
	int dirfd = path_parent_cached(path, &base), fd = -1;
	bool owned = dirfd < 0;
	char *text = NULL;
	ssize_t r;

	if (owned)
		dirfd = path_parent_trusted(path, false, 0, &base, why);
	if (dirfd < 0)
		return NULL;
	if (owned && running_as_root() && path_dir_check(dirfd, why) < 0) {
		*why = errno == EPERM
			? "is in a directory a user other than root can write"
			: NULL;
		goto fail;
	}
	fd = path_openat_read(dirfd, base, st, why);
	if (fd < 0)
		goto fail;
	if (st->st_size > INI_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	text = xcalloc(1, (size_t)st->st_size + 1);
	r = read_full(fd, text, (size_t)st->st_size);
	if (r < 0)
		goto fail;
	*len = (size_t)r;
	close(fd);
	if (owned)
		close(dirfd);
	return text;
fail : {
	int saved = errno;
	free(text);
	if (fd >= 0)
		close(fd);
	if (owned)
		close(dirfd);
	errno = saved;
	return NULL;
}
}

static int ini_key_handler(void *user, const char *section, const char *name,
			   const char *value)
{
	struct parse_ctx *ctx = user;
	struct entry *e;

	(void)section; /* the reader tracks sections, so unknown ones are known */
	if (ctx->section == SEC_UNKNOWN) {
		ctx->continuable = false;
		return 1;
	}
	if (ctx->section == SEC_NONE) {
		ctx->continuable = false;
		errlist_add(ctx->el, "%s:%d: key '%s' outside of any section", ctx->file,
			    ctx->lineno, name);
		return 1;
	}
	for (size_t i = 0; i < ctx->n_entries; i++) {
		e = &ctx->entries[i];
		if (e->section == ctx->section && strcmp(e->key, name) == 0) {
			errlist_add(ctx->el,
				    "%s:%d: duplicate key '%s' (first set on line %d)",
				    ctx->file, ctx->lineno, name, e->line);
			ctx->continuable = false;
			return 1;
		}
	}
	if (ctx->n_entries == ctx->cap_entries) {
		size_t cap = ctx->cap_entries ? ctx->cap_entries * 2 : 16;
		struct entry *n = realloc(ctx->entries, cap * sizeof(*n));
		if (!n)
			return 0;
		ctx->entries = n;
		ctx->cap_entries = cap;
	}
	e = &ctx->entries[ctx->n_entries++];
	e->section = ctx->section;
	e->key = xstrdup(name);
	e->value = xstrdup(value);
	e->vlen = strlen(value);
	e->vcap = e->vlen + 1;
	e->line = ctx->lineno;
	return 1;
}

/* Validation of one value; each returns 0 or adds an error and returns -1. */
#define BAD(fmt, ...) (errlist_add(el, "%s:%d: " fmt, file, e->line, __VA_ARGS__), -1)

static int set_abs_path(char **slot, const struct entry *e, const char *file,
			struct errlist *el)
{
	if (e->value[0] != '/')
		return BAD("%s must be an absolute path, not '%s'", e->key, e->value);
	free(*slot);
	*slot = xstrdup(e->value);
	return 0;
}

static int set_output(struct output *out, const struct entry *e, bool allow_stdout,
		      const char *file, struct errlist *el)
{
	free(out->path);
	out->path = NULL;
	if (strcmp(e->value, "null") == 0)
		out->kind = OUT_NULL;
	else if (strcmp(e->value, "syslog") == 0)
		out->kind = OUT_SYSLOG;
	else if (allow_stdout && strcmp(e->value, "stdout") == 0)
		out->kind = OUT_STDOUT;
	else if (e->value[0] == '/') {
		out->kind = OUT_FILE;
		out->path = xstrdup(e->value);
	} else
		return BAD("%s must be an absolute path, null, syslog%s; not '%s'",
			   e->key, allow_stdout ? " or stdout" : "", e->value);
	return 0;
}

static int set_seconds(double *slot, const struct entry *e, const char *file,
		       struct errlist *el)
{
	if (parse_seconds(e->value, slot) < 0)
		return BAD("%s must be a number of seconds, not '%s'", e->key, e->value);
	return 0;
}

static int set_int(int *slot, long min, long max, const struct entry *e, const char *file,
		   struct errlist *el)
{
	long v;

	if (parse_int(e->value, min, max, &v) < 0)
		return BAD("%s must be a whole number from %ld to %ld, not '%s'", e->key,
			   min, max, e->value);
	*slot = (int)v;
	return 0;
}

/* limit_nofile: Linux refuses any RLIMIT_NOFILE above fs.nr_open, even to
 * root, and without CAP_SYS_RESOURCE any hard limit above the current one.
 * "infinity" means that ceiling, and a number above it is an error here, so
 * that a value check accepts is one start can set. */
static int set_limit(struct service *svc, const struct entry *e, const char *file,
		     struct errlist *el)
{
	char *copy = xstrdup(e->value), *colon = strchr(copy, ':');
	uint64_t v[2], ceiling;
	const char *parts[2] = {copy, colon ? colon + 1 : copy};
	bool capped;
	int rc = 0;

	nofile_ceiling(&ceiling, &capped);
	if (colon)
		*colon = '\0';
	for (int i = 0; i < 2; i++) {
		long n;
		if (strcmp(parts[i], "infinity") == 0)
			v[i] = ceiling;
		else if (parse_int(parts[i], 0, LONG_MAX, &n) == 0)
			v[i] = (uint64_t)n;
		else
			rc = -1;
	}
	if (rc == 0 && (v[0] > ceiling || v[1] > ceiling)) {
		uint64_t kmax;
		nofile_kernel_max(&kmax);
		free(copy);
		if (capped && v[0] <= kmax && v[1] <= kmax)
			return BAD("limit_nofile = %s is above the hard limit %llu, "
				   "which only CAP_SYS_RESOURCE may raise; use at most "
				   "that, or infinity",
				   e->value, (unsigned long long)ceiling);
		return BAD("limit_nofile = %s is above the kernel's limit fs.nr_open = "
			   "%llu (/proc/sys/fs/nr_open); use at most that, or infinity",
			   e->value, (unsigned long long)kmax);
	}
	if (rc == 0 && v[0] > v[1]) {
		free(copy);
		return BAD("limit_nofile = %s: the soft limit is above the hard limit",
			   e->value);
	}
	free(copy);
	if (rc < 0)
		return BAD("limit_nofile must be N, SOFT:HARD or infinity (soft <= "
			   "hard), not '%s'",
			   e->value);
	svc->nofile_set = true;
	svc->nofile_soft = v[0];
	svc->nofile_hard = v[1];
	return 0;
}

static int set_exit_codes(struct service *svc, const struct entry *e, const char *file,
			  struct errlist *el)
{
	char *copy = xstrdup(e->value), *save = NULL, *tok;
	int rc = 0;

	memset(svc->success_codes, 0, sizeof(svc->success_codes));
	svc->success_signals = 0;
	for (tok = strtok_r(copy, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		long n;
		int sig;

		if (*tok >= '0' && *tok <= '9') {
			if (parse_int(tok, 0, 255, &n) < 0) {
				rc = BAD("success_exit_codes: '%s' is not an exit code "
					 "0..255",
					 tok);
				break;
			}
			svc->success_codes[n] = 1;
			continue;
		}
		sig = signal_from_name(tok);
		if (sig <= 0 || sig > 64) {
			rc = BAD("success_exit_codes: '%s' is neither an exit code "
				 "0..255 nor a signal name",
				 tok);
			break;
		}
		svc->success_signals |= 1ULL << (sig - 1);
	}
	free(copy);
	return rc;
}

/* One function per key of keys.def, named there. */
static int set_description(struct service *svc, const struct entry *e, const char *file,
			   struct errlist *el)
{
	const char *why;

	if (initscript_check_description(e->value, &why) < 0)
		return BAD("description %s", why);
	free(svc->description);
	svc->description = xstrdup(e->value);
	return 0;
}

static int set_exec(struct service *svc, const struct entry *e, const char *file,
		    struct errlist *el)
{
	const char *why;

	free(svc->exec_line);
	svc->exec_line = xstrdup(e->value);
	strv_free(&svc->argv);
	if (argv_split(e->value, &svc->argv, &why) < 0)
		return BAD("exec: %s", why);
	if (!svc->argv.v[0][0]) /* exec = "" or '' args */
		return BAD("exec: %s", "the program name is empty");
	if (strchr(svc->argv.v[0], '/') && svc->argv.v[0][0] != '/')
		return BAD("exec: the program must be an absolute path or a bare "
			   "name, not '%s'",
			   svc->argv.v[0]);
	return 0;
}

static int set_type(struct service *svc, const struct entry *e, const char *file,
		    struct errlist *el)
{
	const char *v = e->value;

	if (strcmp(v, "simple") == 0)
		svc->type = TYPE_SIMPLE;
	else if (strcmp(v, "forking") == 0)
		svc->type = TYPE_FORKING;
	else if (strcmp(v, "notify") == 0)
		svc->type = TYPE_NOTIFY;
	else
		return BAD("type must be simple, forking or notify, not '%s'", v);
	return 0;
}

static int set_pidfile(struct service *svc, const struct entry *e, const char *file,
		       struct errlist *el)
{
	if (!*e->value)
		return 0;
	svc->pidfile_configured = true;
	return set_abs_path(&svc->pidfile, e, file, el);
}

static int set_user(struct service *svc, const struct entry *e, const char *file,
		    struct errlist *el)
{
	const char *v = e->value;
	struct passwd *pw;

	if (!*v)
		return 0;
	pw = getpwnam(v);
	if (!pw)
		return BAD("unknown user '%s'", v);
	free(svc->user);
	svc->user = xstrdup(v);
	svc->uid = pw->pw_uid;
	svc->set_user = true;
	if (!svc->set_group)
		svc->gid = pw->pw_gid;
	return 0;
}

static int set_group(struct service *svc, const struct entry *e, const char *file,
		     struct errlist *el)
{
	const char *v = e->value;
	struct group *gr;

	if (!*v)
		return 0;
	gr = getgrnam(v);
	if (!gr)
		return BAD("unknown group '%s'", v);
	free(svc->group);
	svc->group = xstrdup(v);
	svc->gid = gr->gr_gid;
	svc->set_group = true;
	return 0;
}

static int set_directory(struct service *svc, const struct entry *e, const char *file,
			 struct errlist *el)
{
	return set_abs_path(&svc->directory, e, file, el);
}

static int set_umask(struct service *svc, const struct entry *e, const char *file,
		     struct errlist *el)
{
	const char *v = e->value;
	char *end;
	unsigned long m = strtoul(v, &end, 8);

	if (!*v || *end || m > 0777)
		return BAD("umask must be octal 000..777, not '%s'", v);
	svc->umask = (mode_t)m;
	return 0;
}

static int set_nice(struct service *svc, const struct entry *e, const char *file,
		    struct errlist *el)
{
	return set_int(&svc->nice, -20, 19, e, file, el);
}

static int set_limit_nofile(struct service *svc, const struct entry *e, const char *file,
			    struct errlist *el)
{
	if (!*e->value)
		return 0;
	return set_limit(svc, e, file, el);
}

static int set_environment_file(struct service *svc, const struct entry *e,
				const char *file, struct errlist *el)
{
	const char *v = e->value;

	if (!*v)
		return 0;
	svc->environment_file_optional = v[0] == '-';
	if (v[svc->environment_file_optional] != '/')
		return BAD("environment_file must be an absolute path, not '%s'", v);
	free(svc->environment_file);
	svc->environment_file = xstrdup(v + svc->environment_file_optional);
	return 0;
}

static int set_stdout(struct service *svc, const struct entry *e, const char *file,
		      struct errlist *el)
{
	if (!*e->value)
		return 0;
	return set_output(&svc->out, e, false, file, el);
}

static int set_stderr(struct service *svc, const struct entry *e, const char *file,
		      struct errlist *el)
{
	if (!*e->value)
		return 0;
	return set_output(&svc->err, e, true, file, el);
}

static int set_log_max_bytes(struct service *svc, const struct entry *e, const char *file,
			     struct errlist *el)
{
	if (parse_size(e->value, &svc->log_max_bytes) < 0)
		return BAD("log_max_bytes must be a size like 10M, not '%s'", e->value);
	svc->log_max_bytes_set = true;
	return 0;
}

static int set_log_backups(struct service *svc, const struct entry *e, const char *file,
			   struct errlist *el)
{
	return set_int(&svc->log_backups, 0, LOG_BACKUPS_LIMIT, e, file, el);
}

static int set_ready_seconds(struct service *svc, const struct entry *e, const char *file,
			     struct errlist *el)
{
	return set_seconds(&svc->ready_seconds, e, file, el);
}

static int set_start_timeout(struct service *svc, const struct entry *e, const char *file,
			     struct errlist *el)
{
	return set_seconds(&svc->start_timeout, e, file, el);
}

static int set_ready_fd(struct service *svc, const struct entry *e, const char *file,
			struct errlist *el)
{
	const char *v = e->value;
	long n;

	if (!*v) {
		svc->ready_fd = 0;
		return 0;
	}
	if (parse_int(v, 0, READY_FD_MAX, &n) < 0 || n < READY_FD_MIN)
		return BAD("ready_fd must be a descriptor %d..%d (0-2 are the "
			   "program's stdin, stdout and stderr), not '%s'",
			   READY_FD_MIN, READY_FD_MAX, v);
	svc->ready_fd = (int)n;
	return 0;
}

static int set_stop_timeout(struct service *svc, const struct entry *e, const char *file,
			    struct errlist *el)
{
	return set_seconds(&svc->stop_timeout, e, file, el);
}

static int set_stop_signal(struct service *svc, const struct entry *e, const char *file,
			   struct errlist *el)
{
	svc->stop_signal = signal_from_name(e->value);
	if (!svc->stop_signal)
		return BAD("stop_signal: unknown signal '%s'", e->value);
	return 0;
}

static int set_reload_signal(struct service *svc, const struct entry *e, const char *file,
			     struct errlist *el)
{
	const char *v = e->value;

	if (strcmp(v, "none") == 0 || !*v) {
		svc->reload_signal = 0;
		return 0;
	}
	svc->reload_signal = signal_from_name(v);
	if (!svc->reload_signal)
		return BAD("reload_signal: unknown signal '%s' (or none)", v);
	return 0;
}

static int set_kill_mode(struct service *svc, const struct entry *e, const char *file,
			 struct errlist *el)
{
	if (strcmp(e->value, "group") == 0)
		svc->kill_mode = KILL_GROUP;
	else if (strcmp(e->value, "process") == 0)
		svc->kill_mode = KILL_PROCESS;
	else
		return BAD("kill_mode must be group or process, not '%s'", e->value);
	return 0;
}

static int set_restart(struct service *svc, const struct entry *e, const char *file,
		       struct errlist *el)
{
	if (service_restart_policy(e->value, &svc->restart) < 0)
		return BAD("restart must be no, on-failure or always, not '%s'",
			   e->value);
	return 0;
}

static int set_restart_delay(struct service *svc, const struct entry *e, const char *file,
			     struct errlist *el)
{
	return set_seconds(&svc->restart_delay, e, file, el);
}

static int set_restart_max(struct service *svc, const struct entry *e, const char *file,
			   struct errlist *el)
{
	return set_int(&svc->restart_max, 0, RESTART_MAX_LIMIT, e, file, el);
}

static int set_success_exit_codes(struct service *svc, const struct entry *e,
				  const char *file, struct errlist *el)
{
	return set_exit_codes(svc, e, file, el);
}

static int set_runlevels(struct service *svc, const struct entry *e, const char *file,
			 struct errlist *el)
{
	const char *why;

	if (initscript_check_runlevels(e->value, &why) < 0)
		return BAD("runlevels '%s': %s", e->value, why);
	free(svc->runlevels);
	svc->runlevels = xstrdup(e->value);
	return 0;
}

static int set_start_priority(struct service *svc, const struct entry *e,
			      const char *file, struct errlist *el)
{
	return set_int(&svc->start_priority, 0, 99, e, file, el);
}

static int set_stop_priority(struct service *svc, const struct entry *e, const char *file,
			     struct errlist *el)
{
	return set_int(&svc->stop_priority, 0, 99, e, file, el);
}

/* requires = and should =: facilities and service names */
static int set_names(char **slot, const struct entry *e, const char *file,
		     struct errlist *el)
{
	for (const char *p = e->value; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(" \t$_.@+-", *p))
			return BAD("%s: '%c' is not allowed in a facility or "
				   "service name",
				   e->key, *p);
	free(*slot);
	*slot = xstrdup(e->value);
	return 0;
}

static int set_requires(struct service *svc, const struct entry *e, const char *file,
			struct errlist *el)
{
	return set_names(&svc->requires, e, file, el);
}

static int set_should(struct service *svc, const struct entry *e, const char *file,
		      struct errlist *el)
{
	return set_names(&svc->should, e, file, el);
}

enum key_origin { BUILTIN, CONF };

static const struct key {
	const char *name;
	int (*set)(struct service *svc, const struct entry *e, const char *file,
		   struct errlist *el);
	enum section section;
	enum key_origin origin;
} keys[] = {
#define KEY(sec, key, values, dflt, from, setter, help)                                  \
	{.name = #key, .set = (setter), .section = SEC_##sec, .origin = (from)},
#include "keys.def"
#undef KEY
};

enum key_id {
#define KEY(sec, name, values, dflt, origin, set, help) KEY_##name,
#include "keys.def"
#undef KEY
	KEY_COUNT
};

_Static_assert(KEY_COUNT <= 64, "struct service keys_given has a bit per key");

/* A [service] or [install] key, through the table. */
static int set_key(struct service *svc, const struct entry *e, const char *file,
		   struct errlist *el)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (keys[i].section == e->section && strcmp(keys[i].name, e->key) == 0) {
			svc->keys_given |= 1ULL << i;
			return keys[i].set(svc, e, file, el);
		}
	return BAD("unknown key '%s' in [%s]", e->key, section_names[e->section]);
}

static int set_environment_key(struct service *svc, const struct entry *e,
			       const char *file, struct errlist *el)
{
	const char *k = e->key;

	if (!(isalpha((unsigned char)k[0]) || k[0] == '_'))
		return BAD("'%s' is not a valid environment variable name", k);
	for (const char *p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return BAD("'%s' is not a valid environment variable name", k);
	strv_push_owned(&svc->environment, xasprintf("%s=%s", k, e->value));
	return 0;
}

/* Seconds as parse_seconds() reads them back: digits and one dot. */
static void print_seconds(FILE *f, double v)
{
	char buf[64];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%.6f", v);

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	fputs(buf, f);
}

static void print_signal(FILE *f, int sig)
{
	const char *name = signal_name(sig);

	if (strncmp(name, "SIG", 3) == 0)
		fputs(name + 3, f);
	else
		fprintf(f, "%d", sig);
}

static void print_output(FILE *f, const struct output *o, const char *log_path)
{
	switch (o->kind) {
	case OUT_FILE: fputs(o->path ? o->path : log_path, f); break;
	case OUT_NULL: fputs("null", f); break;
	case OUT_SYSLOG: fputs("syslog", f); break;
	case OUT_STDOUT: fputs("stdout", f); break;
	}
}

static void print_exit_codes(FILE *f, const struct service *svc)
{
	const char *sep = "";

	for (int i = 0; i < 256; i++)
		if (svc->success_codes[i]) {
			fprintf(f, "%s%d", sep, i);
			sep = " ";
		}
	for (int sig = 1; sig <= 64; sig++)
		if (svc->success_signals >> (sig - 1) & 1) {
			fputs(sep, f);
			print_signal(f, sig);
			sep = " ";
		}
}

/* The effective value of key id: what the service runs with, in the syntax
 * its setter reads back. */
static void print_value(FILE *f, const struct service *svc, enum key_id id)
{
	static const char *const types[] = {"simple", "forking", "notify"};
	static const char *const policies[] = {"no", "on-failure", "always"};

	switch (id) {
	case KEY_description: fputs(svc->description, f); break;
	case KEY_exec: fputs(svc->exec_line ? svc->exec_line : "", f); break;
	case KEY_type: fputs(types[svc->type], f); break;
	case KEY_pidfile: fputs(svc->pidfile, f); break;
	case KEY_ready_fd:
		if (svc->ready_fd)
			fprintf(f, "%d", svc->ready_fd);
		break;
	case KEY_user: fputs(svc->user ? svc->user : "", f); break;
	case KEY_group: fputs(svc->group ? svc->group : "", f); break;
	case KEY_directory: fputs(svc->directory, f); break;
	case KEY_umask: fprintf(f, "%03o", (unsigned)svc->umask); break;
	case KEY_nice: fprintf(f, "%d", svc->nice); break;
	case KEY_limit_nofile:
		if (svc->nofile_set)
			fprintf(f, "%llu:%llu", (unsigned long long)svc->nofile_soft,
				(unsigned long long)svc->nofile_hard);
		break;
	case KEY_environment_file:
		if (svc->environment_file)
			fprintf(f, "%s%s", svc->environment_file_optional ? "-" : "",
				svc->environment_file);
		break;
	case KEY_stdout: print_output(f, &svc->out, svc->log_path); break;
	case KEY_stderr: print_output(f, &svc->err, svc->log_path); break;
	case KEY_log_max_bytes:
		fprintf(f, "%llu", (unsigned long long)svc->log_max_bytes);
		break;
	case KEY_log_backups: fprintf(f, "%d", svc->log_backups); break;
	case KEY_ready_seconds: print_seconds(f, svc->ready_seconds); break;
	case KEY_start_timeout: print_seconds(f, svc->start_timeout); break;
	case KEY_stop_signal: print_signal(f, svc->stop_signal); break;
	case KEY_stop_timeout: print_seconds(f, svc->stop_timeout); break;
	case KEY_kill_mode:
		fputs(svc->kill_mode == KILL_GROUP ? "group" : "process", f);
		break;
	case KEY_reload_signal:
		if (svc->reload_signal)
			print_signal(f, svc->reload_signal);
		else
			fputs("none", f);
		break;
	case KEY_restart: fputs(policies[svc->restart], f); break;
	case KEY_restart_delay: print_seconds(f, svc->restart_delay); break;
	case KEY_restart_max: fprintf(f, "%d", svc->restart_max); break;
	case KEY_success_exit_codes: print_exit_codes(f, svc); break;
	case KEY_runlevels: fputs(svc->runlevels, f); break;
	case KEY_start_priority: fprintf(f, "%d", svc->start_priority); break;
	case KEY_stop_priority: fprintf(f, "%d", svc->stop_priority); break;
	case KEY_requires: fputs(svc->requires, f); break;
	case KEY_should: fputs(svc->should, f); break;
	case KEY_COUNT: break;
	}
}

#define PRINT_WIDTH 100 /* well under the line limit of the reader */
#define PRINT_LIMIT 190 /* and below that limit (198 bytes) for sure */

/* "KEY = VALUE ; FROM". A long value goes on indented continuation lines,
 * broken only at a single blank (the reader joins the lines with one) and
 * never before a word a continuation line cannot start with: '[' would be
 * a section, ';' and '#' a comment. */
static void print_entry(FILE *f, const char *key, int keylen, const char *value,
			const char *from)
{
	size_t col = (size_t)fprintf(f, "%.*s =", keylen, key), first = col;

	/* col counts bytes, as the reader's line limit does */
	while (*value) {
		size_t len = 0;

		/* the word: up to the next blank that may become a line break */
		while (value[len] &&
		       !(value[len] == ' ' && len > 0 && value[len - 1] != ' ' &&
			 value[len + 1] && !strchr(" [;#", value[len + 1])))
			len++;
		if (col > first && col + 1 + len > PRINT_WIDTH) {
			fputs("\n\t", f);
			col = 1;
		} else {
			putc(' ', f);
			col++;
		}
		fwrite(value, 1, len, f);
		col += len;
		value += len;
		if (*value == ' ')
			value++;
	}
	/* a word the width could not break (up to what the reader took) and
	 * the mark would pass the reader's limit: the mark on its own line,
	 * a whole-line comment after the value */
	if (col + 3 + strlen(from) > PRINT_LIMIT)
		fprintf(f, "\n; %s\n", from);
	else
		fprintf(f, " ; %s\n", from);
}

/* The effective configuration as an INI file that loads as the same
 * service: every key of keys.def with its value after the defaults, each
 * marked with where the value came from (the service's file, svcctl.conf
 * or the built-in default). */
void service_print_config(FILE *f, const struct service *svc, const struct globalconf *gc)
{
	const char *base = strrchr(svc->ini_path, '/');

	base = base ? base + 1 : svc->ini_path;
	fprintf(f, "; %s with every default filled in\n", svc->ini_path);
	for (int sec = SEC_SERVICE; sec <= SEC_INSTALL; sec++) {
		fprintf(f, "[%s]\n", section_names[sec]);
		if (sec == SEC_ENVIRONMENT) {
			for (size_t i = 0; i < svc->environment.n; i++) {
				const char *kv = svc->environment.v[i];
				const char *eq = strchr(kv, '=');
				print_entry(f, kv, (int)(eq - kv), eq + 1, base);
			}
			continue;
		}
		for (size_t i = 0; i < KEY_COUNT; i++) {
			const char *from = "default";

			if ((int)keys[i].section != sec)
				continue;
			if (svc->keys_given >> i & 1)
				from = base;
			else if (keys[i].origin == CONF && conf_given(gc, keys[i].name))
				from = "svcctl.conf";
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);

			if (!m)
				return;
			print_value(m, svc, (enum key_id)i);
			fclose(m);
			print_entry(f, keys[i].name, (int)strlen(keys[i].name), buf,
				    from);
			free(buf);
		}
	}
}

/* restart = no | on-failure | always, in NAME.ini and svcctl.conf alike */
int service_restart_policy(const char *word, enum restart_policy *out)
{
	static const char *const words[] = {
		[RESTART_NO] = "no",
		[RESTART_ON_FAILURE] = "on-failure",
		[RESTART_ALWAYS] = "always",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(word, words[i]) == 0) {
			*out = (enum restart_policy)i;
			return 0;
		}
	errno = EINVAL;
	return -1;
}

static void set_defaults(struct service *svc, const struct globalconf *gc,
			 const char *name)
{
	svc->name = xstrdup(name);
	svc->type = TYPE_SIMPLE;
	svc->uid = getuid();
	svc->gid = getgid();
	svc->directory = xstrdup("/");
	svc->umask = 022;
	svc->out.kind = OUT_FILE;
	svc->err.kind = OUT_STDOUT;
	/* svcctl.conf's defaults; log_max_bytes counts as set when it set it */
	svc->log_max_bytes = gc->log_max_bytes;
	svc->log_max_bytes_set = gc->log_max_bytes_set;
	svc->log_backups = gc->log_backups;
	svc->ready_seconds = gc->ready_seconds;
	svc->start_timeout = gc->start_timeout;
	svc->stop_signal = SIGTERM;
	svc->stop_timeout = gc->stop_timeout;
	svc->kill_mode = KILL_GROUP;
	svc->reload_signal = SIGHUP;
	svc->restart = gc->restart;
	svc->restart_delay = gc->restart_delay;
	svc->restart_max = gc->restart_max;
	svc->success_codes[0] = 1;
	svc->runlevels = xstrdup("2345");
	svc->start_priority = 50;
	svc->stop_priority = 50;
	svc->requires = xstrdup("$local_fs $remote_fs $syslog");
	svc->should = xstrdup("");
	svc->pidfile = xasprintf("%s/%s.pid", gc->run_dir, name);
	svc->state_path = xasprintf("%s/%s.state", gc->run_dir, name);
	svc->lock_path = xasprintf("%s/%s.lock", gc->run_dir, name);
	svc->log_path = xasprintf("%s/%s.log", gc->log_dir, name);
}

/* Loads and validates services_dir/NAME.ini. Returns 0, or -1 with every
 * problem in el (errno ENOENT when the file does not exist). */
int service_load(struct service *svc, const struct globalconf *gc, const char *name,
		 struct errlist *el)
{
	struct parse_ctx ctx = {0};
	struct stat st;
	const char *why = NULL;
	size_t before = el->msgs.n, text_len;
	char *file, *text;
	int rc, type_line = 0, ready_fd_line = 0;

	memset(svc, 0, sizeof(*svc));
	set_defaults(svc, gc, name);
	file = xasprintf("%s/%s.ini", gc->services_dir, name);
	svc->ini_path = file;
	if (!service_name_valid(name)) {
		/* "stop.ini" could never be named on the command line, and --all
		 * must not act on what the command line refuses */
		char *vis = text_visible_dup(file);
		errlist_add(el,
			    "%s: not a valid service name (letters, digits and _.@-, at "
			    "most %d, not an action word)",
			    vis, SERVICE_NAME_MAX);
		free(vis);
		errno = EINVAL;
		return -1;
	}
	text = read_config_file(file, &st, &text_len, &why);
	if (!text) {
		int saved = errno;
		if (why)
			errlist_add(el, "%s: %s", file, why);
		else if (errno == ENOENT)
			errlist_add(el, "%s: no such service (%s: %s)", name, file,
				    strerror(errno));
		else if (errno == EFBIG)
			errlist_add(el,
				    "%s: larger than %d bytes; a service file is at most "
				    "that",
				    file, INI_FILE_MAX);
		else
			errlist_add(el, "%s: %s", file, strerror(errno));
		errno = saved;
		return -1;
	}
	if (file_trusted(file, &st, el) < 0) {
		free(text);
		errno = EPERM;
		return -1;
	}
	ctx.text = text;
	ctx.text_len = text_len;
	ctx.file = file;
	ctx.el = el;
	rc = ini_parse_stream(ini_line_reader, &ctx, ini_key_handler, &ctx);
	if (rc > 0 && el->msgs.n == before)
		errlist_add(el, "%s:%d: syntax error", file, rc);
	else if (rc < 0)
		errlist_add(el, "%s: cannot parse (%s)", file,
			    rc == -2 ? "out of memory" : "read error");
	free(text);
	free(ctx.buf);

	/* [service] first so that user= sets the default group before group=. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ctx.n_entries; i++) {
			struct entry *e = &ctx.entries[i];
			bool first =
				strcmp(e->key, "user") == 0 && e->section == SEC_SERVICE;
			if ((pass == 0) != first)
				continue;
			if (e->section == SEC_SERVICE && strcmp(e->key, "type") == 0)
				type_line = e->line;
			if (e->section == SEC_SERVICE && strcmp(e->key, "ready_fd") == 0)
				ready_fd_line = e->line;
			if (e->section == SEC_SERVICE || e->section == SEC_INSTALL)
				set_key(svc, e, file, el);
			else if (e->section == SEC_ENVIRONMENT)
				set_environment_key(svc, e, file, el);
		}
	for (size_t i = 0; i < ctx.n_entries; i++) {
		free(ctx.entries[i].key);
		free(ctx.entries[i].value);
	}
	free(ctx.entries);

	if (!svc->exec_line)
		errlist_add(el, "%s: [service] has no exec = line", file);
	if (svc->type == TYPE_FORKING && !svc->pidfile_configured)
		errlist_add(el,
			    "%s:%d: type = forking needs pidfile = (the file the "
			    "program writes)",
			    file, type_line);
	if (svc->ready_fd && svc->type != TYPE_SIMPLE)
		errlist_add(el,
			    "%s:%d: ready_fd is for type = simple; type = %s signals "
			    "readiness %s",
			    file, ready_fd_line,
			    svc->type == TYPE_FORKING ? "forking" : "notify",
			    svc->type == TYPE_FORKING ? "by writing its pidfile"
						      : "with READY=1 on NOTIFY_SOCKET");
	if (!svc->description || !*svc->description) { /* chkconfig needs one */
		free(svc->description);
		svc->description = xstrdup(name);
	}
	/* the parsers reject NaN, negatives and values above SECONDS_MAX; this
	 * holds whatever path a value came by (svcctl.conf defaults included) */
	svc->ready_seconds = seconds_sane(svc->ready_seconds);
	svc->start_timeout = seconds_sane(svc->start_timeout);
	svc->stop_timeout = seconds_sane(svc->stop_timeout);
	svc->restart_delay = seconds_sane(svc->restart_delay);
	if (el->msgs.n == before)
		return 0;
	errno = EINVAL; /* the file is there, and in error: not ENOENT */
	return -1;
}

/* Does the service need a monitor (DESIGN 4.8): a restart policy, type =
 * notify, or output the monitor must own (syslog, or a log it rotates)? */
bool service_supervised(const struct service *svc)
{
	/* a notify program speaks for its whole life: the monitor listens */
	return svc->type == TYPE_NOTIFY || svc->restart != RESTART_NO ||
		service_output_owned(svc, &svc->out) ||
		service_output_owned(svc, &svc->err);
}

/* Does a start wait for the program to say it is ready (notify, ready_fd)
 * rather than for it to stay up ready_seconds? */
bool service_waits_ready(const struct service *svc)
{
	return svc->type == TYPE_NOTIFY || svc->ready_fd > 0;
}

/* Does this stream go through the monitor's pipe? */
bool service_output_owned(const struct service *svc, const struct output *o)
{
	return o->kind == OUT_SYSLOG || (o->kind == OUT_FILE && svc->log_max_bytes > 0);
}

/* Is the wait status a success by success_exit_codes? */
bool service_exit_success(const struct service *svc, int status)
{
	if (WIFEXITED(status))
		return svc->success_codes[WEXITSTATUS(status)] != 0;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		return sig >= 1 && sig <= 64 && (svc->success_signals >> (sig - 1) & 1);
	}
	return false;
}

void service_free(struct service *svc)
{
	free(svc->name);
	free(svc->ini_path);
	free(svc->description);
	free(svc->exec_line);
	strv_free(&svc->argv);
	free(svc->pidfile);
	free(svc->user);
	free(svc->group);
	free(svc->directory);
	free(svc->environment_file);
	free(svc->out.path);
	free(svc->err.path);
	strv_free(&svc->environment);
	free(svc->runlevels);
	free(svc->requires);
	free(svc->should);
	free(svc->state_path);
	free(svc->lock_path);
	free(svc->log_path);
	memset(svc, 0, sizeof(*svc));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of every NAME.ini in services_dir, sorted. */
int service_list(const struct globalconf *gc, struct strv *names)
{
	DIR *d = opendir(gc->services_dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *name;
		if (len <= 4 || strcmp(de->d_name + len - 4, ".ini") != 0)
			continue;
		/* invalid names are listed too: loading them fails, so check,
		 * status and --all report them instead of skipping them silently */
		name = xstrdup(de->d_name);
		name[len - 4] = '\0';
		strv_push_owned(names, name);
	}
	closedir(d);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(char *), name_cmp);
	return 0;
}
