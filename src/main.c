/* svcctl: command line, global options and the action table. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcctl.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum {
	A_NONE_IS_ALL = 1, /* no name means every service */
	A_PARALLEL = 2, /* several names run concurrently */
};

/* The options an action may take besides -c, -q and -v: one bit each, in
 * the order of the option table below. */
enum {
	O_ALL = 1 << 0,
	O_JSON = 1 << 1,
	O_BRIEF = 1 << 2,
	O_LINES = 1 << 3,
	O_FOLLOW = 1 << 4,
	O_SCRIPT_SVCCTL = 1 << 5,
	O_SCRIPT_CONFIG = 1 << 6,
};

static const struct option_name {
	unsigned bit;
	const char *name;
} option_names[] = {
	{O_ALL, "all"},
	{O_JSON, "json"},
	{O_BRIEF, "brief"},
	{O_LINES, "lines"},
	{O_FOLLOW, "follow"},
	{O_SCRIPT_SVCCTL, "script-svcctl"},
	{O_SCRIPT_CONFIG, "script-config"},
};

/* The synopsis: --help prints it whole, a refused option the action's own
 * line(s). */
enum synopsis {
	SYN_TRANSITION,
	SYN_RELOAD,
	SYN_STATUS,
	SYN_CHECK,
	SYN_LOGS,
	SYN_SCRIPT,
	SYN_BOOT,
	SYN_COUNT,
};

static const char *const synopsis[SYN_COUNT] = {
	[SYN_TRANSITION] =
		"svcctl [-c FILE] [-q] [-v] NAME start|stop|restart|try-restart\n"
		"svcctl [-c FILE] [-q] [-v] start|stop|restart|try-restart "
		"NAME... | --all",
	[SYN_RELOAD] = "svcctl [-c FILE] [-q] [-v] NAME reload|force-reload",
	[SYN_STATUS] = "svcctl [-c FILE] [-q] [-v] status [--json | --brief] [NAME... | "
		       "--all]",
	[SYN_CHECK] = "svcctl [-c FILE] [-q] [-v] check [NAME... | --all]",
	[SYN_LOGS] = "svcctl [-c FILE] NAME logs [-n N] [-f]",
	[SYN_SCRIPT] = "svcctl [-c FILE] NAME initscript|enable [--script-svcctl PATH] "
		       "[--script-config PATH]",
	[SYN_BOOT] = "svcctl [-c FILE] NAME disable|is-enabled",
};

#define O_TRANSITION O_ALL
#define O_SCRIPT (O_SCRIPT_SVCCTL | O_SCRIPT_CONFIG)

/* The command table: handler, how names are taken, the options taken. */
static const struct action {
	const char *name;
	action_fn fn;
	unsigned flags;
	unsigned opts;
	enum synopsis syn;
	const char *help;
} actions[] = {
	{"start", cmd_start, A_PARALLEL, O_TRANSITION, SYN_TRANSITION,
	 "start unless already running"},
	{"stop", cmd_stop, A_PARALLEL, O_TRANSITION, SYN_TRANSITION, "stop if running"},
	{"restart", cmd_restart, A_PARALLEL, O_TRANSITION, SYN_TRANSITION,
	 "stop, then start"},
	{"try-restart", cmd_try_restart, A_PARALLEL, O_TRANSITION, SYN_TRANSITION,
	 "restart only if running"},
	{"condrestart", cmd_try_restart, A_PARALLEL, O_TRANSITION, SYN_TRANSITION,
	 "same as try-restart"},
	{"reload", cmd_reload, 0, 0, SYN_RELOAD, "send reload_signal"},
	{"force-reload", cmd_force_reload, 0, 0, SYN_RELOAD,
	 "reload if configured, else restart"},
	{"status", cmd_status, A_NONE_IS_ALL, O_ALL | O_JSON | O_BRIEF, SYN_STATUS,
	 "show state (all services: one line each)"},
	{"check", cmd_check, A_NONE_IS_ALL, O_ALL, SYN_CHECK,
	 "validate the configuration"},
	{"logs", cmd_logs, 0, O_LINES | O_FOLLOW, SYN_LOGS,
	 "print the log tail (-n N, -f)"},
	{"initscript", cmd_initscript, 0, O_SCRIPT, SYN_SCRIPT,
	 "print an LSB init script"},
	{"enable", cmd_enable, 0, O_SCRIPT, SYN_SCRIPT,
	 "install the init script and rc links"},
	{"disable", cmd_disable, 0, 0, SYN_BOOT, "remove them"},
	{"is-enabled", cmd_is_enabled, 0, 0, SYN_BOOT, "exit 0 if enabled at boot"},
};

