/* The program's plan: everything its process needs (resolved program,
 * environment, ids and groups, working directory, output), prepared before
 * any fork so the child only makes async-signal-safe calls, and prepared
 * the same way for a start and for each of a monitor's respawns. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

/* The exit code of a file that could not be made or opened: 4 when it was
 * not allowed (a read-only file system too), 1 otherwise */
int plan_errno_exit(int err)
{
	return err == EACCES || err == EPERM || err == EROFS ? EXIT_PERM : EXIT_FAILED;
}

/* The log file status and logs show: where stdout (or else stderr) goes */
const char *service_log_path(const struct service *svc)
{
	if (svc->out.kind == OUT_FILE)
		return svc->out.path ? svc->out.path : svc->log_path;
	if (svc->err.kind == OUT_FILE)
		return svc->err.path;
	return NULL;
}

/* Makes log_dir when the log is the default one there */
int plan_log_dir(const struct globalconf *gc, const struct service *svc,
		 const struct output *o, struct errlist *el)
{
	const char *why = NULL;
	int dirfd;

	if (o->path)
		return 0;
	dirfd = path_mkdir_trusted(gc->log_dir, 0755, &why);
	if (dirfd < 0) {
		int saved = errno;

		errlist_add(el, "%s: log_dir %s: %s", svc->name, gc->log_dir,
			    why ? why : strerror(errno));
		errno = saved;
		return -1;
	}
	close(dirfd);
	return 0;
}

/* Opens where one stream of the program goes (a file or /dev/null) */
int plan_open_output(const struct globalconf *gc, const struct service *svc,
		     const struct output *o, int *fd, struct errlist *el)
{
	const char *path, *why = NULL;

	if (o->kind == OUT_NULL) {
		*fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (*fd < 0)
			errlist_add(el, "%s: /dev/null: %s", svc->name, strerror(errno));
		return *fd < 0 ? -1 : 0;
	}
	path = o->path ? o->path : svc->log_path;
	if (plan_log_dir(gc, svc, o, el) < 0)
		return -1;
	/* root's 0640 file, even in a directory the service's user owns; a
	 * FIFO there would block the start with the lock held */
	*fd = path_open_trusted(path, O_WRONLY | O_APPEND | O_CREAT, 0640, &why);
	if (*fd < 0) {
		int saved = errno;

		errlist_add(el, "%s: log %s: %s", svc->name, path,
			    why ? why : strerror(errno));
		errno = saved;
		return -1;
	}
	return 0;
}

static int prepare_ids(const struct service *svc, struct spawn_plan *plan,
		       struct errlist *el)
{
	int ngroups = 64;

	plan->change_ids = false;
	if (!svc->set_user && !svc->set_group)
		return 0;
	if (geteuid() != 0) {
		if ((svc->set_user && svc->uid != geteuid()) ||
		    (svc->set_group && svc->gid != getegid())) {
			errlist_add(el, "%s: user=/group= needs root to switch to %s",
				    svc->name, svc->user ? svc->user : svc->group);
			return EXIT_PERM;
		}
		return 0;
	}
	plan->change_ids = true;
	plan->groups = xcalloc((size_t)ngroups, sizeof(gid_t));
	if (svc->set_user) {
		if (getgrouplist(svc->user, svc->gid, plan->groups, &ngroups) < 0) {
			free(plan->groups);
			plan->groups = xcalloc((size_t)ngroups, sizeof(gid_t));
			(void)getgrouplist(svc->user, svc->gid, plan->groups, &ngroups);
		}
	} else {
		plan->groups[0] = svc->gid;
		ngroups = 1;
	}
	plan->ngroups = (size_t)ngroups;
	return 0;
}

/* Prepares the plan. With outputs, opens stdout and stderr as configured;
 * without, leaves them to the caller (-1). 0, or the LSB exit code with the
 * reason in el; plan_free() either way. */
