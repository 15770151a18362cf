/* svcctl.conf: the global configuration, read with libconfuse. */
#define _GNU_SOURCE
#include <confuse.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

#define CONF_FILE_MAX (1 << 20)

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* libconfuse has no user pointer for its error callback; parsing is not
 * re-entrant anyway, so the list being filled lives here for the duration. */
static struct errlist *parse_errors;
static const char *parse_file; /* the parser sees a buffer; errors name this */

static void conf_error(cfg_t *cfg, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void conf_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cfg && parse_file && cfg->line > 0)
		errlist_add(parse_errors, "%s:%d: %s", parse_file, cfg->line, msg);
	else if (parse_file)
		errlist_add(parse_errors, "%s: %s", parse_file, msg);
	else
		errlist_add(parse_errors, "%s", msg);
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/')
		return home;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

/* The path used when neither -c nor $SVCCTL_CONFIG names one. */
static char *default_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");

	if (geteuid() == 0)
		return xstrdup(SYSCONFDIR "/svcctl/svcctl.conf");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/svcctl/svcctl.conf", xdg);
	return xasprintf("%s/.config/svcctl/svcctl.conf", home_dir());
}

static void set_defaults(struct globalconf *gc)
{
	if (geteuid() == 0) {
		gc->services_dir = xstrdup(SYSCONFDIR "/svcctl/services");
		gc->run_dir = xstrdup("/run/svcctl");
		gc->log_dir = xstrdup("/var/log/svcctl");
	} else {
		const char *xdg_cfg = getenv("XDG_CONFIG_HOME");
		const char *xdg_run = getenv("XDG_RUNTIME_DIR");
		const char *home = home_dir();

		gc->services_dir = xdg_cfg && xdg_cfg[0] == '/'
			? xasprintf("%s/svcctl/services", xdg_cfg)
			: xasprintf("%s/.config/svcctl/services", home);
		gc->run_dir = xdg_run && xdg_run[0] == '/'
			? xasprintf("%s/svcctl", xdg_run)
			: xasprintf("%s/.local/state/svcctl/run", home);
		gc->log_dir = xasprintf("%s/.local/state/svcctl/log", home);
	}
	gc->initd_dir = xstrdup("/etc/init.d");
	gc->rc_dir = xstrdup("/etc");
	gc->stop_timeout = 10;
	gc->ready_seconds = 1;
	gc->start_timeout = 30;
	gc->restart = RESTART_NO;
	gc->restart_delay = 1;
	gc->restart_max = 5;
	gc->log_max_bytes = LOG_MAX_BYTES_DEFAULT;
	gc->log_backups = 5;
}