static const struct action *find_action(const char *word)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, word) == 0)
			return &actions[i];
	return NULL;
}

/* Prints lines (separated by newlines) after first, the rest indented
 * under it. */
static void print_lines(FILE *f, const char *first, const char *lines)
{
	const char *p = lines;

	fputs(first, f);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (p != lines)
			fputs("       ", f);
		fprintf(f, "%.*s\n", (int)len, p);
		p += len + (nl != NULL);
	}
}

static void usage(FILE *f)
{
	for (int i = 0; i < SYN_COUNT; i++)
		print_lines(f, i == 0 ? "usage: " : "       ", synopsis[i]);
	fprintf(f,
		"       svcctl -h | --help\n"
		"       svcctl -V | --version\n"
		"\n"
		"options:\n"
		"  -c, --config FILE  global configuration (default " SYSCONFDIR
		"/svcctl/svcctl.conf)\n"
		"                     (a user's: ~/.config/svcctl/svcctl.conf)\n"
		"  -q, --quiet        no normal output; errors still go to stderr\n"
		"  -v, --verbose      say more\n"
		"  -a, --all          every service (start, stop, restart, "
		"try-restart, status, check)\n"
		"      --json         status as one JSON object per service\n"
		"      --brief        status: one line, as LSB init scripts print it\n"
		"      --script-svcctl PATH, --script-config PATH\n"
		"                     initscript/enable: the svcctl and config the "
		"script runs\n"
		"  -n, --lines N      logs: how many lines (default 10)\n"
		"  -f, --follow       logs: keep printing new lines\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n"
		"\n"
		"actions:\n");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		fprintf(f, "  %-13s %s\n", actions[i].name, actions[i].help);
}

/* An option the action does not take: exit 2 with the action's own usage. */
static int refuse_option(const struct action *act, unsigned given)
{
	const char *name = "?";

	for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++)
		if (given & option_names[i].bit) {
			name = option_names[i].name;
			break;
		}
	fprintf(stderr, "svcctl: %s does not take --%s\n", act->name, name);
	print_lines(stderr, "usage: ", synopsis[act->syn]);
	fprintf(stderr, "Try 'svcctl --help'.\n");
	return EXIT_USAGE;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "svcctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'svcctl --help'.\n");
	return EXIT_USAGE;
}

/* A daemon-starting program must not hand a closed 0-2 to the files it opens,
 * nor inherit an ignored SIGCHLD that would make waitpid() lie. */
static void sanitize_process(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			(void)open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	/* what svcctl creates (run_dir, pidfile, state, logs) must not depend on
	 * the caller's umask; the program gets its own umask = */
	umask(022);
}

#ifdef SVCCTL_VALGRIND
/* A build for valgrind (make valgrind) closes, at exit, the descriptors a
 * command keeps for its whole life (the directory and /proc caches): every
 * descriptor valgrind finds open at exit is then one that was lost. */
