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
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

const char *service_log_path(const struct service *svc)
{
	if (svc->out.kind == OUT_FILE)
		return svc->out.path ? svc->out.path : svc->log_path;
	if (svc->err.kind == OUT_FILE)
		return svc->err.path;
	return NULL;
}

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

const char *status_word(const struct identity *id)
{
	switch (id->ident) {
	case IDENT_RUNNING: return "running";
	case IDENT_DEAD:
	case IDENT_LEFTOVER: return "dead";
	case IDENT_STALE: return "stale";
	case IDENT_UNTRUSTED: return "unknown";
	case IDENT_NONE: break;
	}
	return "stopped";
}

int status_exit_code(const struct identity *id)
{
	switch (id->ident) {
	case IDENT_RUNNING: return STATUS_RUNNING;
	case IDENT_DEAD:
	case IDENT_LEFTOVER:
	case IDENT_STALE: return STATUS_DEAD_PIDFILE;
	case IDENT_UNTRUSTED: return STATUS_UNKNOWN;
	case IDENT_NONE: break;
	}
	return STATUS_STOPPED;
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
	if (id->ident != IDENT_RUNNING)
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

void status_print_json(FILE *f, const struct status_view *v)
{
	const struct service *svc = v->svc;
	const struct identity *id = v->id;
	long page = sysconf(_SC_PAGESIZE);

	fputs("{\"name\":", f);
	json_string(f, svc->name);
	fputs(",\"description\":", f);
	json_string(f, svc->description);
	fputs(",\"state\":", f);
	json_string(f, status_word(id));
	fprintf(f, ",\"pid\":%d", id->ident == IDENT_NONE ? 0 : (int)id->pid);
	fprintf(f, ",\"since\":%lld",
		id->ident == IDENT_RUNNING && id->have_state ? id->st.started_at : 0LL);
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
	fprintf(f, ",\"verified\":%s", id->ident == IDENT_RUNNING ? "true" : "false");
	fputs(",\"verified_by\":", f);
	json_string(f, id->ident == IDENT_RUNNING ? id->how : id->why);
	fprintf(f, ",\"leftovers\":%zu", id->nleft);
	fprintf(f, ",\"restarts\":%d", id->have_state ? id->st.restarts : 0);
	fputs(",\"last_exit\":", f);
	json_string(f, id->have_state && id->st.last_exit[0] ? id->st.last_exit : "-");
	fputs(",\"log\":", f);
	json_string(f, v->log ? v->log : "");
	fputs("}\n", f);
}

/* The detailed block; the log's last lines follow it when f has a
 * descriptor (not a memory stream). */
void status_print_block(FILE *f, const struct status_view *v)
{
	const struct service *svc = v->svc;
	const struct identity *id = v->id;
	char dur[32], when[64];
	/* what the service's files and processes say reaches a terminal */
	char *desc = text_visible_dup(svc->description),
	     *cmd = text_visible_dup(v->cmdline[0] ? v->cmdline : svc->exec_line),
	     *comm = text_visible_dup(v->have_pi ? v->pi.comm : "?"),
	     *why = text_visible_dup(id->why);

	fprintf(f, "%s - %s\n", svc->name, desc);
	switch (id->ident) {
	case IDENT_RUNNING:
		format_duration(v->uptime, dur, sizeof(dur));
		if (id->have_state) {
			time_t t = (time_t)id->st.started_at;
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z",
				 localtime(&t));
			fprintf(f, "    State: running since %s (up %s)\n", when, dur);
		} else {
			fprintf(f, "    State: running (up %s)\n", dur);
		}
		fprintf(f, "      PID: %d (%s)\n", (int)id->pid, comm);
		fprintf(f, "  Command: %s\n", cmd);
		if (v->have_pi)
			fprintf(f, "   Memory: %.1f MiB RSS, %ld task%s\n",
				(double)v->pi.rss_pages * (double)sysconf(_SC_PAGESIZE) /
					1048576.0,
				v->pi.threads, v->pi.threads == 1 ? "" : "s");
		fprintf(f, "  Pidfile: %s (verified: %s)\n", svc->pidfile, id->how);
		break;
	case IDENT_NONE:
		fprintf(f, "    State: not running\n");
		fprintf(f, "  Command: %s\n", cmd);
		break;
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
		fprintf(f, "  Command: %s\n", cmd);
		break;
	}
	default:
		fprintf(f, "    State: %s: pid %d: %s\n",
			id->ident == IDENT_DEAD            ? "dead, pidfile remains"
				: id->ident == IDENT_STALE ? "not running, stale pidfile"
							   : "unknown",
			(int)id->pid, why);
		fprintf(f, "  Command: %s\n", cmd);
		fprintf(f, "  Pidfile: %s (not verified)\n", svc->pidfile);
		break;
	}
	fprintf(f, " Restarts: %d, last exit: %s\n", id->have_state ? id->st.restarts : 0,
		id->have_state && id->st.last_exit[0] ? id->st.last_exit : "-");
	if (v->log) {
		fprintf(f, "      Log: %s\n", v->log);
		fflush(f);
		if (fileno(f) >= 0)
			log_tail(v->log, STATUS_LOG_LINES, "    ", fileno(f));
	}
	free(desc);
	free(cmd);
	free(comm);
	free(why);
}

/* The one line LSB tools and Ansible read: never "stop" when running */
void status_print_brief(FILE *f, const struct status_view *v)
{
	const struct identity *id = v->id;
	const char *name = v->svc->name;

	if (id->ident == IDENT_RUNNING) {
		fprintf(f, "%s is running (pid %d)\n", name, (int)id->pid);
	} else if (id->ident == IDENT_NONE) {
		fprintf(f, "%s is not running\n", name);
	} else if (id->ident == IDENT_UNTRUSTED) {
		char *why = text_visible_dup(id->why);
		fprintf(f, "%s status is unknown: %s\n", name, why);
		free(why);
	} else if (id->ident == IDENT_LEFTOVER) {
		fprintf(f, "%s is dead but %zu process%s of its group still run%s\n",
			name, id->nleft, id->nleft == 1 ? "" : "es",
			id->nleft == 1 ? "s" : "");
	} else {
		fprintf(f, "%s is dead but pid file exists\n", name);
	}
}

/* NAME STATE PID UPTIME DESCRIPTION, the columns of the list */
void status_print_line(FILE *f, const struct status_view *v, int width)
{
	char dur[32] = "-", pid[16] = "-";
	char *desc = text_visible_dup(v->svc->description);

	if (v->id->ident == IDENT_RUNNING)
		format_duration(v->uptime, dur, sizeof(dur));
	if (v->id->ident != IDENT_NONE)
		snprintf(pid, sizeof(pid), "%d", (int)v->id->pid);
	fprintf(f, "%-*s  %-8s %7s  %-12s %s\n", width, v->svc->name, status_word(v->id),
		pid, dur, desc);
	free(desc);
}

void status_print_header(FILE *f, int width)
{
	fprintf(f, "%-*s  %-8s %7s  %-12s %s\n", width, "NAME", "STATE", "PID", "UPTIME",
		"DESCRIPTION");
}

/* The status lines (or JSON objects) of names[from, to) on stdout; 0 when
 * all of them run, else 3. */
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
		if (id.ident != IDENT_RUNNING)
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