/* As root, a file that another user can write is a way to run code as root. */
int file_trusted(const char *path, const struct stat *st, struct errlist *el)
{
	/* a user trusts what the user or root wrote, as root trusts only root:
	 * another user's file would put that user's words (LD_PRELOAD=...)
	 * into this user's programs */
	if (!running_as_root()) {
		if (st->st_uid != 0 && st->st_uid != geteuid()) {
			errlist_add(el, "%s: refusing a file owned by uid %u, not you",
				    path, (unsigned)st->st_uid);
			return -1;
		}
		if (st->st_mode & (S_IWGRP | S_IWOTH)) {
			errlist_add(el, "%s: refusing a file others can write", path);
			return -1;
		}
		return 0;
	}
	if (st->st_uid != 0) {
		errlist_add(el, "%s: refusing a file owned by uid %u, not root", path,
			    (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & S_IWOTH) {
		errlist_add(el, "%s: refusing a world-writable file", path);
		return -1;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0) {
		errlist_add(el, "%s: refusing a file writable by group %u", path,
			    (unsigned)st->st_gid);
		return -1;
	}
	return 0;
}

/* Joins base and a relative value and folds "." and ".." lexically: the
 * directories need not exist yet, so realpath() cannot do it. */
static char *absolute_in(const char *base, const char *value)
{
	char *joined = value[0] == '/' ? xstrdup(value) : xasprintf("%s/%s", base, value);
	char *out = xcalloc(1, strlen(joined) + 2), *save = NULL, *part;
	size_t len = 0;

	for (part = strtok_r(joined, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, part, strlen(part) + 1);
		len += strlen(part);
	}
	if (len == 0)
		memcpy(out, "/", 2);
	free(joined);
	return out;
}

/* libconfuse reads a float with strtod(): "nan", "inf", "-1" and "1e9" all
 * get here, and NaN fails every comparison, so test for the range. */
static int check_seconds(cfg_t *cfg, cfg_opt_t *opt)
{
	double v = cfg_opt_getnfloat(opt, cfg_opt_size(opt) - 1);

	if (!(v >= 0 && v <= SECONDS_MAX)) {
		cfg_error(cfg, "%s must be between 0 and %d seconds", cfg_opt_name(opt),
			  SECONDS_MAX);
		return -1;
	}
	return 0;
}

/* The defaults of service keys: the value syntax, limits and messages of
 * NAME.ini's keys of the same names. Returns 0, or -1 with msg filled. */
static int set_service_default(struct globalconf *gc, const char *key, const char *v,
			       char *msg, size_t len)
{
	long n;

	if (strcmp(key, "restart") == 0) {
		if (service_restart_policy(v, &gc->restart) == 0)
			return 0;
		snprintf(msg, len, "restart must be no, on-failure or always, not '%s'",
			 v);
	} else if (strcmp(key, "restart_delay") == 0) {
		if (parse_seconds(v, &gc->restart_delay) == 0)
			return 0;
		snprintf(msg, len, "restart_delay must be a number of seconds, not '%s'",
			 v);
	} else if (strcmp(key, "log_max_bytes") == 0) {
		if (parse_size(v, &gc->log_max_bytes) == 0) {
			gc->log_max_bytes_set = true;
			return 0;
		}
		snprintf(msg, len, "log_max_bytes must be a size like 10M, not '%s'", v);
	} else {
		bool restart_max = strcmp(key, "restart_max") == 0;
		long max = restart_max ? RESTART_MAX_LIMIT : LOG_BACKUPS_LIMIT;

		if (parse_int(v, 0, max, &n) == 0) {
			*(restart_max ? &gc->restart_max : &gc->log_backups) = (int)n;
			return 0;
		}
		snprintf(msg, len, "%s must be a whole number from 0 to %ld, not '%s'",
			 key, max, v);
	}
	return -1;
}

static const char *const default_keys[] = {
	"restart", "restart_delay", "restart_max", "log_max_bytes", "log_backups",
};

static int check_service_default(cfg_t *cfg, cfg_opt_t *opt)
{
	struct globalconf scratch = {0};
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	char msg[256];

	if (set_service_default(&scratch, cfg_opt_name(opt), v ? v : "", msg,
				sizeof(msg)) < 0) {
		cfg_error(cfg, "%s", msg);
		return -1;
	}
	return 0;
}

/* Overwrites every comment libconfuse would see (#..., //... to the end of
 * the line, and C comments) with blanks, keeping the newlines, so that the
 * parser's line count is right: libconfuse 3.3's lexer returns comments as
 * tokens and counts a line in them on top of the newline (2 extra per #/
 * comment line, 1 per C comment). Quoted strings, with their backslash
 * escapes, and ${VAR} are left alone. */
void conf_blank_comments(char *text, size_t len)
{
	enum { CODE, DQ, SQ, LINE, BLOCK } st = CODE;

	for (size_t i = 0; i < len; i++) {
		char c = text[i], next = '\0';

		if (i + 1 < len)
			next = text[i + 1];
		switch (st) {
		case CODE:
			if (c == '"' || c == '\'') {
				st = c == '"' ? DQ : SQ;
			} else if (c == '$' && next == '{') {
				char *close = memchr(text + i, '}', len - i);
				if (close)
					i = (size_t)(close - text);
			} else if (c == '#' || (c == '/' && next == '/')) {
				st = LINE;
				text[i] = ' ';
			} else if (c == '/' && next == '*') {
				st = BLOCK;
				text[i] = text[i + 1] = ' ';
				i++;
			}
			break;
		case DQ:
		case SQ:
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == (st == DQ ? '"' : '\''))
				st = CODE;
			break;
		case LINE:
			if (c == '\n')
				st = CODE;
			else
				text[i] = ' ';
			break;
		case BLOCK:
			if (c == '*' && next == '/') {
				text[i] = text[i + 1] = ' ';
				i++;
				st = CODE;
			} else if (c != '\n') {
				text[i] = ' ';
			}
			break;
		}
	}
}

/* The file's text with its comments blanked, NUL-terminated; NULL with
 * errno, or with a message in el for a NUL byte (which would end the text
 * the parser sees). */
static char *conf_text(int fd, const struct stat *st, const char *file,
		       struct errlist *el)
{
	ssize_t len = -1;
	char *text = NULL, *nul;

	if (!S_ISREG(st->st_mode))
		errno = EINVAL;
	else if (st->st_size > CONF_FILE_MAX)
		errno = EFBIG;
	else {
		text = xcalloc(1, (size_t)st->st_size + 1);
		len = read_full(fd, text, (size_t)st->st_size);
	}
	if (len < 0) {
		int saved = errno;
		if (saved == EFBIG)
			errlist_add(el, "%s: larger than %d bytes", file, CONF_FILE_MAX);
		else
			errlist_add(el, "%s: %s", file,
				    saved == EINVAL ? "not a regular file"
						    : strerror(saved));
		free(text);
		errno = saved;
		return NULL;
	}
	nul = memchr(text, '\0', (size_t)len);
	if (nul) {
		int line = 1;
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		errlist_add(el, "%s:%d: NUL byte", file, line);
		free(text);
		return NULL;
	}
	conf_blank_comments(text, (size_t)len);
	return text;
}

/* Loads the global config; path NULL means the usual search. A missing file
 * is only an error when the user named it. */
/* The absolute name of the file fd was opened on, as the kernel keeps it
 * (/proc/self/fd/N): the file that was read, not what its name leads to
 * now, and already free of symbolic links, so one readlink() does what
 * realpath() did with a readlink() per component. NULL when the kernel has
 * no such name (deleted, or outside this process's root). */
static char *fd_path(int fd)
{
	char self[64], buf[PATH_MAX];
	static const char deleted[] = " (deleted)";
	ssize_t n;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	n = readlink(self, buf, sizeof(buf) - 1);
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	if ((size_t)n >= sizeof(deleted) - 1 &&
	    strcmp(buf + n - (sizeof(deleted) - 1), deleted) == 0)
		return NULL;
	return xstrdup(buf);
}

int conf_load(struct globalconf *gc, const char *path, bool explicit_path,
	      struct errlist *el)
{
	cfg_opt_t opts[] = {
		CFG_STR("services_dir", NULL, CFGF_NONE),
		CFG_STR("run_dir", NULL, CFGF_NONE),
		CFG_STR("log_dir", NULL, CFGF_NONE),
		CFG_STR("initd_dir", NULL, CFGF_NONE),
		CFG_STR("rc_dir", NULL, CFGF_NONE),
		CFG_FLOAT("stop_timeout", 10, CFGF_NONE),
		CFG_FLOAT("ready_seconds", 1, CFGF_NONE),
		CFG_FLOAT("start_timeout", 30, CFGF_NONE),
		/* strings, so that they take NAME.ini's syntax ("10M", "0.5") */
		CFG_STR("restart", NULL, CFGF_NODEFAULT),
		CFG_STR("restart_delay", NULL, CFGF_NODEFAULT),
		CFG_STR("restart_max", NULL, CFGF_NODEFAULT),
		CFG_STR("log_max_bytes", NULL, CFGF_NODEFAULT),
		CFG_STR("log_backups", NULL, CFGF_NODEFAULT),
		CFG_END(),
	};
	static const char *const path_keys[] = {
		"services_dir", "run_dir", "log_dir", "initd_dir", "rc_dir",
	};
	char **slots[] = {
		&gc->services_dir, &gc->run_dir, &gc->log_dir,
		&gc->initd_dir,    &gc->rc_dir,
	};
	struct stat st;
	cfg_t *cfg;
	char *file, *dircopy, *base, *text;
	const char *why;
	size_t before = el->msgs.n;
	int rc = -1, fd, parsed;

	memset(gc, 0, sizeof(*gc));
	set_defaults(gc);
	if (!path) {
		path = getenv("SVCCTL_CONFIG");
		explicit_path = path && *path;
	}
	file = path && *path ? xstrdup(path) : default_config_path();
	/* checked and parsed through one descriptor: a name swapped after the
	 * check cannot hand the parser another file, a FIFO cannot block it */
	fd = path_open_trusted(file, O_RDONLY, 0, &why);
	if (fd < 0) {
		if (errno == ENOENT && !explicit_path) {
			free(file);
			return 0;
		}
		errlist_add(el, "%s: %s", file, why ? why : strerror(errno));
		free(file);
		return -1;
	}
	if (fstat(fd, &st) < 0 || file_trusted(file, &st, el) < 0) {
		if (el->msgs.n == before)
			errlist_add(el, "%s: %s", file, strerror(errno));
		close(fd);
		free(file);
		return -1;
	}

	parse_errors = el;
	cfg = cfg_init(opts, CFGF_NONE);
	if (!cfg) {
		errlist_add(el, "%s: cannot initialise the parser", file);
		close(fd);
		free(file);
		return -1;
	}
	cfg_set_error_function(cfg, conf_error);
	cfg_set_validate_func(cfg, "stop_timeout", check_seconds);
	cfg_set_validate_func(cfg, "ready_seconds", check_seconds);
	cfg_set_validate_func(cfg, "start_timeout", check_seconds);
	for (size_t i = 0; i < sizeof(default_keys) / sizeof(default_keys[0]); i++)
		cfg_set_validate_func(cfg, default_keys[i], check_service_default);
	text = conf_text(fd, &st, file, el);
	if (!text)
		goto out;
	parse_file = file;
	parsed = cfg_parse_buf(cfg, text);
	free(text);
	switch (parsed) {
	case CFG_SUCCESS: break;
	case CFG_FILE_ERROR: errlist_add(el, "%s: %s", file, strerror(errno)); goto out;
	default:
		if (el->msgs.n == before)
			errlist_add(el, "%s: parse error", file);
		goto out;
	}

	/* absolute, because init scripts embed it and run from / */
	gc->path = fd_path(fd);
	dircopy = xstrdup(gc->path ? gc->path : file);
	/* the kernel's name has no symbolic link left to resolve */
	base = gc->path ? xstrdup(dirname(dircopy)) : NULL;
	if (!gc->path) {
		gc->path = realpath(file, NULL);
		free(dircopy);
		dircopy = xstrdup(gc->path ? gc->path : file);
		base = realpath(dirname(dircopy), NULL);
	}
	if (!base)
		base = xstrdup(".");
	for (size_t i = 0; i < sizeof(path_keys) / sizeof(path_keys[0]); i++) {
		const char *v = cfg_getstr(cfg, path_keys[i]);
		if (!v)
			continue;
		if (!*v) {
			errlist_add(el, "%s: %s must not be empty", file, path_keys[i]);
			continue;
		}
		free(*slots[i]);
		*slots[i] = absolute_in(base, v);
	}
	free(dircopy);
	free(base);
	gc->stop_timeout = cfg_getfloat(cfg, "stop_timeout");
	gc->ready_seconds = cfg_getfloat(cfg, "ready_seconds");
	gc->start_timeout = cfg_getfloat(cfg, "start_timeout");
	for (size_t i = 0; i < sizeof(default_keys) / sizeof(default_keys[0]); i++) {
		char msg[256];

		/* checked as they were parsed: this only stores them */
		if (cfg_size(cfg, default_keys[i]) > 0 &&
		    set_service_default(gc, default_keys[i],
					cfg_getstr(cfg, default_keys[i]), msg,
					sizeof(msg)) < 0)
			errlist_add(el, "%s: %s", file, msg);
	}
	for (size_t i = 0; opts[i].name; i++)
		if (cfg_getopt(cfg, opts[i].name)->flags & CFGF_MODIFIED)
			strv_push(&gc->given, opts[i].name);
	if (el->msgs.n == before) {
		if (!gc->path) {
			gc->path = file;
			file = NULL;
		}
		rc = 0;
	} else {
		free(gc->path);
		gc->path = NULL;
	}
out:
	cfg_free(cfg);
	close(fd);
	free(file);
	parse_errors = NULL;
	parse_file = NULL;
	return rc;
}

void conf_free(struct globalconf *gc)
{
	free(gc->path);
	free(gc->services_dir);
	free(gc->run_dir);
	free(gc->log_dir);
	free(gc->initd_dir);
	free(gc->rc_dir);
	strv_free(&gc->given);
	memset(gc, 0, sizeof(*gc));
}

/* Did the file read set this option? */
bool conf_given(const struct globalconf *gc, const char *option)
{
	for (size_t i = 0; i < gc->given.n; i++)
		if (strcmp(gc->given.v[i], option) == 0)
			return true;
	return false;
}