static void close_caches(void)
{
	path_cache_clear();
	proc_cache_clear();
}
#endif

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'J'},
		{"lines", required_argument, NULL, 'n'},
		{"follow", no_argument, NULL, 'f'},
		{"brief", no_argument, NULL, 'B'},
		{"script-svcctl", required_argument, NULL, 'S'},
		{"script-config", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	struct cmdctx c = {.lines = 10, .defer_fd = -1};
	struct errlist el = {0};
	struct strv names = {0};
	const struct action *act;
	const char *config = NULL;
	char **words;
	unsigned given[8], ngiven = 0, seen = 0, bit;
	int nwords, opt, rc;
	bool every;
	long n;

	sanitize_process();
#ifdef SVCCTL_VALGRIND
	atexit(close_caches);
#endif
	if (supervise_is_monitor(argc, argv))
		return supervise_main(argv);
	c.argv0 = argv[0];
	while ((opt = getopt_long(argc, argv, "c:qvhVan:f", longopts, NULL)) != -1) {
		bit = opt == 'a'     ? O_ALL
			: opt == 'J' ? O_JSON
			: opt == 'B' ? O_BRIEF
			: opt == 'n' ? O_LINES
			: opt == 'f' ? O_FOLLOW
			: opt == 'S' ? O_SCRIPT_SVCCTL
			: opt == 'C' ? O_SCRIPT_CONFIG
				     : 0;
		if (bit && !(seen & bit)) { /* 7 bits: given[] has room */
			seen |= bit;
			given[ngiven++] = bit;
		}
		switch (opt) {
		case 'c': config = optarg; break;
		case 'q': verbosity = 0; break;
		case 'v': verbosity = 2; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("svcctl %s\n", SVCCTL_VERSION); return EXIT_OK;
		case 'a': c.all = true; break;
		case 'J': c.json = true; break;
		case 'f': c.follow = true; break;
		case 'B': c.brief = true; break;
		case 'S': c.script_svcctl = optarg; break;
		case 'C': c.script_config = optarg; break;
		case 'n':
			if (parse_int(optarg, 0, 1000000, &n) < 0)
				return usage_error("-n: '%s' is not a line count",
						   optarg);
			c.lines = (int)n;
			break;
		default: fprintf(stderr, "Try 'svcctl --help'.\n"); return EXIT_USAGE;
		}
	}
	words = argv + optind;
	nwords = argc - optind;
	if (nwords == 0 && !c.all)
		return usage_error("%s", "no action given");
	if (nwords == 0 || find_action(words[0])) {
		act = find_action(nwords ? words[0] : "status");
		for (int i = 1; i < nwords; i++)
			strv_push(&names, words[i]);
	} else {
		if (nwords < 2)
			return usage_error("%s: no action given", words[0]);
		act = find_action(words[1]);
		if (!act)
			return usage_error("unknown action '%s'", words[1]);
		if (nwords > 2)
			return usage_error("unexpected argument '%s'", words[2]);
		strv_push(&names, words[0]);
	}
	for (size_t i = 0; i < names.n; i++)
		if (!service_name_valid(names.v[i]) || find_action(names.v[i])) {
			rc = usage_error("invalid service name '%s'", names.v[i]);
			strv_free(&names);
			return rc;
		}
	/* in the order given: the first one the action does not take is named */
	for (unsigned i = 0; i < ngiven; i++)
		if (!(act->opts & given[i])) {
			strv_free(&names);
			return refuse_option(act, given[i]);
		}
	if (c.all && names.n) {
		strv_free(&names);
		return usage_error("%s", "--all and service names exclude each other");
	}
	if (c.json && c.brief) {
		strv_free(&names);
		return usage_error("%s", "--json and --brief exclude each other");
	}
	if (!c.all && names.n == 0 && !(act->flags & A_NONE_IS_ALL))
		return usage_error("%s: which service?", act->name);
	if (!act->fn) {
		msg_error(NULL, "%s is not implemented yet", act->name);
		strv_free(&names);
		return EXIT_UNIMPLEMENTED;
	}

	if (conf_load(&c.gc, config, config != NULL, &el) < 0) {
		for (size_t i = 0; i < el.msgs.n; i++)
			msg_error(NULL, "%s", el.msgs.v[i]);
		errlist_free(&el);
		strv_free(&names);
		conf_free(&c.gc);
		return act->fn == cmd_status ? STATUS_UNKNOWN : EXIT_NOTCONFIGURED;
	}
	errlist_free(&el);

	every = names.n == 0;
	if (names.n == 0) {
		if (service_list(&c.gc, &names) < 0) {
			msg_error(NULL, "%s: %s", c.gc.services_dir, strerror(errno));
			conf_free(&c.gc);
			return act->fn == cmd_status ? STATUS_UNKNOWN
						     : EXIT_NOTCONFIGURED;
		}
		if (names.n == 0 && verbosity >= 1)
			/* not an error (an empty list is an answer), but a user
			 * who has not written a service yet learns where to */
			fprintf(stderr, "svcctl: no services: write one as %s/NAME.ini\n",
				c.gc.services_dir);
		if (act->fn == cmd_status) {
			rc = cmd_status_list(&c, &names);
			goto out;
		}
	}
	if (act->fn == cmd_status && names.n > 1 && c.json) {
		/* several names in JSON: one array, as for the list */
		rc = cmd_status_list(&c, &names);
		goto out;
	}
	if (act->fn == cmd_check) {
		rc = cmd_check_set(&c, &names, every);
	} else if (act->flags & A_PARALLEL) {
		rc = cmd_each(&c, act->fn, &names);
	} else {
		rc = EXIT_OK;
		for (size_t i = 0; i < names.n; i++) {
			int r;

			/* several blocks of status NAME..., a blank line apart */
			if (i > 0 && act->fn == cmd_status && !c.brief && verbosity > 0)
				putchar('\n');
			r = act->fn(&c, names.v[i]);
			if (r != EXIT_OK && rc == EXIT_OK)
				rc = r;
		}
	}
out:
	strv_free(&names);
	conf_free(&c.gc);
	return rc;
}
