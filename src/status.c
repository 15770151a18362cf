/* status: what the user is shown of a service. One struct status_view is
 * gathered per service (the identity, the /proc facts, the log); the
 * detailed block, the LSB brief line, the list line and JSON are all
 * rendered from it into a FILE *, so each form can be tested without a
 * running service. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

/* "123 (sleep), 456 (sh)" for the leftovers identify() found */
void format_leftovers(const struct identity *id, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < id->nleft && i < IDENT_LEFT_MAX && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%d (%s)", i ? ", " : "",
				 (int)id->left[i].pid, id->left[i].comm);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (id->nleft > IDENT_LEFT_MAX && used < len)
		snprintf(buf + used, len - used, ", ...");
}

/* The word and the status exit code of each state (DESIGN 2), one table */
static const struct {
	const char *word;
	int code;
} states[] = {
	[IDENT_NONE] = {"stopped", STATUS_STOPPED},
	[IDENT_RUNNING] = {"running", STATUS_RUNNING},
	[IDENT_DEAD] = {"dead", STATUS_DEAD_PIDFILE},
	[IDENT_STALE] = {"stale", STATUS_DEAD_PIDFILE},
	[IDENT_UNTRUSTED] = {"unknown", STATUS_UNKNOWN},
	[IDENT_LEFTOVER] = {"dead", STATUS_DEAD_PIDFILE},
	[IDENT_BACKOFF] = {"backoff", STATUS_STOPPED},
	[IDENT_FATAL] = {"fatal", STATUS_DEAD_PIDFILE},
	/* the program runs; only its readiness is not known yet */
	[IDENT_STARTING] = {"starting", STATUS_RUNNING},
};

/* running, starting, backoff, fatal, dead, stale, unknown or stopped */
const char *status_word(const struct identity *id)
{
	return (unsigned)id->ident < sizeof(states) / sizeof(states[0])
		? states[id->ident].word
		: "unknown";
}

/* The exit code of status NAME (DESIGN 2) */
int status_exit_code(const struct identity *id)
{
	return (unsigned)id->ident < sizeof(states) / sizeof(states[0])
		? states[id->ident].code
		: STATUS_UNKNOWN;
}

/* Does the program run (a PID to show, an uptime to count)? */
static bool program_runs(const struct identity *id)
{
	return id->ident == IDENT_RUNNING || id->ident == IDENT_STARTING;
}

/* Always valid UTF-8 JSON: control characters escaped, each byte that is
 * not part of well-formed UTF-8 written as \ufffd. */
void json_string(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0, i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t seq = utf8_seq_len(s + i, n - i);

		if (seq == 0)
			fputs("\\ufffd", f);
		else if (seq > 1)
			fwrite(s + i, 1, seq, f);
		else if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
		i += seq ? seq : 1;
	}
	fputc('"', f);
}

/* Every process of the machine, read once per svcctl run: a JSON list of
 * a thousand services adds them up from one pass over /proc, not one
 * each. Reachable until exit, as a one-shot command's cache may be. */
static struct proc_info *procs;
static size_t nprocs;
static bool procs_read;

static void procs_load(void)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	procs_read = true;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct proc_info pi;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    parse_int(de->d_name, 1, 0x7fffffff, &pid) < 0 ||
		    proc_stat((pid_t)pid, &pi) < 0)
			continue;
		if (nprocs == cap) {
			cap = cap ? cap * 2 : 256;
			procs = xrealloc(procs, cap * sizeof(*procs));
		}
		procs[nprocs++] = pi;
	}
	closedir(d);
}

/* RSS and tasks (threads) of every live process of the service's group:
 * the processes its program forked count, not only the leader. It costs a
 * pass over /proc (every /proc/N/stat of the machine), so only the forms
 * that show it pay: status -v NAME and --json. */