int plan_prepare(struct spawn_plan *plan, const struct service *svc,
		 const struct globalconf *gc, bool outputs, struct errlist *el)
{
	const char *why = NULL;
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->out_fd = plan->err_fd = plan->dir_fd = -1;
	plan->svc = svc;
	rc = prepare_ids(svc, plan, el);
	if (rc)
		return rc;
	if (argv_resolve(svc->argv.v[0], &plan->resolved) < 0) {
		errlist_add(el, "%s: exec %s: %s", svc->name, svc->argv.v[0],
			    strerror(errno));
		return errno == EINVAL ? EXIT_NOTCONFIGURED : EXIT_NOTINSTALLED;
	}
	plan->path = plan->resolved;
	if (build_environment(svc, &plan->env, el) < 0)
		return EXIT_NOTCONFIGURED;
	plan->envp = plan->env.v;
	plan->set_nice = geteuid() == 0 || svc->nice != 0;
	/* root's chdir happens before the switch to the service's user */
	plan->dir_fd = path_open_trusted(svc->directory, O_RDONLY | O_DIRECTORY, 0, &why);
	if (plan->dir_fd < 0) {
		rc = plan_errno_exit(errno);
		errlist_add(el, "%s: chdir %s: %s", svc->name, svc->directory,
			    why ? why : strerror(errno));
		return rc;
	}
	if (!outputs)
		return 0;
	if (plan_open_output(gc, svc, &svc->out, &plan->out_fd, el) < 0)
		return plan_errno_exit(errno);
	if (svc->err.kind == OUT_STDOUT)
		plan->err_fd = plan->out_fd;
	else if (plan_open_output(gc, svc, &svc->err, &plan->err_fd, el) < 0)
		return plan_errno_exit(errno);
	return 0;
}

void plan_close(struct spawn_plan *plan)
{
	if (plan->dir_fd >= 0)
		close(plan->dir_fd);
	if (plan->err_fd >= 0 && plan->err_fd != plan->out_fd)
		close(plan->err_fd);
	if (plan->out_fd >= 0)
		close(plan->out_fd);
	plan->dir_fd = plan->err_fd = plan->out_fd = -1;
}

void plan_free(struct spawn_plan *plan)
{
	plan_close(plan);
	free(plan->groups);
	plan->groups = NULL;
	free(plan->resolved);
	plan->resolved = NULL;
	strv_free(&plan->env);
	plan->envp = NULL;
}

static int env_set(struct strv *env, const char *kv)
{
	size_t keylen = strcspn(kv, "=");

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], kv, keylen) == 0 && env->v[i][keylen] == '=') {
			free(env->v[i]);
			env->v[i] = xstrdup(kv);
			return 0;
		}
	return strv_push(env, kv);
}

