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
	A_ALL = 1, /* accepts --all */
	A_NONE_IS_ALL = 2, /* no name means every service */
	A_PARALLEL = 4, /* several names run concurrently */
};

static const struct action {
	const char *name;
	action_fn fn;
	unsigned flags;
	const char *help;
} actions[] = {
	{"start", cmd_start, A_ALL | A_PARALLEL, "start unless already running"},
	{"stop", cmd_stop, A_ALL | A_PARALLEL, "stop if running"},
	{"restart", cmd_restart, A_ALL | A_PARALLEL, "stop, then start"},
	{"try-restart", cmd_try_restart, A_ALL | A_PARALLEL, "restart only if running"},
	{"condrestart", cmd_try_restart, A_ALL | A_PARALLEL, "same as try-restart"},
	{"reload", cmd_reload, 0, "send reload_signal"},
	{"force-reload", cmd_force_reload, 0, "reload if configured, else restart"},
	{"status", cmd_status, A_ALL | A_NONE_IS_ALL,
	 "show state (all services: one line each)"},
	{"check", cmd_check, A_ALL | A_NONE_IS_ALL, "validate the configuration"},
	{"logs", cmd_logs, 0, "print the log tail (-n N, -f)"},
	{"initscript", cmd_initscript, 0, "print an LSB init script"},
	{"enable", cmd_enable, 0, "install the init script and rc links"},
	{"disable", cmd_disable, 0, "remove them"},
	{"is-enabled", cmd_is_enabled, 0, "exit 0 if enabled at boot"},
};

static const struct action *find_action(const char *word)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, word) == 0)
			return &actions[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: svcctl [-c FILE] [-q] [-v] NAME ACTION\n"
		"       svcctl [-c FILE] [-q] [-v] ACTION NAME...\n"
		"       svcctl [-c FILE] ACTION --all\n"
		"       svcctl [-c FILE] status [--json]\n"
		"       svcctl -h | -V\n"
		"\n"
		"options:\n"
		"  -c, --config FILE  global configuration (default " SYSCONFDIR
		"/svcctl/svcctl.conf)\n"
		"  -q, --quiet        no normal output; errors still go to stderr\n"
		"  -v, --verbose      say more\n"
		"  -a, --all          every service (start, stop, restart, status, "
		"check)\n"
		"      --json         status as one JSON object per service\n"
		"      --brief        status: one line, as LSB init scripts print it\n"
		"      --script-svcctl PATH, --script-config PATH\n"
		"                     initscript/enable: the svcctl and config the "
		"script runs\n"
		"  -n, --lines N      logs: how many lines (default 10)\n"
		"  -f, --follow       logs: keep printing new lines\n"
		"\n"
		"actions:\n");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		fprintf(f, "  %-13s %s\n", actions[i].name, actions[i].help);
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
	int nwords, opt, rc;
	bool every;
	long n;

	sanitize_process();
	if (supervise_is_monitor(argc, argv))
		return supervise_main(argv);
	c.argv0 = argv[0];
	while ((opt = getopt_long(argc, argv, "c:qvhVan:f", longopts, NULL)) != -1) {
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
	if (c.all && names.n) {
		strv_free(&names);
		return usage_error("%s", "--all and service names exclude each other");
	}
	if (c.all && !(act->flags & A_ALL)) {
		strv_free(&names);
		return usage_error("%s does not take --all", act->name);
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
		if (act->fn == cmd_status) {
			rc = cmd_status_list(&c, &names);
			goto out;
		}
	}
	if (act->fn == cmd_status && names.n > 1) {
		/* several names: the list, or a JSON array */
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
			int r = act->fn(&c, names.v[i]);
			if (r != EXIT_OK && rc == EXIT_OK)
				rc = r;
		}
	}
out:
	strv_free(&names);
	conf_free(&c.gc);
	return rc;
}