static void group_usage(struct status_view *v, const struct identity *id)
{
	struct group_id g = id->group;

	if (g.pgid <= 0) {
		/* nothing recorded: the leader alone */
		v->group_rss_pages = v->pi.rss_pages;
		v->group_tasks = v->pi.threads;
		v->group_cpu_ticks = v->pi.cpu_ticks;
		v->group_procs = 1;
		return;
	}
	if (!procs_read)
		procs_load();
	for (size_t i = 0; i < nprocs; i++) {
		if (!proc_group_member(&g, &procs[i]))
			continue;
		v->group_rss_pages += procs[i].rss_pages;
		v->group_tasks += procs[i].threads;
		v->group_cpu_ticks += procs[i].cpu_ticks;
		v->group_procs++;
	}
	if (v->group_procs == 0) {
		/* the leader left the group (setpgid): it still counts */
		v->group_rss_pages = v->pi.rss_pages;
		v->group_tasks = v->pi.threads;
		v->group_cpu_ticks = v->pi.cpu_ticks;
		v->group_procs = 1;
	}
}

/* Seconds of CPU time, user and system, from clock ticks */
static double cpu_seconds(unsigned long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return (double)ticks / (double)(hz > 0 ? hz : 100);
}

/* When the state began, and how a stopped service stopped (DESIGN 2):
 * worked out from the identity at render time */
struct since {
	long long since_ms; /* 0: not known */
	char stop_reason[160];
	long long ran_ms;
	bool have_ran;
};

static void since_of(const struct identity *id, struct since *v)
{
	const struct state *st = &id->st;
	bool exited = id->have_state && st->nexits > 0;

	memset(v, 0, sizeof(*v));
	switch (id->ident) {
	case IDENT_RUNNING:
	case IDENT_STARTING:
		if (id->have_state && st->started_at > 0)
			v->since_ms = st->started_at * 1000;
		break;
	case IDENT_NONE:
		if (!id->have_state || st->run != RUN_STOPPED)
			break;
		if (st->stopped_at > 0) {
			v->since_ms = st->stopped_at;
			snprintf(v->stop_reason, sizeof(v->stop_reason), "%s",
				 st->stop_reason);
			if (st->started_at > 0 && st->stopped_at >= st->started_at * 1000)
				v->ran_ms = st->stopped_at - st->started_at * 1000;
			else if (exited)
				v->ran_ms = st->exits[0].run_ms;
		} else if (exited) {
			/* the monitor saw the program end and restarts nothing */
			v->since_ms = st->exits[0].when;
			describe_wait_status(st->exits[0].status, v->stop_reason,
					     sizeof(v->stop_reason));
			v->ran_ms = st->exits[0].run_ms;
		}
		v->have_ran = v->since_ms > 0 && v->ran_ms >= 0 &&
			(st->started_at > 0 || exited);
		break;
	case IDENT_BACKOFF:
	case IDENT_FATAL:
	case IDENT_DEAD:
	case IDENT_LEFTOVER:
		/* the exit the monitor recorded, when it did */
		if (exited)
			v->since_ms = st->exits[0].when;
		break;
	default: break;
	}
}

/* What status shows beyond the identity; the command line only for the
 * detailed forms, since a list of 1000 services has no column for it. The
 * main process's memory and CPU come with its /proc/PID/stat, read to
 * verify it; the group's totals need a pass over /proc, so the block shows
 * them only with -v (status_print_json adds them up itself). */
void status_gather(struct status_view *v, const struct service *svc,
		   const struct identity *id, bool detailed)
{
	memset(v, 0, sizeof(*v));
	v->svc = svc;
	v->id = id;
	v->log = service_log_path(svc);
	v->now_ms = now_wall_ms();
	if (!program_runs(id))
		return;
	v->pi = id->pi;
	v->have_pi = id->have_pi;
	if (v->have_pi)
		v->uptime = proc_uptime_of(v->pi.starttime);
	if (detailed) {
		struct strv argv = {0};
		if (proc_argv(id->pid, &argv) == 0) {
			char *line = argv_join(argv.v, argv.n);
			snprintf(v->cmdline, sizeof(v->cmdline), "%s", line);
			free(line);
		}
		strv_free(&argv);
		if (v->have_pi && verbosity >= 2)
			group_usage(v, id);
	}
}

/* Colour only on a terminal, and never with NO_COLOR set (no-color.org) */
bool status_colour(int fd)
{
	const char *no = getenv("NO_COLOR");

	return (!no || !*no) && isatty(fd);
}

/* The identity a state word stands for, to colour a list's row */
static enum ident ident_of_word(const char *word)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (states[i].word && strcmp(states[i].word, word) == 0)
			return (enum ident)i;
	return IDENT_UNTRUSTED;
}

