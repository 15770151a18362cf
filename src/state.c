/* NAME.state: what svcctl needs to trust a PID (start time, boot id, group,
 * session), written atomically next to the pidfile, root's, 0644. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

static const char *const run_words[] = {
	[RUN_RUNNING] = "running", [RUN_STARTING] = "starting", [RUN_BACKOFF] = "backoff",
	[RUN_FATAL] = "fatal",     [RUN_STOPPED] = "stopped",
};

const char *run_state_word(enum run_state run)
{
	return (unsigned)run < sizeof(run_words) / sizeof(run_words[0]) ? run_words[run]
									: "unknown";
}

static const char *const notify_words[] = {
	[NOTIFY_NONE] = "",
	[NOTIFY_READY] = "ready",
	[NOTIFY_RELOADING] = "reloading",
	[NOTIFY_STOPPING] = "stopping",
};

const char *notify_state_word(enum notify_state ns)
{
	return (unsigned)ns < sizeof(notify_words) / sizeof(notify_words[0])
		? notify_words[ns]
		: "";
}

/* Does this state name a program that should be running? */
static bool run_has_program(enum run_state run)
{
	return run == RUN_RUNNING || run == RUN_STARTING;
}

/* Records an exit, newest first, dropping the oldest beyond STATE_EXITS_MAX */
void state_add_exit(struct state *st, const struct exit_record *ex)
{
	size_t n = st->nexits < STATE_EXITS_MAX ? st->nexits : STATE_EXITS_MAX - 1;

	memmove(&st->exits[1], &st->exits[0], n * sizeof(st->exits[0]));
	st->exits[0] = *ex;
	st->nexits = n + 1;
}

/* Turns the state of a run into the record of its stop: nothing runs, the
 * history (restarts, exits) is kept, when and how it stopped are added. */
void state_mark_stopped(struct state *st, long long when_ms, const char *how)
{
	st->run = RUN_STOPPED;
	st->pid = 0;
	st->starttime = 0;
	st->monitor_pid = 0;
	st->monitor_starttime = 0;
	st->next_attempt = 0;
	st->notify_state = NOTIFY_NONE;
	st->stopped_at = when_ms;
	snprintf(st->stop_reason, sizeof(st->stop_reason), "%s", how);
	if (!st->boot_id[0])
		(void)proc_boot_id(st->boot_id, sizeof(st->boot_id));
}

/* Free text goes in one line: a newline in it would start a key of its own */
static void put_text(char **p, size_t *left, const char *key, const char *text)
{
	int n = snprintf(*p, *left, "%s=", key);

	if (n < 0 || (size_t)n >= *left) {
		*left = 0;
		return;
	}
	*p += n;
	*left -= (size_t)n;
	for (; *text && *left > 1; text++, (*p)++, (*left)--)
		**p = (char)(*text == '\n' || *text == '\r' ? ' ' : *text);
	if (*left > 1) {
		*(*p)++ = '\n';
		(*left)--;
		**p = '\0';
	} else {
		*left = 0;
	}
}