static bool env_name_valid(const char *s, size_t len)
{
	if (len == 0 ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* The lines of an environment_file (len bytes of text, which it may change):
 * KEY=VALUE, # comments, an optional "export ", one pair of matching quotes
 * around the value removed. A NUL byte is an error on its line, not the end
 * of the file. */
int env_file_parse(char *text, size_t len, const char *file, struct strv *env,
		   struct errlist *el)
{
	char *p = text, *end = text + len;
	int lineno = 0, rc = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p, *eq, *val;
		size_t vlen, linelen = (size_t)((nl ? nl : end) - p);

		p += linelen + (nl ? 1 : 0);
		lineno++;
		if (memchr(line, '\0', linelen)) {
			errlist_add(el, "%s:%d: NUL byte in line", file, lineno);
			rc = -1;
			continue;
		}
		line[linelen] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		eq = strchr(line, '=');
		if (!eq || !env_name_valid(line, (size_t)(eq - line))) {
			errlist_add(el, "%s:%d: expected KEY=VALUE", file, lineno);
			rc = -1;
			continue;
		}
		val = eq + 1;
		vlen = strlen(val);
		while (vlen > 0 && (val[vlen - 1] == '\r' || val[vlen - 1] == ' '))
			val[--vlen] = '\0';
		if (vlen >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[vlen - 1] == val[0]) {
			val[vlen - 1] = '\0';
			memmove(val, val + 1, vlen - 1);
		}
		*eq = '\0';
		{
			char *kv = xasprintf("%s=%s", line, val);
			env_set(env, kv);
			free(kv);
		}
	}
	return rc;
}

/* As root, the directory holding an environment_file follows the rules of
 * config files: in one another user can write, that user could rename a
 * root-owned file whose content it wrote (its own service's log) into the
 * name, and its KEY=VALUE lines (LD_PRELOAD=...) would reach a root program. */
static int env_file_open(const char *file, const char **why)
{
	const char *base;
	int dirfd = path_parent_trusted(file, false, 0, &base, why), fd = -1;

	if (dirfd < 0)
		return -1;
	if (running_as_root() && path_dir_check(dirfd, why) < 0) {
		*why = "is in a directory a user other than root can write";
		errno = EPERM;
	} else {
		fd = path_openat_trusted(dirfd, base, O_RDONLY, 0, why);
	}
	{
		int saved = errno;
		close(dirfd);
		errno = saved;
	}
	return fd;
}

static int read_environment_file(const struct service *svc, struct strv *env,
				 struct errlist *el)
{
	const char *why = NULL;
	struct stat st = {0};
	char *text;
	ssize_t r;
	int fd, rc;

	fd = env_file_open(svc->environment_file, &why);
	if (fd < 0) {
		if (errno == ENOENT && svc->environment_file_optional)
			return 0;
		errlist_add(el, "%s: %s", svc->environment_file,
			    why ? why : strerror(errno));
		return -1;
	}
	/* as root it feeds a program's environment (LD_PRELOAD...): same rule as
	 * the config files, checked on the descriptor that is then read, so a
	 * name swapped after the check cannot feed in another file */
	if (fstat(fd, &st) < 0 || st.st_size > (1 << 20)) {
		errlist_add(el, "%s: %s", svc->environment_file,
			    st.st_size > (1 << 20) ? strerror(EFBIG) : strerror(errno));
		close(fd);
		return -1;
	}
	if (file_trusted(svc->environment_file, &st, el) < 0) {
		close(fd);
		return -1;
	}
	text = xcalloc(1, (size_t)st.st_size + 1);
	r = read_full(fd, text, (size_t)st.st_size);
	close(fd);
	if (r < 0) {
		errlist_add(el, "%s: %s", svc->environment_file, strerror(errno));
		free(text);
		return -1;
	}
	rc = env_file_parse(text, (size_t)r, svc->environment_file, env, el);
	free(text);
	return rc;
}

/* The program's whole environment: nothing from the caller's shell except
 * LANG, so a start from a terminal and one from boot behave the same. */
int build_environment(const struct service *svc, struct strv *env, struct errlist *el)
{
	struct passwd *pw = getpwuid(svc->uid);
	const char *lang = getenv("LANG");

	strv_push(env, "PATH=" SVCCTL_PATH);
	if (lang && *lang)
		strv_push_owned(env, xasprintf("LANG=%s", lang));
	if (pw) {
		strv_push_owned(env, xasprintf("HOME=%s", pw->pw_dir));
		strv_push_owned(env, xasprintf("USER=%s", pw->pw_name));
		strv_push_owned(env, xasprintf("LOGNAME=%s", pw->pw_name));
		strv_push_owned(env,
				xasprintf("SHELL=%s",
					  pw->pw_shell && *pw->pw_shell ? pw->pw_shell
									: "/bin/sh"));
	}
	if (svc->environment_file && read_environment_file(svc, env, el) < 0)
		return -1;
	for (size_t i = 0; i < svc->environment.n; i++)
		env_set(env, svc->environment.v[i]);
	return 0;
}