/* The state word, coloured by what it asks of the reader */
static void put_state_word(FILE *f, const struct status_view *v, const char *word,
			   int width)
{
	const char *on = NULL;

	if (v->colour) {
		switch (v->id->ident) {
		case IDENT_RUNNING: on = "\033[32m"; break;
		case IDENT_DEAD:
		case IDENT_LEFTOVER:
		case IDENT_FATAL:
		case IDENT_UNTRUSTED: on = "\033[31m"; break;
		case IDENT_BACKOFF:
		case IDENT_STARTING:
		case IDENT_STALE: on = "\033[33m"; break;
		default: break;
		}
	}
	if (on)
		fprintf(f, "%s%s\033[0m%*s", on, word,
			width > (int)strlen(word) ? width - (int)strlen(word) : 0, "");
	else
		fprintf(f, "%-*s", width, word);
}

/* The last lines of the log as they are (JSON escapes what it must) */
static void log_last_lines(const char *path, int want, struct strv *out)
{
	char buf[LOG_TAIL_WINDOW + 1];
	struct stat sb;
	off_t from;
	ssize_t r;
	size_t start = 0, nl = 0;
	int fd = path_open_read(path, &sb, NULL);

	if (fd < 0)
		return;
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return;
	}
	from = sb.st_size > (off_t)sizeof(buf) - 1 ? sb.st_size - (off_t)sizeof(buf) + 1
						   : 0;
	while ((r = pread(fd, buf, sizeof(buf) - 1, from)) < 0 && errno == EINTR)
		;
	close(fd);
	if (r <= 0)
		return;
	if (buf[r - 1] == '\n')
		r--;
	for (ssize_t i = 0; i < r; i++)
		if (buf[i] == '\0')
			buf[i] = ' '; /* a C string cannot hold it */
	buf[r] = '\0';
	/* back from the end over want newlines; a line cut by the read window
	 * (LOG_TAIL_WINDOW, as the block's tail reads) is shown from the cut,
	 * as the block shows it */
	start = (size_t)r;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++nl == (size_t)want)
			break;
		start--;
	}
	for (char *line = buf + start, *end;; line = end + 1) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		strv_push(out, line);
		if (!end)
			break;
	}
}

static void json_time_or_null(FILE *f, const char *key, long long ms, bool have)
{
	char when[64];

	fprintf(f, ",\"%s\":", key);
	if (!have) {
		fputs("null", f);
		return;
	}
	format_time_iso(ms, when, sizeof(when));
	json_string(f, when);
}

static void json_text_or_null(FILE *f, const char *key, const char *text)
{
	fprintf(f, ",\"%s\":", key);
	if (text && *text)
		json_string(f, text);
	else
		fputs("null", f);
}

static void json_exits(FILE *f, const struct state *st)
{
	fputs(",\"exits\":[", f);
	for (size_t i = 0; i < st->nexits && i < STATE_EXITS_MAX; i++) {
		const struct exit_record *ex = &st->exits[i];
		char when[64];

		format_time_iso(ex->when, when, sizeof(when));
		fputs(i ? ",{\"time\":" : "{\"time\":", f);
		json_string(f, when);
		if (WIFEXITED(ex->status))
			fprintf(f, ",\"code\":%d", WEXITSTATUS(ex->status));
		else
			fputs(",\"code\":null", f);
		fputs(",\"signal\":", f);
		if (WIFSIGNALED(ex->status)) {
			const char *name = signal_name(WTERMSIG(ex->status));
			json_string(f, strncmp(name, "SIG", 3) == 0 ? name + 3 : name);
		} else {
			fputs("null", f);
		}
		fprintf(f, ",\"run_seconds\":%.3f}", (double)ex->run_ms / 1000.0);
	}
	fputc(']', f);
}

/* One JSON object, no newline; times ISO 8601 with the offset. Fields
 * that do not apply are null (or 0, false, [] for counts and lists). */
