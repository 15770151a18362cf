/* status: what the user is shown of a service. One struct status_view is
 * gathered per service (the identity, the /proc facts, the log); the
 * detailed block, the LSB brief line, the list line and JSON are all
 * rendered from it into a FILE *, so each form can be tested without a
 * running service. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* What status shows beyond the identity; the command line only for the
 * detailed forms, since a list of 1000 services has no column for it. */
void status_gather(struct status_view *v, const struct service *svc,
		   const struct identity *id, bool cmdline)
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
	if (cmdline) {
		struct strv argv = {0};
		if (proc_argv(id->pid, &argv) == 0) {
			char *line = argv_join(argv.v, argv.n);
			snprintf(v->cmdline, sizeof(v->cmdline), "%s", line);
			free(line);
		}
		strv_free(&argv);
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

/* One JSON object and a newline; times ISO 8601 with the offset */
void status_print_json(FILE *f, const struct status_view *v)
{
	const struct service *svc = v->svc;
	const struct identity *id = v->id;
	const struct state *st = &id->st;
	bool runs = program_runs(id), state = id->have_state;
	long page = sysconf(_SC_PAGESIZE);

	fputs("{\"name\":", f);
	json_string(f, svc->name);
	fputs(",\"description\":", f);
	json_string(f, svc->description);
	fputs(",\"state\":", f);
	json_string(f, status_word(id));
	fprintf(f, ",\"pid\":%d",
		id->ident == IDENT_NONE || id->pid < 0 ? 0 : (int)id->pid);
	json_time_or_null(f, "since", st->started_at * 1000,
			  runs && state && st->started_at > 0);
	fprintf(f, ",\"uptime_seconds\":%.0f", v->uptime);
	fputs(",\"process\":", f);
	json_string(f, v->have_pi ? v->pi.comm : "");
	fputs(",\"command\":", f);
	json_string(f, v->cmdline[0] ? v->cmdline : svc->exec_line);
	fprintf(f, ",\"rss_bytes\":%lld,\"tasks\":%ld",
		v->have_pi ? (long long)v->pi.rss_pages * page : 0LL,
		v->have_pi ? v->pi.threads : 0L);
	fputs(",\"pidfile\":", f);
	json_string(f, svc->pidfile);
	fprintf(f, ",\"verified\":%s", runs ? "true" : "false");
	fputs(",\"verified_by\":", f);
	json_string(f, runs ? id->how : id->why);
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
	json_text_or_null(f, "reason", state ? st->reason : NULL);
	json_text_or_null(f, "status_text", state ? st->status_text : NULL);
	json_text_or_null(f, "notify_state",
			  state ? notify_state_word(st->notify_state) : NULL);
	fputs(",\"log\":", f);
	json_string(f, v->log ? v->log : "");
	fputs("}\n", f);
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

/* The State: line, and for a running program its PID, command, memory */
static void block_state(FILE *f, const struct status_view *v, const char *cmd)
{
	const struct service *svc = v->svc;
	const struct identity *id = v->id;
	char dur[32], when[64];
	char *comm = text_visible_dup(v->have_pi ? v->pi.comm : "?"),
	     *why = text_visible_dup(id->why);

	switch (id->ident) {
	case IDENT_RUNNING:
	case IDENT_STARTING:
		format_duration(v->uptime, dur, sizeof(dur));
		if (id->have_state && id->st.started_at > 0) {
			local_time(id->st.started_at * 1000, when, sizeof(when));
			fprintf(f, "    State: %s since %s (up %s)\n", status_word(id),
				when, dur);
		} else {
			fprintf(f, "    State: %s (up %s)\n", status_word(id), dur);
		}
		break;
	case IDENT_BACKOFF:
		if (id->have_state && id->st.next_attempt > 0) {
			local_time(id->st.next_attempt, when, sizeof(when));
			format_duration(seconds_until(v, id->st.next_attempt), dur,
					sizeof(dur));
			fprintf(f, "    State: backoff: next attempt at %s (in %s)\n",
				when, dur);
		} else {
			fprintf(f, "    State: backoff\n");
		}
		break;
	case IDENT_FATAL: {
		char *reason = text_visible_dup(id->have_state ? id->st.reason : "");

		fprintf(f, "    State: fatal: %s\n",
			*reason ? reason : "the monitor gave up");
		free(reason);
		break;
	}
	case IDENT_NONE: fprintf(f, "    State: not running\n"); break;
	case IDENT_LEFTOVER: {
		char list[256];
		char *vis;

		format_leftovers(id, list, sizeof(list));
		vis = text_visible_dup(list); /* process names are anyone's */
		fprintf(f,
			"    State: dead: pid %d is gone, %zu process%s of its group "
			"still run%s: %s\n",
			(int)id->pid, id->nleft, id->nleft == 1 ? "" : "es",
			id->nleft == 1 ? "s" : "", vis);
		free(vis);
		break;
	}
	default:
		fprintf(f, "    State: %s: pid %d: %s\n",
			id->ident == IDENT_DEAD            ? "dead, pidfile remains"
				: id->ident == IDENT_STALE ? "not running, stale pidfile"
							   : "unknown",
			(int)id->pid, why);
		break;
	}
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
		fprintf(f, "   Memory: %.1f MiB RSS, %ld task%s\n",
			(double)v->pi.rss_pages * (double)sysconf(_SC_PAGESIZE) /
				1048576.0,
			v->pi.threads, v->pi.threads == 1 ? "" : "s");
	if (program_runs(id))
		fprintf(f, "  Pidfile: %s (verified: %s)\n", svc->pidfile, id->how);
	else if (id->ident == IDENT_DEAD || id->ident == IDENT_STALE ||
		 id->ident == IDENT_UNTRUSTED)
		fprintf(f, "  Pidfile: %s (not verified)\n", svc->pidfile);
	free(comm);
	free(why);
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
	block_state(f, v, cmd);
	block_history(f, v);
	if (v->log) {
		fprintf(f, "      Log: %s\n", v->log);
		fflush(f);
		if (fileno(f) >= 0)
			log_tail(v->log, STATUS_LOG_LINES, "    ", fileno(f));
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

/* NAME STATE PID UPTIME DESCRIPTION, the columns of the list */
void status_print_line(FILE *f, const struct status_view *v, int width)
{
	char dur[32] = "-", pid[16] = "-";
	char *desc = text_visible_dup(v->svc->description);

	if (program_runs(v->id))
		format_duration(v->uptime, dur, sizeof(dur));
	if (v->id->ident != IDENT_NONE && v->id->pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)v->id->pid);
	fprintf(f, "%-*s  %-8s %7s  %-12s %s\n", width, v->svc->name, status_word(v->id),
		pid, dur, desc);
	free(desc);
}

/* The list's column titles */
void status_print_header(FILE *f, int width)
{
	fprintf(f, "%-*s  %-8s %7s  %-12s %s\n", width, "NAME", "STATE", "PID", "UPTIME",
		"DESCRIPTION");
}

/* The status lines (or JSON objects) of names[from, to) on stdout; 0 when
 * all of them run (starting counts: the program runs), else 3. */
int status_lines(const struct globalconf *gc, bool json, const struct strv *names,
		 size_t from, size_t to, int width)
{
	int rc = EXIT_OK;

	for (size_t i = from; i < to; i++) {
		struct errlist el = {0};
		struct service svc;
		struct identity id;
		struct status_view v;

		if (service_load(&svc, gc, names->v[i], &el) < 0) {
			char *vname = text_visible_dup(names->v[i]),
			     *why = text_visible_dup(el.msgs.n ? el.msgs.v[0] : "");
			if (verbosity > 0 && !json) {
				printf("%-*s  %-8s %7s  %-12s %s\n", width, vname,
				       "invalid", "-", "-", why);
			} else if (json && verbosity > 0) {
				fputs("{\"name\":", stdout);
				json_string(stdout, names->v[i]);
				fputs(",\"state\":\"invalid\"}\n", stdout);
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
			if (json)
				status_print_json(stdout, &v);
			else
				status_print_line(stdout, &v, width);
		}
		service_free(&svc);
	}
	return rc;
}