static void put_fmt(char **p, size_t *left, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_fmt(char **p, size_t *left, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*left == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(*p, *left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= *left) {
		*left = 0;
		return;
	}
	*p += n;
	*left -= (size_t)n;
}

int state_format(const struct state *st, char *buf, size_t len)
{
	char *p = buf;
	size_t left = len;

	put_fmt(&p, &left,
		"pid=%d\nstarttime=%llu\nboot_id=%s\npgid=%d\nsid=%d\n"
		"monitor_pid=%d\nmonitor_starttime=%llu\nrun=%s\nstarted_at=%lld\n"
		"restarts=%d\n",
		(int)st->pid, st->starttime, st->boot_id, (int)st->pgid, (int)st->sid,
		(int)st->monitor_pid, st->monitor_starttime, run_state_word(st->run),
		st->started_at, st->restarts);
	if (st->next_attempt)
		put_fmt(&p, &left, "next_attempt=%lld\n", st->next_attempt);
	put_text(&p, &left, "last_exit", st->last_exit);
	if (st->reason[0])
		put_text(&p, &left, "reason", st->reason);
	if (st->stopped_at)
		put_fmt(&p, &left, "stopped_at=%lld\n", st->stopped_at);
	if (st->stop_reason[0])
		put_text(&p, &left, "stop_reason", st->stop_reason);
	if (st->status_text[0])
		put_text(&p, &left, "status_text", st->status_text);
	if (st->notify_state != NOTIFY_NONE)
		put_fmt(&p, &left, "notify_state=%s\n",
			notify_state_word(st->notify_state));
	if (st->notify_ignored)
		put_fmt(&p, &left, "notify_ignored=%lu\n", st->notify_ignored);
	for (size_t i = 0; i < st->nexits && i < STATE_EXITS_MAX; i++)
		put_fmt(&p, &left, "exit=%lld %d %lld\n", st->exits[i].when,
			st->exits[i].status, st->exits[i].run_ms);
	put_text(&p, &left, "exec", st->exec);
	if (left == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return (int)(p - buf);
}

int state_write(const char *path, const struct state *st)
{
	char buf[STATE_TEXT_MAX];
	int n = state_format(st, buf, sizeof(buf));

	if (n < 0)
		return -1;
	return write_file_atomic(path, buf, (size_t)n, 0644);
}

static void copy_field(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/* The latest time a state may name: the end of year 9999, in seconds. A time
 * outside 0..this is not known (0): status never computes with it (no
 * overflow in "* 1000", no date in year 292278994). */
#define STATE_TIME_MAX 253402300799LL

static long long time_field(const char *v, long long max)
{
	char *end;
	long long t;

	errno = 0;
	t = strtoll(v, &end, 10);
	return end == v || errno || t < 0 || t > max ? 0 : t;
}

static int parse_exit(const char *v, struct exit_record *ex)
{
	char *end;

	errno = 0;
	ex->when = strtoll(v, &end, 10);
	if (end == v || *end != ' ' || errno || ex->when < 0 ||
	    ex->when > STATE_TIME_MAX * 1000)
		return -1;
	v = end + 1;
	ex->status = (int)strtol(v, &end, 10);
	if (end == v || *end != ' ' || errno)
		return -1;
	v = end + 1;
	ex->run_ms = strtoll(v, &end, 10);
	if (end == v || *end || errno || ex->run_ms < 0 ||
	    ex->run_ms > STATE_TIME_MAX * 1000)
		return -1;
	return 0;
}

/* KEY=VALUE lines; unknown keys are skipped so that an older svcctl can read
 * a newer one's state. boot_id is required, and pid and starttime while a
 * program should run (run= running or starting, or no run= at all: an older
 * svcctl's state); a state without pgid (an older svcctl's) means the
 * program led its own group, and without sid, that the session is not
 * checked. */
int state_parse(const char *text, struct state *st)
{
	char *copy = xstrdup(text), *save = NULL, *line;
	unsigned seen = 0;
	bool bad = false;

	memset(st, 0, sizeof(*st));
	for (line = strtok_r(copy, "\n", &save); line && !bad;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), *end;
		const char *v;
		long n;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		if (strcmp(line, "pid") == 0) {
			bad = parse_int(v, 0, 0x3fffffff, &n) < 0;
			st->pid = (pid_t)n;
			/* the last pid= counts, also for "was there one" */
			seen = n > 0 ? seen | 1 : seen & ~1u;
		} else if (strcmp(line, "starttime") == 0) {
			errno = 0;
			st->starttime = strtoull(v, &end, 10);
			bad = *v < '0' || *v > '9' || *end || errno;
			seen |= 2;
		} else if (strcmp(line, "boot_id") == 0) {
			bad = !*v;
			copy_field(st->boot_id, sizeof(st->boot_id), v);
			seen |= 4;
		} else if (strcmp(line, "pgid") == 0) {
			bad = parse_int(v, 0, 0x3fffffff, &n) < 0;
			st->pgid = (pid_t)n;
		} else if (strcmp(line, "sid") == 0) {
			bad = parse_int(v, 0, 0x3fffffff, &n) < 0;
			st->sid = (pid_t)n;
		} else if (strcmp(line, "monitor_pid") == 0) {
			bad = parse_int(v, 0, 0x3fffffff, &n) < 0;
			st->monitor_pid = (pid_t)n;
		} else if (strcmp(line, "monitor_starttime") == 0) {
			errno = 0;
			st->monitor_starttime = strtoull(v, &end, 10);
			bad = *v < '0' || *v > '9' || *end || errno;
		} else if (strcmp(line, "run") == 0) {
			size_t i, nwords = sizeof(run_words) / sizeof(run_words[0]);

			for (i = 0; i < nwords && strcmp(v, run_words[i]) != 0; i++)
				;
			bad = i == nwords;
			st->run = (enum run_state)i;
		} else if (strcmp(line, "started_at") == 0) {
			st->started_at = time_field(v, STATE_TIME_MAX);
		} else if (strcmp(line, "next_attempt") == 0) {
			st->next_attempt = time_field(v, STATE_TIME_MAX * 1000);
		} else if (strcmp(line, "restarts") == 0) {
			bad = parse_int(v, 0, 1 << 30, &n) < 0;
			st->restarts = (int)n;
		} else if (strcmp(line, "last_exit") == 0) {
			copy_field(st->last_exit, sizeof(st->last_exit), v);
		} else if (strcmp(line, "reason") == 0) {
			copy_field(st->reason, sizeof(st->reason), v);
		} else if (strcmp(line, "stopped_at") == 0) {
			st->stopped_at = time_field(v, STATE_TIME_MAX * 1000);
		} else if (strcmp(line, "stop_reason") == 0) {
			copy_field(st->stop_reason, sizeof(st->stop_reason), v);
		} else if (strcmp(line, "status_text") == 0) {
			copy_field(st->status_text, sizeof(st->status_text), v);
		} else if (strcmp(line, "notify_state") == 0) {
			/* an unknown word from a newer svcctl: nothing said */
			for (int i = NOTIFY_READY; i <= NOTIFY_STOPPING; i++)
				if (strcmp(v, notify_words[i]) == 0)
					st->notify_state = (enum notify_state)i;
		} else if (strcmp(line, "notify_ignored") == 0) {
			st->notify_ignored = strtoul(v, NULL, 10);
		} else if (strcmp(line, "exit") == 0) {
			if (st->nexits < STATE_EXITS_MAX)
				bad = parse_exit(v, &st->exits[st->nexits++]) < 0;
		} else if (strcmp(line, "exec") == 0) {
			copy_field(st->exec, sizeof(st->exec), v);
		}
	}
	free(copy);
	if (!bad && !run_has_program(st->run)) {
		/* nothing runs: a PID recorded anyway means nothing */
		st->pid = 0;
		seen |= 3;
	}
	if (bad || seen != 7) {
		errno = EINVAL;
		return -1;
	}
	if (!st->pgid)
		st->pgid = st->pid;
	return 0;
}

/* The state vouches for a PID, so only svcctl's own file counts: root's (or
 * the calling user's), writable by nobody else. */
int state_read(const char *path, struct state *st)
{
	char text[4097];
	struct stat sb;
	ssize_t r;
	int fd = path_open_read(path, &sb, NULL);

	if (fd < 0)
		return -1;
	if ((r = read_once(fd, text, sizeof(text))) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if ((sb.st_uid != 0 && sb.st_uid != geteuid()) ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return -1;
	}
	if ((size_t)r >= sizeof(text)) {
		errno = EFBIG;
		return -1;
	}
	text[r] = '\0';
	return state_parse(text, st);
}