void status_print_json(FILE *f, const struct status_view *v)
{
	const struct service *svc = v->svc;
	const struct identity *id = v->id;
	const struct state *st = &id->st;
	bool runs = program_runs(id), state = id->have_state;
	bool stopped = id->ident == IDENT_NONE && state && st->run == RUN_STOPPED;
	long page = sysconf(_SC_PAGESIZE);
	struct status_view g = {0};
	struct since si;

	since_of(id, &si);
	/* the group's totals: gathered for -v, else added up here */
	g.pi = v->pi;
	g.group_rss_pages = v->group_rss_pages;
	g.group_tasks = v->group_tasks;
	g.group_procs = v->group_procs;
	g.group_cpu_ticks = v->group_cpu_ticks;
	if (runs && v->have_pi && g.group_procs == 0)
		group_usage(&g, id);

	fputs("{\"name\":", f);
	json_string(f, svc->name);
	fputs(",\"description\":", f);
	json_string(f, svc->description);
	fputs(",\"state\":", f);
	json_string(f, status_word(id));
	fprintf(f, ",\"pid\":%d",
		id->ident == IDENT_NONE || id->pid < 0 ? 0 : (int)id->pid);
	json_time_or_null(f, "since", si.since_ms, si.since_ms > 0);
	fputs(",\"since_epoch\":", f);
	if (si.since_ms > 0)
		fprintf(f, "%.3f", (double)si.since_ms / 1000.0);
	else
		fputs("null", f);
	fprintf(f, ",\"uptime_seconds\":%.0f", v->uptime);
	fputs(",\"process\":", f);
	json_string(f, v->have_pi ? v->pi.comm : "");
	fputs(",\"command\":", f);
	json_string(f, v->cmdline[0] ? v->cmdline : svc->exec_line);
	fprintf(f, ",\"rss_bytes\":%lld,\"tasks\":%ld,\"processes\":%ld",
		(long long)g.group_rss_pages * page, g.group_tasks, g.group_procs);
	fprintf(f, ",\"leader_rss_bytes\":%lld,\"leader_tasks\":%ld",
		v->have_pi ? (long long)v->pi.rss_pages * page : 0LL,
		v->have_pi ? v->pi.threads : 0L);
	if (runs && v->have_pi)
		fprintf(f, ",\"cpu_seconds\":%.2f", cpu_seconds(g.group_cpu_ticks));
	else
		fputs(",\"cpu_seconds\":null", f);
	fputs(",\"config\":", f);
	if (svc->ini_path)
		json_string(f, svc->ini_path);
	else
		fputs("null", f);
	fprintf(f, ",\"enabled\":%s",
		!v->have_enabled     ? "null"
			: v->enabled ? "true"
				     : "false");
	fputs(",\"pidfile\":", f);
	json_string(f, svc->pidfile);
	fprintf(f, ",\"verified\":%s", runs ? "true" : "false");
	fputs(",\"verified_by\":", f);
	if (runs ? id->how : id->why)
		json_string(f, runs ? id->how : id->why);
	else
		fputs("null", f);
	fprintf(f, ",\"leftovers\":%zu", id->nleft);
	fprintf(f, ",\"supervised\":%s,\"monitor_pid\":%d",
		id->supervised ? "true" : "false",
		id->supervised && state ? (int)st->monitor_pid : 0);
	fprintf(f, ",\"restarts\":%d", state ? st->restarts : 0);
	fputs(",\"last_exit\":", f);
	json_string(f, state && st->last_exit[0] ? st->last_exit : "-");
	if (state) {
		json_exits(f, st);
	} else {
		fputs(",\"exits\":[]", f);
	}
	json_time_or_null(f, "next_attempt", st->next_attempt,
			  id->ident == IDENT_BACKOFF && state && st->next_attempt > 0);
	json_text_or_null(f, "reason",
			  id->ident == IDENT_FATAL && state ? st->reason : NULL);
	json_time_or_null(f, "stopped_at", si.since_ms, stopped && si.since_ms > 0);
	json_text_or_null(f, "stop_reason", stopped ? si.stop_reason : NULL);
	fputs(",\"ran_seconds\":", f);
	if (stopped && si.have_ran)
		fprintf(f, "%.3f", (double)si.ran_ms / 1000.0);
	else
		fputs("null", f);
	json_text_or_null(f, "status_text", state ? st->status_text : NULL);
	json_text_or_null(f, "notify_state",
			  state ? notify_state_word(st->notify_state) : NULL);
	fputs(",\"log\":", f);
	if (v->log)
		json_string(f, v->log);
	else
		fputs("null", f);
	fputs(",\"log_tail\":[", f);
	if (v->log) {
		struct strv lines = {0};

		log_last_lines(v->log, STATUS_LOG_LINES, &lines);
		for (size_t i = 0; i < lines.n; i++) {
			if (i)
				fputc(',', f);
			json_string(f, lines.v[i]);
		}
		strv_free(&lines);
	}
	fputs("]}", f);
}

/* The object of a service that could not be loaded: "unknown" when there
 * is no such service (status exits 4), "invalid" when its file is in
 * error; error says why, as stderr does */
void status_print_json_error(FILE *f, const char *name, bool missing, const char *why)
{
	fputs("{\"name\":", f);
	json_string(f, name);
	fprintf(f, ",\"state\":\"%s\",\"error\":", missing ? "unknown" : "invalid");
	json_string(f, why);
	fputc('}', f);
}

static void local_time(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "?");
}

/* seconds from now to ms (never negative) */
static double seconds_until(const struct status_view *v, long long ms)
{
	return ms > v->now_ms ? (double)(ms - v->now_ms) / 1000.0 : 0;
}

/* "since 2026-12-02 04:37:30 UTC; 3min 12s ago" */
static void since_text(const struct status_view *v, long long ms, char *buf, size_t len)
{
	char when[64], dur[32];

	local_time(ms, when, sizeof(when));
	format_duration(v->now_ms > ms ? (double)(v->now_ms - ms) / 1000.0 : 0, dur,
			sizeof(dur));
	snprintf(buf, len, "since %s; %s ago", when, dur);
}

/* The State: line: the word, since when, and what it means */
static void block_state_line(FILE *f, const struct status_view *v)
{
	const struct identity *id = v->id;
	char since[128] = "", dur[32], when[64];
	struct since si;

	since_of(id, &si);
	if (si.since_ms > 0)
		since_text(v, si.since_ms, since, sizeof(since));
	fputs("    State: ", f);
	put_state_word(f, v, status_word(id), 0);
	switch (id->ident) {
	case IDENT_RUNNING:
	case IDENT_STARTING:
		format_duration(v->uptime, dur, sizeof(dur));
		if (*since)
			fprintf(f, " %s", since);
		else
			fprintf(f, " (up %s)", dur);
		fputs(id->ident == IDENT_STARTING ? " (waiting for readiness)\n" : "\n",
		      f);
		break;
	case IDENT_BACKOFF:
		if (*since)
			fprintf(f, " %s", since);
		if (id->have_state && id->st.next_attempt > 0) {
			local_time(id->st.next_attempt, when, sizeof(when));
			format_duration(seconds_until(v, id->st.next_attempt), dur,
					sizeof(dur));
			fprintf(f, "%snext attempt in %s at %s", *since ? ", " : ": ",
				dur, when);
		}
		fputc('\n', f);
		break;
	case IDENT_FATAL: {
		char *reason = text_visible_dup(id->have_state ? id->st.reason : "");

		if (*since)
			fprintf(f, " %s", since);
		fprintf(f, ": %s\n", *reason ? reason : "the monitor gave up");
		free(reason);
		break;
	}
	case IDENT_NONE:
		if (!id->have_state) {
			fputs(" (no run recorded)\n", f);
		} else if (*since) {
			char *how = text_visible_dup(si.stop_reason);

			fprintf(f, " %s", since);
			if (*how)
				fprintf(f, ", %s", how);
			if (si.have_ran) {
				format_duration((double)si.ran_ms / 1000.0, dur,
						sizeof(dur));
				fprintf(f, ", after running %s", dur);
			}
			fputc('\n', f);
			free(how);
		} else {
			fputc('\n', f);
		}
		break;
	case IDENT_LEFTOVER: {
		char list[256];
		char *vis;

		format_leftovers(id, list, sizeof(list));
		vis = text_visible_dup(list); /* process names are anyone's */
		if (*since)
			fprintf(f, " %s", since);
		fprintf(f,
			": pid %d is gone, %zu process%s of its group still run%s: %s\n",
			(int)id->pid, id->nleft, id->nleft == 1 ? "" : "es",
			id->nleft == 1 ? "s" : "", vis);
		free(vis);
		break;
	}
	default: {
		char *why = text_visible_dup(id->why);

		if (*since)
			fprintf(f, " %s", since);
		fprintf(f, ": %s: pid %d: %s\n",
			id->ident == IDENT_DEAD            ? "pidfile remains"
				: id->ident == IDENT_STALE ? "not running, stale pidfile"
							   : "cannot tell",
			(int)id->pid, why);
		free(why);
		break;
	}
	}
}

/* Config: the INI file read, and whether boot starts the service */
static void block_config(FILE *f, const struct status_view *v)
{
	char *path = text_visible_dup(v->svc->ini_path ? v->svc->ini_path : "-");

	fprintf(f, "   Config: %s", path);
	if (v->have_enabled)
		fprintf(f, "; %s",
			v->enabled ? "enabled at boot" : "not enabled at boot");
	fputc('\n', f);
	free(path);
}

/* Memory: and CPU: of the main process, or with -v of the whole group
 * (every live process of it, each with all its tasks) */
static void block_usage(FILE *f, const struct status_view *v)
{
	double mib = (double)sysconf(_SC_PAGESIZE) / 1048576.0;

	if (v->group_procs == 0) {
		fprintf(f, "   Memory: %.1f MiB RSS, %ld task%s (main process)\n",
			(double)v->pi.rss_pages * mib, v->pi.threads,
			v->pi.threads == 1 ? "" : "s");
		fprintf(f, "      CPU: %.2fs (user and system, main process)\n",
			cpu_seconds(v->pi.cpu_ticks));
		return;
	}
	fprintf(f,
		"   Memory: %.1f MiB RSS, %ld task%s in %ld process%s (process group)\n",
		(double)v->group_rss_pages * mib, v->group_tasks,
		v->group_tasks == 1 ? "" : "s", v->group_procs,
		v->group_procs == 1 ? "" : "es");
	fprintf(f, "      CPU: %.2fs (user and system, process group)\n",
		cpu_seconds(v->group_cpu_ticks));
}

/* The State: line, and for a running program its PID, command, memory */
static void block_state(FILE *f, const struct status_view *v, const char *cmd)
{
	const struct service *svc = v->svc;
	const struct identity *id = v->id;
	char *comm = text_visible_dup(v->have_pi ? v->pi.comm : "?");

	block_state_line(f, v);
	if (id->supervised && id->have_state)
		fprintf(f, "  Monitor: pid %d, supervising\n", (int)id->st.monitor_pid);
	else if (id->monitor_lost)
		fprintf(f,
			"  Monitor: none: the monitor is gone, the program runs "
			"unsupervised\n");
	else if (program_runs(id))
		fprintf(f, "  Monitor: none\n");
	if (program_runs(id))
		fprintf(f, "      PID: %d (%s)\n", (int)id->pid, comm);
	fprintf(f, "  Command: %s\n", cmd);
	if (program_runs(id) && v->have_pi)
		block_usage(f, v);
	if (program_runs(id))
		fprintf(f, "  Pidfile: %s (verified: %s)\n", svc->pidfile, id->how);
	else if (id->ident == IDENT_DEAD || id->ident == IDENT_STALE ||
		 id->ident == IDENT_UNTRUSTED)
		fprintf(f, "  Pidfile: %s (not verified)\n", svc->pidfile);
	free(comm);
}

/* Restarts:, the last exits newest first, the notify program's Status: */
static void block_history(FILE *f, const struct status_view *v)
{
	const struct identity *id = v->id;
	const struct state *st = &id->st;

	if (!id->have_state) {
		fprintf(f, " Restarts: 0\n");
		return;
	}
	if (st->nexits == 0 && st->last_exit[0] && strcmp(st->last_exit, "-") != 0) {
		char *last = text_visible_dup(st->last_exit);
		fprintf(f, " Restarts: %d, last exit: %s\n", st->restarts, last);
		free(last);
	} else {
		fprintf(f, " Restarts: %d\n", st->restarts);
	}
	for (size_t i = 0; i < st->nexits && i < STATE_EXITS_MAX; i++) {
		char when[64], what[128], dur[32];

		local_time(st->exits[i].when, when, sizeof(when));
		describe_wait_status(st->exits[i].status, what, sizeof(what));
		format_duration((double)st->exits[i].run_ms / 1000.0, dur, sizeof(dur));
		fprintf(f, "%s%s %s after %s\n", i ? "           " : "    Exits: ", when,
			what, dur);
	}
	if (st->status_text[0]) {
		char *text = text_visible_dup(st->status_text);
		fprintf(f, "   Status: %s\n", text);
		free(text);
	}
	if (st->notify_state != NOTIFY_NONE)
		fprintf(f, "   Notify: %s\n", notify_state_word(st->notify_state));
	if (st->notify_ignored)
		fprintf(f, "   Notify: %lu message%s from other processes ignored\n",
			st->notify_ignored, st->notify_ignored == 1 ? "" : "s");
}

/* The detailed block; the log's last lines follow it when f has a
 * descriptor (not a memory stream). */
void status_print_block(FILE *f, const struct status_view *v)
{
	const struct service *svc = v->svc;
	/* what the service's files and processes say reaches a terminal */
	char *desc = text_visible_dup(svc->description),
	     *cmd = text_visible_dup(v->cmdline[0] ? v->cmdline : svc->exec_line);

	fprintf(f, "%s - %s\n", svc->name, desc);
	block_config(f, v);
	block_state(f, v, cmd);
	block_history(f, v);
	if (v->log) {
		fprintf(f, "      Log: %s\n", v->log);
		fflush(f);
		if (fileno(f) >= 0)
			log_tail(v->log, STATUS_LOG_LINES, LOG_TAIL_WINDOW, "    ",
				 fileno(f));
	}
	free(desc);
	free(cmd);
}

/* The one line LSB tools and Ansible read: never "stop" when running */
void status_print_brief(FILE *f, const struct status_view *v)
{
	const struct identity *id = v->id;
	const char *name = v->svc->name;

	switch (id->ident) {
	case IDENT_RUNNING:
	case IDENT_STARTING:
		fprintf(f, "%s is running (pid %d%s%s)\n", name, (int)id->pid,
			id->ident == IDENT_STARTING ? ", starting" : "",
			id->monitor_lost ? ", unsupervised" : "");
		break;
	case IDENT_NONE: fprintf(f, "%s is not running\n", name); break;
	case IDENT_BACKOFF: {
		double in = id->have_state ? seconds_until(v, id->st.next_attempt) : 0;

		/* whole seconds, rounded up: "in 0s" would read as "now" */
		fprintf(f, "%s is not running (backoff, next attempt in %llds)\n", name,
			(long long)in + (in > (double)(long long)in));
		break;
	}
	case IDENT_FATAL: {
		char *reason = text_visible_dup(id->have_state ? id->st.reason : "");
		fprintf(f, "%s has failed: %s\n", name,
			*reason ? reason : "the monitor gave up");
		free(reason);
		break;
	}
	case IDENT_UNTRUSTED: {
		char *why = text_visible_dup(id->why);
		fprintf(f, "%s status is unknown: %s\n", name, why);
		free(why);
		break;
	}
	case IDENT_LEFTOVER:
		fprintf(f, "%s is dead but %zu process%s of its group still run%s\n",
			name, id->nleft, id->nleft == 1 ? "" : "es",
			id->nleft == 1 ? "s" : "");
		break;
	default: fprintf(f, "%s is dead but pid file exists\n", name); break;
	}
}

/* One row of the list, its fields separated by tabs (the description made
 * visible, its own tabs turned to spaces): status_print_table aligns the
 * rows once it has them all, so each column is as wide as its content. */
void status_print_line(FILE *f, const struct status_view *v)
{
	char dur[32] = "-", pid[16] = "-";
	char *desc = text_visible_dup(v->svc->description);

	for (char *p = desc; *p; p++)
		if (*p == '\t')
			*p = ' ';
	if (program_runs(v->id))
		format_duration(v->uptime, dur, sizeof(dur));
	if (v->id->ident != IDENT_NONE && v->id->pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)v->id->pid);
	fprintf(f, "%s\t%s\t%s\t%s\t%s\n", v->svc->name, status_word(v->id), pid, dur,
		desc);
	free(desc);
}

enum { COL_NAME, COL_STATE, COL_PID, COL_UPTIME, COL_DESC, COLS };

/* Splits a row in place into its COLS fields; false for a malformed one */
static bool row_split(char *row, char *field[COLS])
{
	field[0] = row;
	for (int c = 1; c < COLS; c++) {
		char *tab = strchr(field[c - 1], '\t');

		if (!tab)
			return false;
		*tab = '\0';
		field[c] = tab + 1;
	}
	return true;
}

/* Display width of visible UTF-8 text: one column per character */
static int text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* The header and the rows status_print_line wrote, aligned: NAME STATE
 * PID UPTIME DESCRIPTION, each column as wide as its widest entry */
void status_print_table(FILE *f, char *rows, size_t len, bool colour)
{
	static const char *const titles[COLS] = {"NAME", "STATE", "PID", "UPTIME",
						 "DESCRIPTION"};
	int width[COLS];
	char *field[COLS];
	char *end = rows + len;

	for (int c = 0; c < COLS; c++)
		width[c] = (int)strlen(titles[c]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			fprintf(f, "%-*s  %-*s  %*s  %-*s  %s\n", width[COL_NAME],
				titles[COL_NAME], width[COL_STATE], titles[COL_STATE],
				width[COL_PID], titles[COL_PID], width[COL_UPTIME],
				titles[COL_UPTIME], titles[COL_DESC]);
		}
		for (char *row = rows; row < end;) {
			char *nl = memchr(row, '\n', (size_t)(end - row)), *next;

			if (!nl)
				break;
			next = nl + 1;
			*nl = '\0';
			if (row_split(row, field)) {
				for (int c = 0; c < COL_DESC && pass == 0; c++)
					if (text_width(field[c]) > width[c])
						width[c] = text_width(field[c]);
				if (pass == 1) {
					struct status_view v = {0};
					struct identity id = {0};

					fprintf(f, "%-*s  ", width[COL_NAME],
						field[COL_NAME]);
					v.id = &id;
					v.colour = colour;
					id.ident = ident_of_word(field[COL_STATE]);
					put_state_word(f, &v, field[COL_STATE],
						       width[COL_STATE]);
					fprintf(f, "  %*s  %-*s  %s\n", width[COL_PID],
						field[COL_PID], width[COL_UPTIME],
						field[COL_UPTIME], field[COL_DESC]);
				}
				/* put the row back together for the second pass */
				for (int c = 1; c < COLS; c++)
					*(field[c] - 1) = '\t';
			}
			*nl = '\n';
			row = next;
		}
	}
}

/* The status rows (or JSON objects, a comma before each but the first of
 * the whole list) of names[from, to) on stdout; 0 when all of them run
 * (starting counts: the program runs), else 3. */
int status_lines(const struct globalconf *gc, bool json, const struct strv *names,
		 size_t from, size_t to)
{
	int rc = EXIT_OK;

	for (size_t i = from; i < to; i++) {
		struct errlist el = {0};
		struct service svc;
		struct identity id;
		struct status_view v;

		if (service_load(&svc, gc, names->v[i], &el) < 0) {
			bool missing = errno == ENOENT;
			char *vname = text_visible_dup(names->v[i]),
			     *why = text_visible_dup(el.msgs.n ? el.msgs.v[0] : "");
			for (char *p = why; *p; p++)
				if (*p == '\t')
					*p = ' ';
			if (verbosity > 0 && !json) {
				printf("%s\tinvalid\t-\t-\t%s\n", vname, why);
			} else if (json && verbosity > 0) {
				if (i)
					fputc(',', stdout);
				status_print_json_error(stdout, names->v[i], missing,
							el.msgs.n ? el.msgs.v[0] : "");
			}
			free(vname);
			free(why);
			errlist_free(&el);
			service_free(&svc);
			rc = STATUS_STOPPED;
			continue;
		}
		errlist_free(&el);
		identify(&svc, &id);
		if (status_exit_code(&id) != STATUS_RUNNING)
			rc = STATUS_STOPPED;
		if (verbosity > 0) {
			status_gather(&v, &svc, &id, json);
			if (json) {
				v.have_enabled = true;
				v.enabled = initscript_is_enabled(gc, svc.name);
				if (i)
					fputc(',', stdout);
				status_print_json(stdout, &v);
			} else {
				status_print_line(stdout, &v);
			}
		}
		service_free(&svc);
	}
	return rc;
}
