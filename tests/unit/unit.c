/* Unit tests for svcctl's pure functions: exec splitting, state files, number
 * and signal parsing, NAME.ini and svcctl.conf validation. Output is TAP.
 *
 * The tests run in a child process whose output the parent collects, so the
 * plan can come first and a crash, a sanitizer report or a leak found at exit
 * becomes a failing test instead of a silently short run. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

/* ---- a small TAP harness ------------------------------------------------ */

static int tests_run, tests_failed;

static bool vtap(bool ok, const char *file, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static bool vtap(bool ok, const char *file, int line, const char *fmt, va_list ap)
{
	printf("%s %d - ", ok ? "ok" : "not ok", ++tests_run);
	vprintf(fmt, ap);
	putchar('\n');
	if (!ok) {
		tests_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return ok;
}

static bool tap(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool tap(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = vtap(ok, file, line, fmt, ap);
	va_end(ap);
	return r;
}

/* A string for a diagnostic line: quoted, with control characters escaped,
 * so a newline in a value cannot break the TAP stream. */
static void print_quoted(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static bool check_str(const char *got, const char *want, const char *file, int line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bool check_str(const char *got, const char *want, const char *file, int line,
		      const char *fmt, ...)
{
	bool ok = got && want ? strcmp(got, want) == 0 : got == want;
	va_list ap;

	va_start(ap, fmt);
	vtap(ok, file, line, fmt, ap);
	va_end(ap);
	if (!ok) {
		fputs("#   got:      ", stdout);
		print_quoted(got);
		fputs("\n#   expected: ", stdout);
		print_quoted(want);
		putchar('\n');
	}
	return ok;
}

static bool check_int(long long got, long long want, const char *file, int line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bool check_int(long long got, long long want, const char *file, int line,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtap(got == want, file, line, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got:      %lld\n#   expected: %lld\n", got, want);
	return got == want;
}

#define CHECK(cond, ...) tap((cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_STR(got, want, ...)                                                        \
	check_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_INT(got, want, ...)                                                        \
	check_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)

static void diag_errors(const struct errlist *el)
{
	if (el->msgs.n == 0)
		printf("#   (no errors)\n");
	for (size_t i = 0; i < el->msgs.n; i++) {
		fputs("#   error: ", stdout);
		print_quoted(el->msgs.v[i]);
		putchar('\n');
	}
}

/* One message holds every given fragment (NULL-terminated list). */
static bool errors_have(const struct errlist *el, ...)
{
	for (size_t i = 0; i < el->msgs.n; i++) {
		const char *frag;
		bool all = true;
		va_list ap;

		va_start(ap, el);
		while ((frag = va_arg(ap, const char *)))
			if (!strstr(el->msgs.v[i], frag))
				all = false;
		va_end(ap);
		if (all)
			return true;
	}
	return false;
}

static void bail_out(const char *what, const char *path)
{
	printf("Bail out! %s %s: %s\n", what, path, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* ---- argv_split --------------------------------------------------------- */

/* Splits line and expects exactly the words given (NULL-terminated). */
static void expect_split(const char *name, const char *line, ...)
{
	struct strv sv = {0};
	const char *why = "not set";
	const char *want[16];
	size_t n = 0;
	bool ok;
	int rc;
	va_list ap;

	va_start(ap, line);
	while (n < 16 && (want[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);

	rc = argv_split(line, &sv, &why);
	ok = rc == 0 && why == NULL && sv.n == n && sv.v && sv.v[n] == NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(sv.v[i], want[i]) == 0;
	if (!CHECK(ok, "argv_split: %s", name)) {
		fputs("#   line: ", stdout);
		print_quoted(line);
		printf("\n#   rc %d, why ", rc);
		print_quoted(why);
		printf(", %zu words (expected %zu):", sv.n, n);
		for (size_t i = 0; i < sv.n; i++) {
			putchar(' ');
			print_quoted(sv.v[i]);
		}
		putchar('\n');
	}
	strv_free(&sv);
}

static void expect_split_error(const char *name, const char *line)
{
	struct strv sv = {0};
	const char *why = NULL;
	int rc = argv_split(line, &sv, &why);

	if (!CHECK(rc == -1 && why != NULL && sv.n == 0 && sv.v == NULL,
		   "argv_split: %s is an error", name)) {
		fputs("#   line: ", stdout);
		print_quoted(line);
		printf("\n#   rc %d, %zu words left, why ", rc, sv.n);
		print_quoted(why);
		putchar('\n');
	}
	strv_free(&sv);
}

static void test_argv_split(void)
{
	expect_split("plain words", "/bin/echo hello world", "/bin/echo", "hello",
		     "world", (char *)NULL);
	expect_split("one word", "sleep", "sleep", (char *)NULL);
	expect_split("runs of blanks and tabs", "  a \t b\t\tc   ", "a", "b", "c",
		     (char *)NULL);
	expect_split("single quotes are literal", "echo 'a\\b $HOME \"x\" `y`'", "echo",
		     "a\\b $HOME \"x\" `y`", (char *)NULL);
	expect_split("single quotes keep blanks", "echo '  two  words '", "echo",
		     "  two  words ", (char *)NULL);
	expect_split("double quotes: \\\\ \\\" \\$ \\` are escapes",
		     "echo \"\\\\ \\\" \\$ \\`\"", "echo", "\\ \" $ `", (char *)NULL);
	expect_split("double quotes keep the backslash before n", "echo \"a\\nb\"",
		     "echo", "a\\nb", (char *)NULL);
	expect_split("double quotes keep the backslash before '", "echo \"it\\'s\"",
		     "echo", "it\\'s", (char *)NULL);
	expect_split("single quote inside double quotes", "echo \"it's\"", "echo", "it's",
		     (char *)NULL);
	expect_split("backslash outside quotes quotes the next character",
		     "echo a\\ b \\'c \\\\ \\\"", "echo", "a b", "'c", "\\", "\"",
		     (char *)NULL);
	expect_split("adjacent quoted parts form one word", "a'b'\"c\"", "abc",
		     (char *)NULL);
	expect_split("quoted parts inside a word", "x\"y z\"'w'v", "xy zwv",
		     (char *)NULL);
	expect_split("\"\" alone is one empty word", "\"\"", "", (char *)NULL);
	expect_split("empty arguments keep their place", "prog \"\" '' x", "prog", "", "",
		     "x", (char *)NULL);
	expect_split("$HOME, ${X}, globs and redirections stay literal",
		     "echo $HOME ${X} * >out", "echo", "$HOME", "${X}", "*", ">out",
		     (char *)NULL);

	expect_split_error("unterminated single quote", "echo 'abc");
	expect_split_error("unterminated double quote", "echo \"abc");
	expect_split_error("escaped closing double quote", "echo \"abc\\\"");
	expect_split_error("trailing backslash", "echo abc\\");
	expect_split_error("an empty line", "");
	expect_split_error("a blank line", "  \t ");
	expect_split_error("a late error after words (frees them)", "a b c 'd");
}

/* ---- argv_resolve ------------------------------------------------------- */

static void test_argv_resolve(void)
{
	char *path = NULL;
	int rc;

	rc = argv_resolve("sh", &path);
	if (!CHECK(rc == 0 && path && path[0] == '/' && access(path, X_OK) == 0 &&
			   strcmp(strrchr(path, '/'), "/sh") == 0,
		   "argv_resolve: sh is found as an absolute executable path")) {
		fputs("#   rc ", stdout);
		printf("%d, path ", rc);
		print_quoted(path);
		putchar('\n');
	}
	free(path);

	rc = argv_resolve("/bin/sh", &path);
	CHECK(rc == 0, "argv_resolve: /bin/sh succeeds");
	CHECK_STR(path, "/bin/sh", "argv_resolve: /bin/sh is returned as is");
	free(path);

	path = (char *)"untouched";
	errno = 0;
	rc = argv_resolve("no-such-program-xyz", &path);
	CHECK(rc == -1 && errno == ENOENT && path == NULL,
	      "argv_resolve: no-such-program-xyz is -1 with ENOENT");

	errno = 0;
	rc = argv_resolve("relative/x", &path);
	CHECK(rc == -1 && errno == EINVAL && path == NULL,
	      "argv_resolve: relative/x is -1 with EINVAL");

	errno = 0;
	rc = argv_resolve("/tmp", &path);
	CHECK(rc == -1 && path == NULL, "argv_resolve: a directory is -1");

	errno = 0;
	rc = argv_resolve("/no/such/dir/prog", &path);
	CHECK(rc == -1 && errno == ENOENT && path == NULL,
	      "argv_resolve: a missing absolute path is -1 with ENOENT");
}

/* ---- state_parse / state_format ----------------------------------------- */

#define STATE_REQUIRED                                                                   \
	"pid=1234\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n"

static void expect_state_error(const char *name, const char *text)
{
	struct state st;
	int rc;

	errno = 0;
	rc = state_parse(text, &st);
	if (!CHECK(rc == -1 && errno == EINVAL, "state_parse: %s is -1 with EINVAL",
		   name))
		printf("#   rc %d, pid %d, starttime %llu\n", rc, (int)st.pid,
		       st.starttime);
}

static void test_state(void)
{
	struct state in = {0}, out;
	char buf[1024], small[16];
	int n;

	in.pid = 4321;
	in.starttime = 9876543210ULL;
	snprintf(in.boot_id, sizeof(in.boot_id), "%s",
		 "0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f");
	in.pgid = 4321;
	in.sid = 4320;
	in.monitor_pid = 4300;
	in.started_at = 1700000000LL;
	in.restarts = 3;
	snprintf(in.last_exit, sizeof(in.last_exit), "%s", "exited with status 1");
	snprintf(in.exec, sizeof(in.exec), "%s", "/usr/bin/web --port=8080 'a b'");

	n = state_format(&in, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf),
	      "state_format returns the length written");
	memset(&out, 0x55, sizeof(out));
	CHECK(state_parse(buf, &out) == 0, "state_parse reads what state_format wrote");
	CHECK_INT(out.pid, in.pid, "state round trip: pid");
	CHECK_INT(out.starttime, in.starttime, "state round trip: starttime");
	CHECK_STR(out.boot_id, in.boot_id, "state round trip: boot_id");
	CHECK_INT(out.pgid, in.pgid, "state round trip: pgid");
	CHECK_INT(out.sid, in.sid, "state round trip: sid");
	CHECK_INT(out.monitor_pid, in.monitor_pid, "state round trip: monitor_pid");
	CHECK_INT(out.started_at, in.started_at, "state round trip: started_at");
	CHECK_INT(out.restarts, in.restarts, "state round trip: restarts");
	CHECK_STR(out.last_exit, in.last_exit, "state round trip: last_exit");
	CHECK_STR(out.exec, in.exec, "state round trip: exec (with '=' in it)");

	errno = 0;
	CHECK(state_format(&in, small, sizeof(small)) == -1 && errno == ENAMETOOLONG,
	      "state_format: a buffer too small is -1");

	CHECK(state_parse(STATE_REQUIRED, &out) == 0 && out.pid == 1234 &&
		      out.starttime == 5678 && out.monitor_pid == 0 &&
		      out.exec[0] == '\0',
	      "state_parse: pid, starttime and boot_id alone are enough");
	CHECK(state_parse(STATE_REQUIRED, &out) == 0 && out.pgid == 1234 && out.sid == 0,
	      "state_parse: without pgid the program led its own group");
	CHECK(state_parse("future_key=1\n" STATE_REQUIRED "other=x=y\nno equals sign\n",
			  &out) == 0 &&
		      out.pid == 1234,
	      "state_parse: unknown keys and lines are ignored");

	expect_state_error(
		"missing pid",
		"starttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error("missing starttime",
			   "pid=1234\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error("missing boot_id", "pid=1234\nstarttime=5678\n");
	expect_state_error("empty boot_id", "pid=1234\nstarttime=5678\nboot_id=\n");
	expect_state_error("pid=abc",
			   "pid=abc\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-"
			   "2f3b4c5d6e7f\n");
	expect_state_error(
		"pid=-3",
		"pid=-3\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error(
		"pid=0",
		"pid=0\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	/* found by fuzzing: the seen-mark of an earlier pid= outlived a later pid=0 */
	expect_state_error("pid=2 then pid=0",
			   "pid=2\npid=0\nstarttime=5678\n"
			   "boot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error(
		"empty pid",
		"pid=\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error("pid=12x",
			   "pid=12x\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-"
			   "2f3b4c5d6e7f\n");
	expect_state_error("pid=4294967296 (beyond pid_t)",
			   "pid=4294967296\nstarttime=5678\nboot_id=0b9e1c4a-6f1d-4c5e-"
			   "9d1a-2f3b4c5d6e7f\n");
	expect_state_error("starttime=abc",
			   "pid=1234\nstarttime=abc\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-"
			   "2f3b4c5d6e7f\n");
	expect_state_error(
		"starttime=-5",
		"pid=1234\nstarttime=-5\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error("a garbage pid line after a good one",
			   STATE_REQUIRED "pid=abc\n");
	expect_state_error("empty text", "");
	expect_state_error("only newlines", "\n\n\n");
	expect_state_error("an unknown run word", STATE_REQUIRED "run=sleeping\n");
	expect_state_error(
		"run=running without a pid",
		"pid=0\nrun=running\nboot_id=0b9e1c4a-6f1d-4c5e-9d1a-2f3b4c5d6e7f\n");
	expect_state_error("an exit record with a missing field",
			   STATE_REQUIRED "exit=17 256\n");
	expect_state_error("an exit record with a negative run",
			   STATE_REQUIRED "exit=17 256 -4\n");
}

/* The monitor's records: run state, backoff, the reason, the exits */
static void test_state_monitor(void)
{
	struct state in = {0}, out;
	struct exit_record ex = {0};
	char buf[STATE_TEXT_MAX];

	snprintf(in.boot_id, sizeof(in.boot_id), "%s", "b");
	in.run = RUN_BACKOFF;
	in.monitor_pid = 77;
	in.monitor_starttime = 99;
	in.next_attempt = 1700000000123LL;
	snprintf(in.reason, sizeof(in.reason), "%s", "line one\nfake=key");
	for (int i = 1; i <= STATE_EXITS_MAX + 2; i++) {
		ex.when = i;
		ex.status = i * 256;
		ex.run_ms = i * 10;
		state_add_exit(&in, &ex);
	}
	{
		struct state stopped = {0}, back;

		snprintf(stopped.boot_id, sizeof(stopped.boot_id), "%s", "b");
		stopped.pid = 42;
		stopped.restarts = 3;
		state_mark_stopped(&stopped, 1700000000456LL, "by svcctl stop\n(TERM)");
		CHECK(state_format(&stopped, buf, sizeof(buf)) > 0 &&
			      state_parse(buf, &back) == 0 && back.run == RUN_STOPPED &&
			      back.pid == 0 && back.restarts == 3 &&
			      back.stopped_at == 1700000000456LL &&
			      strcmp(back.stop_reason, "by svcctl stop (TERM)") == 0,
		      "state_mark_stopped: a stop record survives format and parse");
	}
	CHECK(in.nexits == STATE_EXITS_MAX && in.exits[0].when == STATE_EXITS_MAX + 2 &&
		      in.exits[STATE_EXITS_MAX - 1].when == 3,
	      "state_add_exit keeps the newest %d, newest first", STATE_EXITS_MAX);
	CHECK(state_format(&in, buf, sizeof(buf)) > 0 && state_parse(buf, &out) == 0,
	      "state round trip: a state with no program (backoff) and pid 0");
	CHECK(out.run == RUN_BACKOFF && out.pid == 0 && out.monitor_pid == 77 &&
		      out.monitor_starttime == 99 && out.next_attempt == in.next_attempt,
	      "state round trip: run, monitor, next attempt");
	CHECK(out.nexits == STATE_EXITS_MAX && out.exits[0].when == STATE_EXITS_MAX + 2 &&
		      out.exits[0].status == (STATE_EXITS_MAX + 2) * 256 &&
		      out.exits[0].run_ms == (STATE_EXITS_MAX + 2) * 10 &&
		      out.exits[STATE_EXITS_MAX - 1].when == 3,
	      "state round trip: the exits, in order");
	CHECK_STR(out.reason, "line one fake=key",
		  "state_format: a newline in free text cannot start a key");
	CHECK(state_parse("pid=55\nstarttime=1\nrun=fatal\nboot_id=b\n", &out) == 0 &&
		      out.pid == 0 && out.run == RUN_FATAL,
	      "state_parse: a PID in a state where nothing runs is dropped");
	CHECK(strcmp(run_state_word(RUN_STARTING), "starting") == 0 &&
		      strcmp(run_state_word(RUN_STOPPED), "stopped") == 0,
	      "run_state_word names the states as DESIGN 2 does");
}

/* ---- parse_size, parse_seconds, parse_int, signals ---------------------- */

static void expect_size(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int rc = parse_size(s, &v);

	if (!CHECK(rc == 0 && v == want, "parse_size: \"%s\" is %llu", s,
		   (unsigned long long)want))
		printf("#   rc %d, value %llu\n", rc, (unsigned long long)v);
}

static void expect_size_error(const char *s)
{
	uint64_t v = 12345;

	CHECK(parse_size(s, &v) == -1 && v == 12345, "parse_size: \"%s\" is an error", s);
}

static void expect_seconds(const char *s, double want)
{
	double v = -1;
	int rc = parse_seconds(s, &v);

	if (!CHECK(rc == 0 && v == want, "parse_seconds: \"%s\" is %g", s, want))
		printf("#   rc %d, value %g\n", rc, v);
}

static void expect_seconds_error(const char *s)
{
	double v = 42;
	int rc = parse_seconds(s, &v);

	if (!CHECK(rc == -1 && v == 42, "parse_seconds: \"%s\" is an error", s))
		printf("#   rc %d, value %g\n", rc, v);
}

static void expect_int(const char *s, long min, long max, long want)
{
	long v = -999;
	int rc = parse_int(s, min, max, &v);

	if (!CHECK(rc == 0 && v == want, "parse_int: \"%s\" in %ld..%ld is %ld", s, min,
		   max, want))
		printf("#   rc %d, value %ld\n", rc, v);
}

static void expect_int_error(const char *s, long min, long max)
{
	long v = -999;

	CHECK(parse_int(s, min, max, &v) == -1 && v == -999,
	      "parse_int: \"%s\" in %ld..%ld is an error", s, min, max);
}

static void test_parse(void)
{
	expect_size("10M", 10485760);
	expect_size("0", 0);
	expect_size("7", 7);
	expect_size("1K", 1024);
	expect_size("1G", 1073741824);
	expect_size("5KB", 5120);
	expect_size("2m", 2097152);
	expect_size_error("");
	expect_size_error("M");
	expect_size_error("10X");
	expect_size_error("-1");
	expect_size_error(" 1");
	expect_size_error("1 K");
	expect_size_error("1.5M");
	expect_size_error("10MBB");
	expect_size_error("99999999999999999999");
	expect_size_error("17179869184G");

	expect_seconds("1", 1);
	expect_seconds("0.25", 0.25);
	expect_seconds("0", 0);
	expect_seconds("86400", 86400);
	expect_seconds_error("-1");
	expect_seconds_error("abc");
	expect_seconds_error("1e999");
	expect_seconds_error("");
	expect_seconds_error("1s");
	expect_seconds_error(" 1");
	expect_seconds_error("86401");
	expect_seconds_error("nan");
	expect_seconds_error("0x10");

	expect_int("5", 0, 10, 5);
	expect_int("0", 0, 10, 0);
	expect_int("10", 0, 10, 10);
	expect_int("-20", -20, 19, -20);
	expect_int("19", -20, 19, 19);
	expect_int_error("11", 0, 10);
	expect_int_error("-1", 0, 10);
	expect_int_error("-21", -20, 19);
	expect_int_error("", 0, 10);
	expect_int_error("abc", 0, 10);
	expect_int_error("5x", 0, 10);
	expect_int_error(" 5", 0, 10);
	expect_int_error("5 ", 0, 10);
	expect_int_error("99999999999999999999", LONG_MIN, LONG_MAX);

	CHECK_INT(signal_from_name("TERM"), SIGTERM, "signal_from_name: TERM");
	CHECK_INT(signal_from_name("SIGTERM"), SIGTERM, "signal_from_name: SIGTERM");
	CHECK_INT(signal_from_name("sigterm"), SIGTERM, "signal_from_name: sigterm");
	CHECK_INT(signal_from_name("15"), 15, "signal_from_name: 15");
	CHECK_INT(signal_from_name("HUP"), SIGHUP, "signal_from_name: HUP");
	CHECK_INT(signal_from_name("usr1"), SIGUSR1, "signal_from_name: usr1");
	CHECK_INT(signal_from_name("bogus"), 0, "signal_from_name: bogus is 0");
	CHECK_INT(signal_from_name("0"), 0, "signal_from_name: \"0\" is 0");
	CHECK_INT(signal_from_name(""), 0, "signal_from_name: \"\" is 0");
	CHECK_INT(signal_from_name("SIG"), 0, "signal_from_name: SIG is 0");
	CHECK_INT(signal_from_name("-15"), 0, "signal_from_name: -15 is 0");
	CHECK_INT(signal_from_name("999"), 0, "signal_from_name: 999 is 0");
	CHECK_STR(signal_name(SIGSEGV), "SIGSEGV", "signal_name: SIGSEGV");
	CHECK_STR(signal_name(SIGKILL), "SIGKILL", "signal_name: SIGKILL");
}

/* ---- service_name_valid ------------------------------------------------- */

static void test_service_name(void)
{
	char name64[SERVICE_NAME_MAX + 2];

	memset(name64, 'a', SERVICE_NAME_MAX);
	name64[SERVICE_NAME_MAX] = '\0';
	CHECK(service_name_valid("a"), "service_name_valid: a");
	CHECK(service_name_valid("web-1"), "service_name_valid: web-1");
	CHECK(service_name_valid("x_y.z@1"), "service_name_valid: x_y.z@1");
	CHECK(service_name_valid("9lives"), "service_name_valid: 9lives");
	CHECK(service_name_valid(name64), "service_name_valid: 64 characters");
	name64[SERVICE_NAME_MAX] = 'a';
	name64[SERVICE_NAME_MAX + 1] = '\0';
	CHECK(!service_name_valid(name64), "service_name_valid: 65 characters is bad");
	CHECK(!service_name_valid(""), "service_name_valid: empty is bad");
	CHECK(!service_name_valid("-a"), "service_name_valid: -a is bad");
	CHECK(!service_name_valid(".a"), "service_name_valid: .a is bad");
	CHECK(!service_name_valid("../x"), "service_name_valid: ../x is bad");
	CHECK(!service_name_valid("a/b"), "service_name_valid: a/b is bad");
	CHECK(!service_name_valid("a b"), "service_name_valid: 'a b' is bad");
	CHECK(!service_name_valid("a\nb"), "service_name_valid: a newline is bad");
}

/* ---- service_load ------------------------------------------------------- */

static char tmpdir[] = "/tmp/svcctl-unit-XXXXXX";
static struct globalconf test_gc;

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	if (!fp)
		bail_out("cannot create", path);
	if (fputs(text, fp) == EOF || fclose(fp) == EOF)
		bail_out("cannot write", path);
}

static void write_service(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s.ini", tmpdir, name);

	write_text(path, text);
	free(path);
}

/* Expects NAME.ini to fail with a message holding "FILE:LINE: " (or
 * "FILE: " for line 0) and each of up to two fragments. */
static void expect_load_error(const char *name, int line, const char *frag1,
			      const char *frag2, const char *what)
{
	struct service svc;
	struct errlist el = {0};
	char *where = line > 0 ? xasprintf("%s/%s.ini:%d: ", tmpdir, name, line)
			       : xasprintf("%s/%s.ini: ", tmpdir, name);
	int rc = service_load(&svc, &test_gc, name, &el);

	if (!CHECK(rc == -1 && errors_have(&el, where, frag1, frag2, (char *)NULL),
		   "service_load: %s is an error at %s", what,
		   line > 0 ? "its line" : "file level")) {
		printf("#   rc %d, expected a message with ", rc);
		print_quoted(where);
		fputs(" and ", stdout);
		print_quoted(frag1);
		if (frag2) {
			fputs(" and ", stdout);
			print_quoted(frag2);
		}
		putchar('\n');
		diag_errors(&el);
	}
	service_free(&svc);
	errlist_free(&el);
	free(where);
}

/* NAME.ini is "[service]\nexec = /bin/true\nLINE\n": LINE is line 3. */
static void expect_bad_value(const char *name, const char *line, const char *frag)
{
	char *text = xasprintf("[service]\nexec = /bin/true\n%s\n", line);
	char *what = xasprintf("'%s'", line);

	write_service(name, text);
	expect_load_error(name, 3, frag, NULL, what);
	free(text);
	free(what);
}

/* Loads NAME.ini expecting success; the caller frees svc. */
static bool load_ok(const char *name, struct service *svc, const char *what)
{
	struct errlist el = {0};
	int rc = service_load(svc, &test_gc, name, &el);
	bool ok = CHECK(rc == 0 && el.msgs.n == 0, "service_load: %s loads", what);

	if (!ok) {
		printf("#   rc %d\n", rc);
		diag_errors(&el);
	}
	errlist_free(&el);
	return ok;
}

static void test_service_valid(void)
{
	struct service svc;
	char *want;

	write_service("web",
		      "; a web server\n"
		      "# both comment characters\n"
		      "[service]\n"
		      "description = Web server\n"
		      "exec = /bin/sh -c 'exec sleep 100' \"two words\"\n"
		      "umask = 027\n"
		      "stop_signal = INT\n"
		      "kill_mode = process\n"
		      "reload_signal = none\n"
		      "ready_seconds = 2.5\n"
		      "stop_timeout = 7\n"
		      "nice = 5\n"
		      "limit_nofile = 1024:4096\n"
		      "success_exit_codes = 0 3, 143\n"
		      "stderr = null\n"
		      "directory = /tmp\n"
		      "\n"
		      "[environment]\n"
		      "LANG = C.UTF-8\n"
		      "EMPTY =\n"
		      "PATH = /usr/bin:/bin\n"
		      "\n"
		      "[install]\n"
		      "runlevels = 345\n"
		      "start_priority = 20\n"
		      "stop_priority = 80\n");
	if (load_ok("web", &svc, "a full valid file")) {
		CHECK_STR(svc.name, "web", "web.ini: name");
		CHECK_STR(svc.description, "Web server", "web.ini: description");
		CHECK_STR(svc.exec_line, "/bin/sh -c 'exec sleep 100' \"two words\"",
			  "web.ini: exec_line as written");
		CHECK_INT(svc.argv.n, 4, "web.ini: exec split into 4 words");
		if (svc.argv.n == 4) {
			CHECK_STR(svc.argv.v[0], "/bin/sh", "web.ini: argv[0]");
			CHECK_STR(svc.argv.v[1], "-c", "web.ini: argv[1]");
			CHECK_STR(svc.argv.v[2], "exec sleep 100", "web.ini: argv[2]");
			CHECK_STR(svc.argv.v[3], "two words", "web.ini: argv[3]");
			CHECK(svc.argv.v[4] == NULL, "web.ini: argv is NULL-terminated");
		}
		CHECK_INT(svc.type, TYPE_SIMPLE, "web.ini: type defaults to simple");
		CHECK_INT(svc.umask, 027, "web.ini: umask = 027");
		CHECK_INT(svc.stop_signal, SIGINT, "web.ini: stop_signal = INT");
		CHECK_INT(svc.kill_mode, KILL_PROCESS, "web.ini: kill_mode = process");
		CHECK_INT(svc.reload_signal, 0, "web.ini: reload_signal = none is 0");
		CHECK(svc.ready_seconds == 2.5,
		      "web.ini: ready_seconds overrides the global 1");
		CHECK(svc.stop_timeout == 7, "web.ini: stop_timeout = 7");
		CHECK(svc.start_timeout == 30,
		      "web.ini: start_timeout from the global config");
		CHECK_INT(svc.nice, 5, "web.ini: nice = 5");
		CHECK(svc.nofile_set && svc.nofile_soft == 1024 &&
			      svc.nofile_hard == 4096,
		      "web.ini: limit_nofile = 1024:4096");
		CHECK(svc.success_codes[0] && svc.success_codes[3] &&
			      svc.success_codes[143] && !svc.success_codes[1] &&
			      !svc.success_codes[255],
		      "web.ini: success_exit_codes = 0 3, 143");
		CHECK_INT(svc.err.kind, OUT_NULL, "web.ini: stderr = null");
		CHECK_INT(svc.out.kind, OUT_FILE,
			  "web.ini: stdout defaults to the log file");
		CHECK_STR(svc.directory, "/tmp", "web.ini: directory");
		CHECK_INT(svc.environment.n, 3, "web.ini: [environment] has 3 entries");
		if (svc.environment.n == 3) {
			CHECK_STR(svc.environment.v[0], "LANG=C.UTF-8",
				  "web.ini: LANG=C.UTF-8");
			CHECK_STR(svc.environment.v[1], "EMPTY=", "web.ini: EMPTY=");
			CHECK_STR(svc.environment.v[2], "PATH=/usr/bin:/bin",
				  "web.ini: PATH keeps its colons");
		}
		CHECK_STR(svc.runlevels, "345", "web.ini: runlevels");
		CHECK_INT(svc.start_priority, 20, "web.ini: start_priority");
		CHECK_INT(svc.stop_priority, 80, "web.ini: stop_priority");
		want = xasprintf("%s/run/web.pid", tmpdir);
		CHECK_STR(svc.pidfile, want,
			  "web.ini: pidfile defaults to run_dir/NAME.pid");
		free(want);
		want = xasprintf("%s/log/web.log", tmpdir);
		CHECK_STR(svc.log_path, want, "web.ini: log_path is log_dir/NAME.log");
		free(want);
		CHECK(!service_supervised(&svc), "web.ini: needs no monitor");
	}
	service_free(&svc);

	write_service("plain", "[service]\nexec = sleep 1000\n");
	if (load_ok("plain", &svc, "a minimal file")) {
		CHECK_STR(svc.description, "plain",
			  "plain.ini: description defaults to the name");
		CHECK_INT(svc.umask, 022, "plain.ini: umask defaults to 022");
		CHECK_INT(svc.stop_signal, SIGTERM,
			  "plain.ini: stop_signal defaults to TERM");
		CHECK_INT(svc.reload_signal, SIGHUP,
			  "plain.ini: reload_signal defaults to HUP");
		CHECK_INT(svc.kill_mode, KILL_GROUP,
			  "plain.ini: kill_mode defaults to group");
		CHECK(svc.ready_seconds == 1,
		      "plain.ini: ready_seconds from the global config");
		CHECK(svc.stop_timeout == 10,
		      "plain.ini: stop_timeout from the global config");
		CHECK(svc.success_codes[0] && !svc.success_codes[1],
		      "plain.ini: only exit code 0 is success");
		CHECK_INT(svc.environment.n, 0, "plain.ini: no environment");
		CHECK(!service_supervised(&svc), "plain.ini: needs no monitor");
	}
	service_free(&svc);

	write_service("cont",
		      "[service]\n"
		      "exec = /bin/echo one\n"
		      "\ttwo ; the middle part\n"
		      "    three\n"
		      "stop_signal = USR1\n");
	if (load_ok("cont", &svc, "an exec continued on indented lines")) {
		CHECK_STR(svc.exec_line, "/bin/echo one two three",
			  "cont.ini: continuation lines joined with one space, comment "
			  "dropped");
		CHECK_INT(svc.argv.n, 4, "cont.ini: the joined exec is 4 words");
		CHECK_INT(svc.stop_signal, SIGUSR1, "cont.ini: the key after it is read");
	}
	service_free(&svc);

	{
		char line[256];

		/* "description = " is 14 bytes: 184 more make the longest line allowed */
		snprintf(line, sizeof(line), "description = %0184d", 0);
		want = xasprintf("[service]\nexec = /bin/true\n%s\n", line);
		write_service("long198", want);
		free(want);
		if (load_ok("long198", &svc, "a line of exactly 198 bytes"))
			CHECK_INT(strlen(svc.description), 184,
				  "long198.ini: the whole value is kept");
		service_free(&svc);
	}
}

/* Does the service need a monitor (DESIGN 4.8)? */
static void expect_supervised(const char *name, const char *lines, bool want)
{
	struct service svc;
	char *text = xasprintf("[service]\nexec = /bin/true\n%s\n", lines);

	write_service(name, text);
	free(text);
	if (load_ok(name, &svc, name))
		CHECK(service_supervised(&svc) == want,
		      "service_supervised: service %s %s", name,
		      want ? "needs a monitor" : "needs no monitor");
	service_free(&svc);
}

static void test_service_supervised(void)
{
	struct service svc;

	expect_supervised("plain", "", false);
	expect_supervised("no", "restart = no\nlog_max_bytes = 0", false);
	expect_supervised("always", "restart = always", true);
	expect_supervised("onfail", "restart = on-failure", true);
	expect_supervised("syslog", "stdout = syslog", true);
	expect_supervised("errsyslog", "stderr = syslog", true);
	expect_supervised("rotate", "log_max_bytes = 1M", true);
	expect_supervised("rotnull", "log_max_bytes = 1M\nstdout = null", false);
	expect_supervised("notify", "type = notify", true);
	expect_supervised("readyfd", "ready_fd = 3", false);

	write_service("codes",
		      "[service]\nexec = /bin/true\nsuccess_exit_codes = 0 3 TERM\n");
	if (load_ok("codes", &svc, "success_exit_codes = 0 3 TERM")) {
		CHECK(service_exit_success(&svc, 0) &&
			      service_exit_success(&svc, 3 << 8) &&
			      service_exit_success(&svc, SIGTERM),
		      "success_exit_codes: exit 0, exit 3 and death by SIGTERM succeed");
		CHECK(!service_exit_success(&svc, 1 << 8) &&
			      !service_exit_success(&svc, SIGKILL) &&
			      !service_exit_success(&svc, 143 << 8),
		      "success_exit_codes: exit 1, SIGKILL and exit 143 do not");
	}
	service_free(&svc);
	expect_bad_value("badcode", "success_exit_codes = 0 NOSUCHSIG",
			 "success_exit_codes");
}

/* service_print_config into a string, without its first (header) line and,
 * with strip, without the " ; origin" of each line */
static char *config_text(const struct service *svc, bool strip)
{
	char *buf = NULL, *out, *p, *q;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		bail_out("cannot open", "a memory stream");
	service_print_config(m, svc, &test_gc);
	fclose(m);
	p = strchr(buf, '\n');
	out = xstrdup(p ? p + 1 : "");
	free(buf);
	if (!strip)
		return out;
	for (p = q = out; *p;) {
		char *nl = strchr(p, '\n'), *semi;
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		semi = memmem(p, n, " ; ", 3);
		if (semi && semi != p)
			n = (size_t)(semi - p);
		memmove(q, p, n);
		q += n;
		*q++ = '\n';
		p = nl ? nl + 1 : p + strlen(p);
	}
	*q = '\0';
	return out;
}

static void test_service_config(void)
{
	struct service svc, back;
	char *first = NULL, *again = NULL, *marked;

	write_service("eff",
		      "[service]\nexec = /bin/true -x\nkill_mode = process\n"
		      "success_exit_codes = 0 3 TERM\numask = 027\n"
		      "ready_seconds = 0.25\n[environment]\nA = b c\n"
		      "[install]\nrunlevels = 35\n");
	if (load_ok("eff", &svc, "a file for check -v")) {
		strv_push(&test_gc.given, "stop_timeout");
		marked = config_text(&svc, false);
		strv_free(&test_gc.given);
		CHECK(strstr(marked, "\nkill_mode = process ; eff.ini\n") &&
			      strstr(marked, "\numask = 027 ; eff.ini\n") &&
			      strstr(marked, "\nA = b c ; eff.ini\n"),
		      "service_print_config: keys of the file, marked with it");
		CHECK(strstr(marked, "\nstop_signal = TERM ; default\n") &&
			      strstr(marked, "\nstop_timeout = 10 ; svcctl.conf\n") &&
			      strstr(marked, "\nrestart_max = 5 ; default\n"),
		      "service_print_config: defaults marked default or svcctl.conf");
		free(marked);
		first = config_text(&svc, true);
		write_service("eff2", first);
		if (load_ok("eff2", &back, "check -v's output read back")) {
			again = config_text(&back, true);
			service_free(&back);
		}
		CHECK(again && strcmp(first, again) == 0,
		      "service_print_config: read back, the same configuration");
	}
	service_free(&svc);
	free(first);
	free(again);
}

static void test_service_errors(void)
{
	struct service svc;
	struct errlist el = {0};
	char *text, *where;
	int rc;

	write_service("unknownkey", "[service]\nexec = /bin/true\nfoo = bar\n");
	expect_load_error("unknownkey", 3, "foo", NULL, "an unknown key");

	write_service("unknownsec", "[service]\nexec = /bin/true\n\n[servce]\nx = 1\n");
	expect_load_error("unknownsec", 4, "servce", NULL, "an unknown section");

	write_service("emptysec", "[service]\nexec = /bin/true\n[nothing]\n");
	expect_load_error("emptysec", 3, "nothing", NULL,
			  "an unknown section with no keys");

	write_service("dup",
		      "[service]\nexec = /bin/true\ndescription = a\n"
		      "stop_timeout = 1\ndescription = b\n");
	expect_load_error("dup", 5, "description", "line 3",
			  "a duplicate key (naming the first line)");

	write_service("dupenv",
		      "[environment]\nA = 1\nA = 2\n[service]\nexec = /bin/true\n");
	expect_load_error("dupenv", 3, "A", "line 2", "a duplicate environment key");

	{
		char line[256];

		snprintf(line, sizeof(line), "description = %0185d", 0);
		text = xasprintf("[service]\nexec = /bin/true\n%s\nnice = 1\n", line);
		write_service("long199", text);
		free(text);
		expect_load_error("long199", 3, "longer", NULL, "a line of 199 bytes");
	}

	expect_bad_value("badtype", "type = oneshot", "type");
	expect_bad_value("badumask", "umask = 999", "umask");
	expect_bad_value("badumask2", "umask = 1000", "umask");
	expect_bad_value("badnice", "nice = 50", "nice");
	expect_bad_value("badsig", "stop_signal = FOO", "stop_signal");
	expect_bad_value("badreload", "reload_signal = NOPE", "reload_signal");
	expect_bad_value("badlimit", "limit_nofile = 5:2", "limit_nofile");
	expect_bad_value("badlimit2", "limit_nofile = lots", "limit_nofile");
	expect_bad_value("badcodes", "success_exit_codes = 0 300", "300");
	expect_bad_value("badkill", "kill_mode = all", "kill_mode");
	expect_bad_value("badrestart", "restart = sometimes", "restart");
	expect_bad_value("badready", "ready_seconds = -1", "ready_seconds");
	expect_bad_value("baddir", "directory = relative/dir", "directory");
	expect_bad_value("badpidfile", "pidfile = x.pid", "pidfile");
	expect_bad_value("badstdout", "stdout = stdout", "stdout");
	expect_bad_value("baduser", "user = no-such-user-xyz", "no-such-user-xyz");
	expect_bad_value("badsize", "log_max_bytes = 10X", "log_max_bytes");

	write_service("badexec", "[service]\nexec = /bin/echo 'abc\n");
	expect_load_error("badexec", 2, "exec", "quote",
			  "an exec with an unterminated quote");
	write_service("relexec", "[service]\nexec = bin/prog\n");
	expect_load_error("relexec", 2, "exec", NULL, "an exec with a relative path");
	write_service("badenv", "[service]\nexec = /bin/true\n[environment]\n1BAD = x\n");
	expect_load_error("badenv", 4, "1BAD", NULL, "an invalid environment name");
	write_service("badinst",
		      "[service]\nexec = /bin/true\n[install]\nstart_priority = 100\n");
	expect_load_error("badinst", 4, "start_priority", NULL, "start_priority = 100");

	write_service("outside", "exec = /bin/true\n[service]\nexec = /bin/true\n");
	expect_load_error("outside", 1, "outside", NULL, "a key outside any section");

	write_service("noeq", "[service]\nexec = /bin/true\njust some words\n");
	expect_load_error("noeq", 3, "key = value", NULL, "a line without '='");

	write_service("blankcont", "[service]\nexec = /bin/echo\n\n  more\n");
	expect_load_error("blankcont", 4, "indented", NULL,
			  "an indented line after a blank line");

	write_service("firstcont", "[service]\n  exec = /bin/true\n");
	expect_load_error("firstcont", 2, "indented", NULL,
			  "an indented line right after a section header");

	write_service("noexec", "[service]\ndescription = nothing to run\n");
	expect_load_error("noexec", 0, "exec", NULL, "a missing exec");

	write_service("emptyexec", "[service]\nexec =\n");
	expect_load_error("emptyexec", 2, "exec", NULL, "an empty exec");

	write_service("forking", "[service]\nexec = /bin/true\ntype = forking\n");
	expect_load_error("forking", 3, "pidfile", NULL,
			  "type = forking without pidfile");

	/* every problem is reported, not only the first */
	write_service("many",
		      "[service]\nexec = /bin/true\nnice = 50\numask = 999\nbogus = 1\n");
	rc = service_load(&svc, &test_gc, "many", &el);
	where = xasprintf("%s/many.ini:", tmpdir);
	if (!CHECK(rc == -1 && el.msgs.n == 3 &&
			   errors_have(&el, where, ":3:", "nice", (char *)NULL) &&
			   errors_have(&el, where, ":4:", "umask", (char *)NULL) &&
			   errors_have(&el, where, ":5:", "bogus", (char *)NULL),
		   "service_load: three bad lines give three errors, each with its line"))
		diag_errors(&el);
	free(where);
	service_free(&svc);
	errlist_free(&el);

	errno = 0;
	rc = service_load(&svc, &test_gc, "no-such-service", &el);
	if (!CHECK(rc == -1 && errno == ENOENT &&
			   errors_have(&el, "no such service", (char *)NULL),
		   "service_load: a missing file is -1 with ENOENT"))
		diag_errors(&el);
	service_free(&svc);
	errlist_free(&el);

	write_service(
		"fork",
		"[service]\nexec = /bin/true\ntype = forking\npidfile = /run/f.pid\n");
	if (load_ok("fork", &svc, "type = forking with a pidfile"))
		CHECK(svc.type == TYPE_FORKING && !service_supervised(&svc),
		      "type = forking with a pidfile loads, and needs no monitor");
	service_free(&svc);
	expect_supervised("forkmon",
			  "type = forking\npidfile = /run/f.pid\nrestart = always", true);
}

/* ---- path_open_trusted -------------------------------------------------- */

/* "p" under tmpdir/path, in a buffer that lives until the next call */
static const char *tp(const char *p)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/path/%s", tmpdir, p);
	return buf[i];
}

static void test_path(void)
{
	const char *why = NULL, *base = NULL;
	struct stat st;
	int fd, fl;
	bool root = geteuid() == 0;

	mkdir(tp(""), 0755);
	mkdir(tp("rootonly"), 0700);
	mkdir(tp("open"), 0777);
	chmod(tp("open"), 0777);
	close(open(tp("file"), O_WRONLY | O_CREAT, 0644));
	write_file_atomic(tp("data"), "hello\n", 6, 0644);

	fd = path_open_trusted(tp("file"), O_RDONLY, 0, &why);
	CHECK(fd >= 0, "path: a regular file in a trusted directory opens");
	fl = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
	CHECK(fd >= 0 && !(fl & O_NONBLOCK) && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      "path: the descriptor is close-on-exec and blocking again");
	if (fd >= 0)
		close(fd);

	fd = path_open_trusted(tp("new.log"), O_WRONLY | O_CREAT | O_APPEND, 0640, &why);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640,
	      "path: O_CREAT makes the file with the given mode");
	if (fd >= 0)
		close(fd);

	fd = path_open_trusted(tp("data"), O_WRONLY | O_TRUNC, 0, &why);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0,
	      "path: O_TRUNC empties a regular file");
	if (fd >= 0)
		close(fd);

	/* root's own links in root's own directories are followed */
	symlink("file", tp("link"));
	symlink("rootonly", tp("dirlink"));
	errno = 0;
	fd = path_open_trusted(tp("link"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == ELOOP && why && strcmp(why, "is a symbolic link") == 0,
	      "path: a file is never opened through a last symlink, even root's "
	      "(O_NOFOLLOW)");
	fd = path_open_trusted(tp("dirlink"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd >= 0, "path: with O_DIRECTORY a trusted last symlink is followed");
	if (fd >= 0)
		close(fd);
	fd = path_open_trusted(tp("dirlink/x"), O_WRONLY | O_CREAT, 0644, &why);
	CHECK(fd >= 0 && access(tp("rootonly/x"), F_OK) == 0,
	      "path: a trusted directory symlink on the way is followed");
	if (fd >= 0)
		close(fd);

	/* a link in a directory others can write is refused, final or not */
	symlink("../file", tp("open/link"));
	symlink("../rootonly", tp("open/sub"));
	errno = 0;
	fd = path_open_trusted(tp("open/link"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == ELOOP && why && strstr(why, "symbolic link"),
	      "path: a final symlink in a world-writable directory is refused");
	errno = 0;
	fd = path_open_trusted(tp("open/sub/planted"), O_WRONLY | O_CREAT, 0644, &why);
	CHECK(fd < 0 && errno == ELOOP && why &&
		      strstr(why, "goes through a symbolic link") &&
		      access(tp("rootonly/planted"), F_OK) < 0,
	      "path: a directory symlink in a world-writable directory is refused, "
	      "nothing made");
	fd = path_open_trusted(tp("open/sub/planted"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd < 0 && errno == ELOOP, "path: the same with O_DIRECTORY");
	fd = path_mkdir_trusted(tp("open/sub/a/b"), 0755, &why);
	CHECK(fd < 0 && errno == ELOOP && access(tp("rootonly/a"), F_OK) < 0,
	      "path: mkdir -p does not go through the planted link");

	if (root) {
		symlink("rootonly", tp("userlink"));
		fchownat(AT_FDCWD, tp("userlink"), 65534, 65534, AT_SYMLINK_NOFOLLOW);
		errno = 0;
		fd = path_open_trusted(tp("userlink/x"), O_RDONLY, 0, &why);
		CHECK(fd < 0 && errno == ELOOP && why &&
			      strstr(why, "owned by another user"),
		      "path: a symlink another user owns is refused");

		/* a directory the service's user owns: files in it are fine */
		mkdir(tp("user"), 0755);
		chown(tp("user"), 65534, 65534);
		fd = path_open_trusted(tp("user/out.log"), O_WRONLY | O_CREAT, 0640,
				       &why);
		CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == 0,
		      "path: a file in a user's directory is created root's");
		if (fd >= 0)
			close(fd);
		link(tp("rootonly/x"), tp("user/hard"));
		errno = 0;
		fd = path_open_trusted(tp("user/hard"), O_RDONLY, 0, &why);
		CHECK(fd < 0 && errno == EPERM && why && strstr(why, "hard link"),
		      "path: a hard link in a user's directory is refused");
		/* O_TRUNC comes after the checks: a refused file keeps its content */
		fd = open(tp("rootonly/x"), O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			write(fd, "keep\n", 5);
			close(fd);
		}
		errno = 0;
		fd = path_open_trusted(tp("user/hard"), O_WRONLY | O_CREAT | O_TRUNC,
				       0640, &why);
		CHECK(fd < 0 && errno == EPERM && stat(tp("rootonly/x"), &st) == 0 &&
			      st.st_size == 5,
		      "path: O_TRUNC of a refused hard link empties nothing");
	} else {
		/* the plan counts these four either way */
		for (int i = 0; i < 4; i++)
			CHECK(true,
			      "path: another user's links and files # SKIP needs root");
	}

	/* FIFOs, devices and directories are never opened as files */
	mkfifo(tp("fifo"), 0644);
	errno = 0;
	fd = path_open_trusted(tp("fifo"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == EINVAL && why &&
		      strcmp(why, "is not a regular file") == 0,
	      "path: a FIFO opened for reading is refused at once");
	errno = 0;
	fd = path_open_trusted(tp("fifo"), O_WRONLY | O_CREAT | O_APPEND, 0640, &why);
	CHECK(fd < 0 && errno == EINVAL && why &&
		      strcmp(why, "is not a regular file") == 0,
	      "path: a FIFO opened for writing is refused at once");
	errno = 0;
	fd = path_open_trusted("/dev/null", O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == EINVAL, "path: a device is refused");
	errno = 0;
	fd = path_open_trusted(tp("rootonly"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == EISDIR && why && strcmp(why, "is a directory") == 0,
	      "path: a directory where a file should be is refused");
	fd = path_open_trusted(tp("rootonly"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd >= 0, "path: O_DIRECTORY opens a directory");
	if (fd >= 0)
		close(fd);
	errno = 0;
	fd = path_open_trusted(tp("file"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd < 0 && errno == ENOTDIR, "path: O_DIRECTORY refuses a file");
	errno = 0;
	fd = path_open_trusted(tp("file/x"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == ENOTDIR,
	      "path: a file in the middle of a path is ENOTDIR");
	errno = 0;
	fd = path_open_trusted(tp("missing"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == ENOENT, "path: a missing file is ENOENT");

	symlink("loop2", tp("loop1"));
	symlink("loop1", tp("loop2"));
	errno = 0;
	fd = path_open_trusted(tp("loop1"), O_RDONLY, 0, &why);
	CHECK(fd < 0 && errno == ELOOP, "path: a loop of trusted links ends with ELOOP");

	fd = path_mkdir_trusted(tp("made/a/b"), 0755, &why);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode),
	      "path: mkdir -p makes and opens the directory");
	if (fd >= 0)
		close(fd);
	fd = path_mkdir_trusted(tp("made/a/b"), 0755, &why);
	CHECK(fd >= 0, "path: mkdir -p of an existing directory opens it");
	if (fd >= 0)
		close(fd);

	fd = path_parent_trusted(tp("made/a/b/NAME.pid"), false, 0, &base, &why);
	CHECK(fd >= 0 && base && strcmp(base, "NAME.pid") == 0,
	      "path: the parent of a path and its last component");
	if (fd >= 0) {
		int f = openat(fd, base, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		CHECK(f >= 0 && access(tp("made/a/b/NAME.pid"), F_OK) == 0,
		      "path: the parent descriptor is usable with openat");
		if (f >= 0)
			close(f);
		close(fd);
	}
	CHECK(path_parent_trusted(tp("made/"), false, 0, &base, &why) < 0,
	      "path: a path ending in a slash has no file to name");

	fd = path_open_trusted(tp("rootonly"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd >= 0 && path_dir_check(fd, &why) == 0,
	      "path: root's 0700 directory is trusted");
	if (fd >= 0)
		close(fd);
	fd = path_open_trusted(tp("open"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd >= 0 && path_dir_check(fd, &why) < 0 && why && strstr(why, "writable"),
	      "path: a 0777 directory is not trusted");
	if (fd >= 0)
		close(fd);

	/* walks from a kept directory: made/a/b the only one kept */
	path_cache_drop();
	fd = path_open_trusted(tp("made/a/b"), O_RDONLY | O_DIRECTORY, 0, &why);
	if (fd >= 0)
		close(fd);
	mkdir(tp("made/a/bxx"), 0755);
	mkdir(tp("made/a/b/x"), 0755);
	close(open(tp("made/a/bxx/f"), O_WRONLY | O_CREAT, 0644));
	close(open(tp("made/a/b/x/f"), O_WRONLY | O_CREAT, 0600));
	fd = path_parent_trusted(tp("made/a/bxx/f"), false, 0, &base, &why);
	CHECK(fd >= 0 && fstatat(fd, "f", &st, 0) == 0 && (st.st_mode & 0777) == 0644,
	      "path: a kept directory is the start of a walk only up to a slash "
	      "(made/a/b is not made/a/bxx)");
	if (fd >= 0)
		close(fd);
	fd = path_open_trusted(tp("made/a/b/../bxx"), O_RDONLY | O_DIRECTORY, 0, &why);
	CHECK(fd >= 0 && fstatat(fd, "f", &st, 0) == 0 && (st.st_mode & 0777) == 0644,
	      "path: .. from a kept directory is its real parent");
	if (fd >= 0)
		close(fd);
	{
		int a = path_open_trusted(tp("made/a/b"), O_RDONLY | O_DIRECTORY, 0,
					  &why);
		int b = path_open_trusted(tp("made/a/b"), O_RDONLY | O_DIRECTORY, 0,
					  &why);
		char ents[4096];

		CHECK(a >= 0 && b >= 0 && a != b &&
			      syscall(SYS_getdents64, a, ents, sizeof(ents)) > 0 &&
			      syscall(SYS_getdents64, b, ents, sizeof(ents)) > 0,
		      "path: a directory opened through the cache has its own offset "
		      "(reading one does not empty the other)");
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
	}

	fd = path_open_trusted(tp("file"), O_RDONLY, 0, &why);
	if (fd >= 0)
		close(fd);
	path_cache_clear();
	fd = path_open_trusted(tp("file"), O_RDONLY, 0, &why);
	CHECK(fd >= 0, "path: opens work again after the kept directories are dropped");
	if (fd >= 0)
		close(fd);

	if (chdir(tp("")) == 0) {
		fd = path_open_trusted("file", O_RDONLY, 0, &why);
		CHECK(fd >= 0,
		      "path: a relative path is relative to the working directory");
		if (fd >= 0)
			close(fd);
		chdir("/");
	}
}

/* ---- conf_load ---------------------------------------------------------- */

static void test_conf(void)
{
	struct globalconf gc;
	struct errlist el = {0};
	char *dir = xasprintf("%s/conf", tmpdir);
	char *link = xasprintf("%s/conf-link", tmpdir);
	char *path = xasprintf("%s/svcctl.conf", dir);
	char *via_link = xasprintf("%s/svcctl.conf", link);
	char *real = NULL, *want;
	int rc;

	if (mkdir(dir, 0755) < 0)
		bail_out("cannot create", dir);
	if (symlink("conf", link) < 0)
		bail_out("cannot create", link);

	write_text(path,
		   "# global settings\n"
		   "services_dir = \"svc\"\n"
		   "run_dir = \"/var/tmp/run-abs\"\n"
		   "stop_timeout = 2.5\n"
		   "ready_seconds = 0.25\n"
		   "start_timeout = 12\n");
	rc = conf_load(&gc, via_link, true, &el);
	if (!CHECK(rc == 0 && el.msgs.n == 0, "conf_load: a valid file loads"))
		diag_errors(&el);
	real = realpath(dir, NULL);
	want = xasprintf("%s/svc", real ? real : dir);
	CHECK_STR(gc.services_dir, want,
		  "conf_load: a relative services_dir resolves against the file's real "
		  "directory");
	free(want);
	CHECK_STR(gc.run_dir, "/var/tmp/run-abs",
		  "conf_load: an absolute run_dir is kept");
	want = xasprintf("%s/svcctl.conf", real ? real : dir);
	CHECK_STR(gc.path, want, "conf_load: path is the real path of the file read");
	free(want);
	CHECK(gc.stop_timeout == 2.5, "conf_load: stop_timeout = 2.5");
	CHECK(gc.ready_seconds == 0.25, "conf_load: ready_seconds = 0.25");
	CHECK(gc.start_timeout == 12, "conf_load: start_timeout = 12 (an integer)");
	CHECK(gc.log_dir && gc.log_dir[0] == '/' && gc.initd_dir && gc.rc_dir,
	      "conf_load: unset paths keep their defaults");
	conf_free(&gc);
	errlist_free(&el);
	free(real);

	write_text(path, "stop_timeout = 1\nbogus_option = 2\n");
	want = xasprintf("%s:2:", path);
	rc = conf_load(&gc, path, true, &el);
	if (!CHECK(rc == -1 && errors_have(&el, want, "bogus_option", (char *)NULL),
		   "conf_load: an unknown option is an error with FILE:LINE"))
		diag_errors(&el);
	free(want);
	conf_free(&gc);
	errlist_free(&el);

	write_text(path, "ready_seconds = 1\n\nstop_timeout = -1\n");
	want = xasprintf("%s:3:", path);
	rc = conf_load(&gc, path, true, &el);
	if (!CHECK(rc == -1 && errors_have(&el, want, "stop_timeout", (char *)NULL),
		   "conf_load: stop_timeout = -1 is an error with FILE:LINE"))
		diag_errors(&el);
	free(want);
	conf_free(&gc);
	errlist_free(&el);

	write_text(path, "start_timeout = soon\n");
	rc = conf_load(&gc, path, true, &el);
	if (!CHECK(rc == -1 && el.msgs.n > 0,
		   "conf_load: a non-number float is an error"))
		diag_errors(&el);
	conf_free(&gc);
	errlist_free(&el);

	write_text(path, "services_dir = \"\"\n");
	rc = conf_load(&gc, path, true, &el);
	if (!CHECK(rc == -1 && errors_have(&el, "services_dir", (char *)NULL),
		   "conf_load: an empty services_dir is an error"))
		diag_errors(&el);
	conf_free(&gc);
	errlist_free(&el);

	free(path);
	path = xasprintf("%s/missing.conf", dir);
	rc = conf_load(&gc, path, true, &el);
	if (!CHECK(rc == -1 && errors_have(&el, path, (char *)NULL),
		   "conf_load: a missing file named explicitly is -1"))
		diag_errors(&el);
	conf_free(&gc);
	errlist_free(&el);

	rc = conf_load(&gc, path, false, &el);
	if (!CHECK(rc == 0 && el.msgs.n == 0 && gc.path == NULL && gc.services_dir &&
			   gc.stop_timeout == 10 && gc.ready_seconds == 1 &&
			   gc.start_timeout == 30,
		   "conf_load: a missing default file gives the built-in defaults"))
		diag_errors(&el);
	conf_free(&gc);
	errlist_free(&el);

	free(path);
	free(via_link);
	free(link);
	free(dir);
}

/* ---- untrusted input: visible text, UTF-8, seconds, comments, env files -- */

static void expect_visible(const char *in, size_t n, const char *want)
{
	char out[256];

	text_visible(in, n, out, sizeof(out));
	CHECK_STR(out, want, "text_visible: %zu bytes -> %s", n, want);
}

static void expect_blanked(const char *in, const char *want)
{
	char *text = xstrdup(in);

	conf_blank_comments(text, strlen(text));
	CHECK_STR(text, want, "conf_blank_comments: %zu bytes", strlen(in));
	free(text);
}

static void test_untrusted_input(void)
{
	struct strv env = {0};
	struct errlist el = {0};
	char small[8], text[64];
	int rc;

	expect_visible("plain text", 10, "plain text");
	expect_visible("a\0b", 3, "a\\x00b");
	expect_visible("\033[31mred", 8, "\\x1b[31mred");
	expect_visible("tab\there\r", 9, "tab\there\\x0d");
	expect_visible("del\177", 4, "del\\x7f");
	expect_visible("caf\xc3\xa9", 5, "caf\xc3\xa9");
	expect_visible("bad\xff\xc0\x80", 6, "bad\\xff\\xc0\\x80");
	expect_visible("c1\xc2\x9b", 4, "c1\\xc2\\x9b");
	expect_visible("cut\xe2\x82", 5, "cut\\xe2\\x82");
	expect_visible("sur\xed\xa0\x80", 6, "sur\\xed\\xa0\\x80");
	CHECK_INT(text_visible("\001\002", 2, small, sizeof(small)), 4,
		  "text_visible: a small buffer stops at a whole escape");
	CHECK_STR(small, "\\x01", "text_visible: and ends with a NUL");

	CHECK_INT(utf8_seq_len("A", 1), 1, "utf8_seq_len: ASCII");
	CHECK_INT(utf8_seq_len("\xf0\x9f\x98\x80", 4), 4, "utf8_seq_len: 4 bytes");
	CHECK_INT(utf8_seq_len("\xf4\x90\x80\x80", 4), 0, "utf8_seq_len: above U+10FFFF");
	CHECK_INT(utf8_seq_len("\xe0\x80\xaf", 3), 0, "utf8_seq_len: overlong");
	CHECK_INT(utf8_seq_len("\x80", 1), 0, "utf8_seq_len: a lone continuation byte");

	CHECK(seconds_sane(NAN) == 0, "seconds_sane: NaN is 0");
	CHECK(seconds_sane(-5) == 0, "seconds_sane: negative is 0");
	CHECK(seconds_sane(INFINITY) == SECONDS_MAX, "seconds_sane: inf is the maximum");
	CHECK(seconds_sane(2.5) == 2.5, "seconds_sane: 2.5 stays");
	expect_seconds_error("inf");
	expect_seconds_error("1e3");

	CHECK(!service_name_valid("stop"), "service_name_valid: stop is an action");
	CHECK(!service_name_valid("is-enabled"), "service_name_valid: is-enabled too");
	CHECK(service_name_valid("stopper"), "service_name_valid: stopper is fine");

	expect_blanked("# c\nx = 1\n", "   \nx = 1\n");
	expect_blanked("// c\n/* a\nb */x", "    \n    \n    x");
	expect_blanked("a = \"#not\" # yes", "a = \"#not\"      ");
	expect_blanked("a = 'q\\' // no' //x", "a = 'q\\' // no'    ");
	expect_blanked("a = \"\\\"#\" #c", "a = \"\\\"#\"   ");
	expect_blanked("p = ${A#b} #c", "p = ${A#b}   ");

	snprintf(text, sizeof(text), "A=1\nexport B='two'\n# c\n");
	rc = env_file_parse(text, strlen(text), "envf", &env, &el);
	CHECK(rc == 0 && env.n == 2 && strcmp(env.v[0], "A=1") == 0 &&
		      strcmp(env.v[1], "B=two") == 0,
	      "env_file_parse: KEY=VALUE, export and quotes");
	strv_free(&env);
	memcpy(text, "A=1\nB=2\0EVIL=1\nC=3\n", 19);
	rc = env_file_parse(text, 19, "envf", &env, &el);
	CHECK(rc == -1 && errors_have(&el, "envf:2: NUL", (char *)NULL) && env.n == 2,
	      "env_file_parse: a NUL byte is an error on its line, the rest is read");
	strv_free(&env);
	errlist_free(&el);

	write_service("junkhdr", "[service] junk\nexec = /bin/true\n");
	expect_load_error("junkhdr", 1, "bad section header", "junk",
			  "text after a section header");
	write_service("colonkey",
		      "[service]\nexec = /bin/true\n[environment]\nFOO:BAR=baz\n");
	expect_load_error("colonkey", 4, "'FOO:BAR'", NULL, "FOO:BAR in [environment]");
	write_service("stop", "[service]\nexec = /bin/true\n");
	expect_load_error("stop", 0, "not a valid service name", NULL,
			  "a file named after an action");
	write_service("bignofile",
		      "[service]\nexec = /bin/true\nlimit_nofile = 99999999999\n");
	expect_load_error("bignofile", 3, "limit_nofile", NULL,
			  "limit_nofile above the kernel's ceiling");
	{
		struct service svc;
		write_service("joined",
			      "[service]\nexec = /bin/echo\n  one ; c\n\ttwo\n"
			      "description = d\n");
		if (load_ok("joined", &svc, "continuation lines"))
			CHECK_STR(svc.exec_line, "/bin/echo one two",
				  "service_load: continuation lines joined by one space");
		service_free(&svc);
	}
}

/* ---- driver ------------------------------------------------------------- */

/* ---- svcctl.conf defaults of service keys ------------------------------ */

static void test_conf_defaults(void)
{
	static const struct {
		const char *line, *frag;
	} bad[] = {
		{"restart = sometimes", "restart must be no, on-failure or always"},
		{"restart_delay = 1e3", "restart_delay must be a number of seconds"},
		{"restart_delay = 86401", "restart_delay must be a number of seconds"},
		{"restart_max = 1001",
		 "restart_max must be a whole number from 0 to 1000"},
		{"restart_max = -1", "restart_max must be a whole number from 0 to 1000"},
		{"log_max_bytes = 5X", "log_max_bytes must be a size like 10M"},
		{"log_backups = 101", "log_backups must be a whole number from 0 to 100"},
	};
	struct globalconf gc, saved = test_gc;
	struct errlist el = {0};
	struct service svc;
	char *path = xasprintf("%s/defaults.conf", tmpdir);
	int rc;

	write_text(path,
		   "# defaults for every service\n"
		   "restart = on-failure\n"
		   "restart_delay = 0.5\n"
		   "restart_max = 7\n"
		   "log_max_bytes = 1M\n"
		   "log_backups = 3\n");
	rc = conf_load(&gc, path, true, &el);
	if (!CHECK(rc == 0 && el.msgs.n == 0, "conf defaults: the five keys load"))
		diag_errors(&el);
	CHECK(gc.restart == RESTART_ON_FAILURE && gc.restart_delay == 0.5 &&
		      gc.restart_max == 7 && gc.log_max_bytes == 1 << 20 &&
		      gc.log_max_bytes_set && gc.log_backups == 3,
	      "conf defaults: values as NAME.ini would read them");

	/* services load with them, an INI key overriding */
	test_gc.restart = gc.restart;
	test_gc.restart_delay = gc.restart_delay;
	test_gc.restart_max = gc.restart_max;
	test_gc.log_max_bytes = gc.log_max_bytes;
	test_gc.log_max_bytes_set = gc.log_max_bytes_set;
	test_gc.log_backups = gc.log_backups;
	conf_free(&gc);
	errlist_free(&el);
	write_service("dflt", "[service]\nexec = /bin/true\n");
	if (load_ok("dflt", &svc, "a service without the keys")) {
		CHECK(svc.restart == RESTART_ON_FAILURE && svc.restart_delay == 0.5 &&
			      svc.restart_max == 7 && svc.log_max_bytes == 1 << 20 &&
			      svc.log_max_bytes_set && svc.log_backups == 3,
		      "conf defaults: a service takes svcctl.conf's values");
	}
	service_free(&svc);
	write_service("ovr",
		      "[service]\nexec = /bin/true\nrestart = no\n"
		      "restart_delay = 2\nrestart_max = 1\nlog_max_bytes = 0\n"
		      "log_backups = 0\n");
	if (load_ok("ovr", &svc, "a service setting every key")) {
		CHECK(svc.restart == RESTART_NO && svc.restart_delay == 2 &&
			      svc.restart_max == 1 && svc.log_max_bytes == 0 &&
			      svc.log_max_bytes_set && svc.log_backups == 0,
		      "conf defaults: an INI key overrides svcctl.conf");
	}
	service_free(&svc);
	test_gc = saved;

	write_text(path, "restart = always\n");
	rc = conf_load(&gc, path, true, &el);
	CHECK(rc == 0 && gc.restart == RESTART_ALWAYS && !gc.log_max_bytes_set &&
		      gc.restart_delay == 1 && gc.restart_max == 5 && gc.log_backups == 5,
	      "conf defaults: keys not given keep the built-in defaults, "
	      "log_max_bytes unset");
	conf_free(&gc);
	errlist_free(&el);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = xasprintf("stop_timeout = 1\n\n%s\n", bad[i].line);
		char *where = xasprintf("%s:3: ", path);

		write_text(path, text);
		rc = conf_load(&gc, path, true, &el);
		if (!CHECK(rc == -1 && errors_have(&el, where, bad[i].frag, (char *)NULL),
			   "conf defaults: '%s' is an error at FILE:LINE", bad[i].line))
			diag_errors(&el);
		conf_free(&gc);
		errlist_free(&el);
		free(text);
		free(where);
	}
	free(path);
}

/* ---- status rendering from a synthetic identity ------------------------- */

/* A minimal JSON syntax check: one value, then the end of the text. */
static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_str(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_seq(const char *p, char close, bool object)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = json_str(json_ws(p));
			if (!p || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	char *end;

	p = json_ws(p);
	if (*p == '{')
		return json_seq(p, '}', true);
	if (*p == '[')
		return json_seq(p, ']', false);
	if (*p == '"')
		return json_str(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p != '-' && !isdigit((unsigned char)*p))
		return NULL;
	(void)strtod(p, &end);
	return end > p ? end : NULL;
}

static bool json_valid(const char *text)
{
	const char *end = json_value(text);

	return end && *json_ws(end) == '\0';
}

enum render_form { FORM_BLOCK, FORM_BRIEF, FORM_JSON, FORM_LINE };

static char *render(const struct status_view *v, enum render_form form)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		bail_out("open_memstream", "");
	switch (form) {
	case FORM_BLOCK: status_print_block(f, v); break;
	case FORM_BRIEF: status_print_brief(f, v); break;
	case FORM_JSON: status_print_json(f, v); break;
	case FORM_LINE: status_print_line(f, v); break;
	}
	fclose(f);
	return buf;
}

static bool has(const char *text, const char *frag)
{
	bool ok = strstr(text, frag) != NULL;

	if (!ok) {
		fputs("#   missing ", stdout);
		print_quoted(frag);
		fputs(" in ", stdout);
		print_quoted(text);
		putchar('\n');
	}
	return ok;
}

static void test_status_render(void)
{
	struct service svc = {0};
	struct identity id = {0};
	struct status_view v = {0};
	const char *tz = getenv("TZ");
	char *saved_tz = tz ? xstrdup(tz) : NULL, *out, iso[64];
	long long now = 1764629398000LL; /* 2025-12-01T22:49:58Z */

	setenv("TZ", "UTC0", 1);
	tzset();
	format_time_iso(now, iso, sizeof(iso));
	CHECK_STR(iso, "2025-12-01T22:49:58+00:00", "format_time_iso: UTC");
	setenv("TZ", "IST-5:30", 1);
	tzset();
	format_time_iso(now, iso, sizeof(iso));
	CHECK_STR(iso, "2025-12-02T04:19:58+05:30", "format_time_iso: a +05:30 offset");
	setenv("TZ", "UTC0", 1);
	tzset();

	svc.name = "web";
	svc.description = "Web \"server\"";
	svc.exec_line = "/usr/bin/web --port 80";
	svc.pidfile = "/run/svcctl/web.pid";
	v.svc = &svc;
	v.id = &id;
	v.now_ms = now;

	/* backoff: the next attempt 2 s away, exits newest first */
	id.ident = IDENT_BACKOFF;
	id.have_state = true;
	id.supervised = true;
	id.st.run = RUN_BACKOFF;
	id.st.monitor_pid = 4242;
	id.st.restarts = 2;
	id.st.next_attempt = now + 2000;
	state_add_exit(&id.st, &(struct exit_record){now - 9000, 9, 1500});
	state_add_exit(&id.st, &(struct exit_record){now - 100, 1 << 8, 200});
	CHECK_STR(status_word(&id), "backoff", "status: backoff is the word");
	CHECK_INT(status_exit_code(&id), 3, "status: backoff exits 3");
	out = render(&v, FORM_BLOCK);
	CHECK(has(out,
		  "    State: backoff since 2025-12-01 22:49:57 UTC; 0.1s ago, "
		  "next attempt in 2.0s at 2025-12-01 22:50:00 UTC\n") &&
		      has(out, "  Monitor: pid 4242, supervising\n") &&
		      has(out, " Restarts: 2\n") &&
		      has(out,
			  "    Exits: 2025-12-01 22:49:57 UTC exited with status 1 "
			  "after 0.2s\n"
			  "           2025-12-01 22:49:49 UTC killed by SIGKILL "
			  "after 1.5s\n"),
	      "status block: backoff, monitor, restarts, exits newest first");
	free(out);
	out = render(&v, FORM_BRIEF);
	CHECK_STR(out, "web is not running (backoff, next attempt in 2s)\n",
		  "status --brief: backoff");
	free(out);
	out = render(&v, FORM_JSON);
	CHECK(json_valid(out), "status --json: backoff is valid JSON");
	CHECK(has(out, "\"state\":\"backoff\"") && has(out, "\"supervised\":true") &&
		      has(out, "\"monitor_pid\":4242") && has(out, "\"restarts\":2") &&
		      has(out,
			  "\"exits\":[{\"time\":\"2025-12-01T22:49:57+00:00\","
			  "\"code\":1,\"signal\":null,\"run_seconds\":0.200},"
			  "{\"time\":\"2025-12-01T22:49:49+00:00\",\"code\":null,"
			  "\"signal\":\"KILL\",\"run_seconds\":1.500}]") &&
		      has(out, "\"next_attempt\":\"2025-12-01T22:50:00+00:00\"") &&
		      has(out, "\"since\":\"2025-12-01T22:49:57+00:00\"") &&
		      has(out, "\"reason\":null") && has(out, "\"stopped_at\":null") &&
		      has(out, "\"status_text\":null"),
	      "status --json: backoff fields");
	free(out);

	/* fatal: the reason, no monitor, exit 1 */
	id.ident = IDENT_FATAL;
	id.supervised = false;
	id.st.run = RUN_FATAL;
	id.st.next_attempt = 0;
	snprintf(id.st.reason, sizeof(id.st.reason), "%s",
		 "5 runs shorter than 60s in a row");
	CHECK_INT(status_exit_code(&id), 1, "status: fatal exits 1");
	out = render(&v, FORM_BLOCK);
	CHECK(has(out,
		  "    State: fatal since 2025-12-01 22:49:57 UTC; 0.1s ago: 5 runs "
		  "shorter than 60s in a row\n") &&
		      !strstr(out, "Monitor:"),
	      "status block: fatal says why");
	free(out);
	out = render(&v, FORM_BRIEF);
	CHECK_STR(out, "web has failed: 5 runs shorter than 60s in a row\n",
		  "status --brief: fatal");
	free(out);
	out = render(&v, FORM_JSON);
	CHECK(json_valid(out) && has(out, "\"state\":\"fatal\"") &&
		      has(out, "\"reason\":\"5 runs shorter than 60s in a row\"") &&
		      has(out, "\"next_attempt\":null") && has(out, "\"monitor_pid\":0"),
	      "status --json: fatal is valid JSON with its reason");
	free(out);

	/* running, the monitor gone: unsupervised; a notify status text */
	memset(&id, 0, sizeof(id));
	id.ident = IDENT_RUNNING;
	id.pid = 777;
	id.have_state = true;
	id.monitor_lost = true;
	id.how = "start time and boot id match";
	id.st.pid = 777;
	id.st.monitor_pid = 4242;
	id.st.started_at = now / 1000 - 60;
	snprintf(id.st.status_text, sizeof(id.st.status_text), "%s",
		 "serving 3 \"clients\"\n");
	v.uptime = 60;
	CHECK_INT(status_exit_code(&id), 0, "status: running unsupervised exits 0");
	out = render(&v, FORM_BLOCK);
	CHECK(has(out,
		  "    State: running since 2025-12-01 22:48:58 UTC; 1min 0s ago\n") &&
		      has(out,
			  "  Monitor: none: the monitor is gone, the program runs "
			  "unsupervised\n") &&
		      has(out, "      PID: 777 (?)\n") &&
		      has(out, "   Status: serving 3 \"clients\"\\x0a\n"),
	      "status block: unsupervised, and the status text made visible");
	free(out);
	out = render(&v, FORM_BRIEF);
	CHECK(has(out, "web is running (pid 777") && !strstr(out, "stop"),
	      "status --brief: running unsupervised says running, never stop");
	free(out);
	out = render(&v, FORM_JSON);
	CHECK(json_valid(out) && has(out, "\"since\":\"2025-12-01T22:48:58+00:00\"") &&
		      has(out, "\"supervised\":false") &&
		      has(out, "\"status_text\":\"serving 3 \\\"clients\\\"\\n\""),
	      "status --json: running with since as ISO 8601");
	free(out);

	/* starting: the program runs, exit 0 */
	id.ident = IDENT_STARTING;
	id.monitor_lost = false;
	id.supervised = true;
	CHECK(strcmp(status_word(&id), "starting") == 0 && status_exit_code(&id) == 0,
	      "status: starting exits 0");
	out = render(&v, FORM_LINE);
	CHECK_STR(out, "web\tstarting\t777\t1min 0s\tWeb \"server\"\n",
		  "status list: a starting service's row");
	free(out);
	{
		char rows[] = "a\tstopped\t-\t-\tFirst\n"
			      "longer-name\trunning\t12345\t1min 0s\tSecond\n";
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		status_print_table(f, rows, strlen(rows), false);
		fclose(f);
		CHECK_STR(buf,
			  "NAME         STATE      PID  UPTIME   DESCRIPTION\n"
			  "a            stopped      -  -        First\n"
			  "longer-name  running  12345  1min 0s  Second\n",
			  "status list: each column as wide as its content");
		free(buf);
		buf = NULL;
		f = open_memstream(&buf, &len);
		status_print_table(f, rows, strlen(rows), true);
		fclose(f);
		CHECK(has(buf, "\033[32mrunning\033[0m  12345") &&
			      has(buf, "a            stopped      -"),
		      "status list: colour on the running word only, columns kept");
		free(buf);
	}
	v.colour = true;
	out = render(&v, FORM_BLOCK);
	CHECK(has(out, "    State: \033[33mstarting\033[0m since "),
	      "status block: starting in yellow when colour is on");
	free(out);
	v.colour = false;
	out = render(&v, FORM_BLOCK);
	CHECK(!strchr(out, '\033'), "status block: no escape when colour is off");
	free(out);

	/* stopped with the last exits kept */
	memset(&id, 0, sizeof(id));
	id.ident = IDENT_NONE;
	id.have_state = true;
	id.st.run = RUN_STOPPED;
	for (int i = 0; i < STATE_EXITS_MAX + 2; i++)
		state_add_exit(&id.st,
			       &(struct exit_record){now - 1000 * (12 - i), 15, 100});
	v.uptime = 0;
	out = render(&v, FORM_BLOCK);
	{
		int lines = 0;

		for (const char *p = strstr(out, "Exits:"); p && *p; p++)
			lines += *p == '\n';
		CHECK(has(out,
			  "    State: stopped since 2025-12-01 22:49:57 UTC; 1.0s "
			  "ago, killed by SIGTERM, after running 0.1s\n") &&
			      has(out,
				  "    Exits: 2025-12-01 22:49:57 UTC killed by "
				  "SIGTERM after 0.1s\n") &&
			      lines == STATE_EXITS_MAX,
		      "status block: a stopped service shows its last 10 exits");
	}
	free(out);
	out = render(&v, FORM_JSON);
	CHECK(json_valid(out) && has(out, "\"state\":\"stopped\"") &&
		      has(out, "\"signal\":\"TERM\""),
	      "status --json: stopped with exits is valid JSON");
	free(out);

	/* stopped by svcctl stop: when, how, after how long */
	state_mark_stopped(&id.st, now - 5000, "by svcctl stop (TERM)");
	id.st.started_at = now / 1000 - 3605;
	out = render(&v, FORM_BLOCK);
	CHECK(has(out,
		  "    State: stopped since 2025-12-01 22:49:53 UTC; 5.0s ago, by "
		  "svcctl stop (TERM), after running 1h 0min\n"),
	      "status block: stopped by svcctl stop, when and after how long");
	free(out);
	out = render(&v, FORM_JSON);
	CHECK(json_valid(out) &&
		      has(out, "\"stopped_at\":\"2025-12-01T22:49:53+00:00\"") &&
		      has(out, "\"stop_reason\":\"by svcctl stop (TERM)\"") &&
		      has(out, "\"ran_seconds\":3600.000") &&
		      has(out, "\"since_epoch\":1764629393.000"),
	      "status --json: stopped_at, stop_reason, ran_seconds");
	free(out);

	/* never started: nothing invented */
	memset(&id, 0, sizeof(id));
	out = render(&v, FORM_BLOCK);
	CHECK(has(out, "    State: stopped (no run recorded)\n") && !strstr(out, "since"),
	      "status block: no record, no time");
	free(out);
	out = render(&v, FORM_JSON);
	CHECK(json_valid(out) && has(out, "\"since\":null") &&
		      has(out, "\"stopped_at\":null") && has(out, "\"exits\":[]") &&
		      has(out, "\"log_tail\":[]"),
	      "status --json: never started");
	free(out);
	CHECK(!json_valid("{\"a\":}") && !json_valid("{\"a\":1,}") &&
		      json_valid("[1,{\"b\":[null,true]}]"),
	      "json_valid: the checker itself tells bad from good");

	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- order: the requires / should graph --------------------------------- */

/* The index of the item called name */
static size_t item_index(const struct order_item *items, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static bool needs(const struct order *g, size_t from, size_t to, bool hard)
{
	for (size_t k = 0; k < g->nodes[from].ndeps; k++)
		if (g->nodes[from].deps[k].to == to &&
		    g->nodes[from].deps[k].hard == hard)
			return true;
	return false;
}

static void test_order(void)
{
	/* not in name order: the graph must not rely on it */
	const struct order_item fan[] = {
		{"web2", "web2.ini", "$local_fs db", "cache"},
		{"db", "db.ini", "$local_fs $remote_fs $syslog", ""},
		{"web1", "web1.ini", "db $network", "cache"},
		{"cache", "cache.ini", "", "$time"},
		{"proxy", "proxy.ini", "web1 web2", NULL},
		{"unloaded", NULL, NULL, NULL},
	};
	const size_t nfan = sizeof(fan) / sizeof(fan[0]);
	const struct order_item bad[] = {
		{"a", "a.ini", "b", ""},          {"b", "b.ini", "", "c"},
		{"c", "c.ini", "a", ""},          {"d", "d.ini", "a typo", ""},
		{"e", "e.ini", "d", "f"},         {"f", "f.ini", "", "nothere"},
		{"self", "self.ini", "self", ""}, {"g", "g.ini", "", "a"},
		{"h", "h.ini", "e", ""},
	};
	const size_t nbad = sizeof(bad) / sizeof(bad[0]);
	struct errlist el = {0};
	struct order g;
	size_t topo[8], pos[8], placed;
	bool only[9] = {0};

	/* fan-out: db and cache first, web1 and web2 on both, proxy last */
	CHECK_INT(order_build(&g, fan, nfan, true, &el), 0,
		  "order: facilities ignored, every word a service: no error");
	diag_errors(&el);
	CHECK(needs(&g, 0, 1, true) && needs(&g, 0, 3, false) && needs(&g, 2, 1, true) &&
		      needs(&g, 4, 0, true) && needs(&g, 4, 2, true),
	      "order: requires give hard edges, should soft ones");
	CHECK_INT(g.nodes[1].ndeps + g.nodes[3].ndeps + g.nodes[5].ndeps, 0,
		  "order: $facility words and unloaded services give no edges");
	placed = order_topo(&g, topo);
	CHECK_INT(placed, nfan, "order: a topological order places every service");
	for (size_t i = 0; i < placed; i++)
		pos[topo[i]] = i;
	CHECK(pos[1] < pos[0] && pos[1] < pos[2] && pos[3] < pos[0] && pos[3] < pos[2] &&
		      pos[0] < pos[4] && pos[2] < pos[4],
	      "order: fan-out: db and cache before web1 and web2, they before proxy");
	CHECK(g.nodes[0].block == ORDER_OK && g.nodes[4].block == ORDER_OK &&
		      g.ncycles == 0,
	      "order: nothing blocked in a sound graph");
	order_free(&g);
	errlist_free(&el);

	/* a word outside an incomplete set is ignored */
	CHECK_INT(order_build(&g, fan + 2, 3, false, &el), 0,
		  "order: a word outside the named services is no error");
	CHECK_INT(g.nodes[0].ndeps, 1, "order: ... and gives no edge (web1: cache only)");
	order_free(&g);
	errlist_free(&el);

	/* cycles and a missing requirement */
	CHECK_INT(order_build(&g, bad, nbad, true, &el), -1, "order: errors found");
	diag_errors(&el);
	CHECK(errors_have(&el, "dependency cycle: a -> b -> c -> a", NULL),
	      "order: the cycle is named, every member in edge order");
	CHECK(errors_have(&el, "dependency cycle: self -> self", NULL),
	      "order: a service that requires itself is a cycle");
	CHECK(errors_have(&el, "d: requires 'typo', which is no service (d.ini)", NULL),
	      "order: a missing requirement is named with its file");
	CHECK(!errors_have(&el, "nothere", NULL), "order: a missing should is no error");
	CHECK_INT(el.msgs.n, 3, "order: three errors, each once");
	CHECK_INT(g.notes.n, 1, "order: the missing should is a note");
	CHECK(g.nodes[0].block == ORDER_CYCLE && g.nodes[1].block == ORDER_CYCLE &&
		      g.nodes[2].block == ORDER_CYCLE && g.nodes[6].block == ORDER_CYCLE,
	      "order: the members of the cycles are blocked");
	CHECK(g.nodes[3].block == ORDER_MISSING, "order: so is what requires no service");
	CHECK(g.nodes[4].block == ORDER_NEEDS && g.nodes[4].cause == 3 &&
		      g.nodes[8].block == ORDER_NEEDS && g.nodes[8].cause == 4,
	      "order: and, transitively, what requires them");
	CHECK(g.nodes[5].block == ORDER_OK && g.nodes[7].block == ORDER_OK,
	      "order: what only should-depends on them is not blocked");
	CHECK(order_topo(&g, topo) < nbad, "order: no topological order with a cycle");
	errlist_free(&el);
	only[item_index(bad, nbad, "e")] = true;
	order_report(&g, bad, only, &el);
	CHECK_INT(el.msgs.n, 0, "order: e is on no cycle and misses nothing itself");
	only[item_index(bad, nbad, "b")] = true;
	order_report(&g, bad, only, &el);
	CHECK(el.msgs.n == 1 && errors_have(&el, "a -> b -> c -> a", NULL),
	      "order: b's report is the cycle it is on");
	diag_errors(&el);
	order_free(&g);
	errlist_free(&el);
}

/* Each job writes its index to a pipe: the order jobs ran in */
static int pool_test_job(size_t i, void *arg)
{
	const int *fd = arg;
	char c = (char)('a' + i);

	(void)write_full(*fd, &c, 1);
	return i == 1 ? 3 : 0;
}

static void test_pool_deps(void)
{
	/* 0 needs 2 and should 1; 1 fails; 3 requires 1; 4 requires 3; 5 is skipped */
	const struct pool_dep d0[] = {{2, true}, {1, false}}, d3[] = {{1, true}},
			      d4[] = {{3, true}};
	const struct pool_spec spec[] = {
		{d0, 2, false}, {NULL, 0, false}, {NULL, 0, false},
		{d3, 1, false}, {d4, 1, false},   {NULL, 0, true},
	};
	int fds[2], codes[6];
	size_t cause[6];
	char ran[8] = {0};

	if (pipe2(fds, O_CLOEXEC) < 0)
		bail_out("pipe", "");
	CHECK_INT(pool_run_deps(6, 1, spec, pool_test_job, &fds[1], codes, cause), 0,
		  "pool: jobs with prerequisites ran");
	close(fds[1]);
	(void)read_full(fds[0], ran, sizeof(ran) - 1);
	close(fds[0]);
	CHECK_STR(ran, "bca", "pool: one worker runs each job after its prerequisites");
	CHECK(codes[0] == 0 && codes[1] == 3 && codes[2] == 0,
	      "pool: the codes of the jobs that ran; a failed should does not block");
	CHECK(codes[3] == POOL_SKIPPED && cause[3] == 1 && codes[4] == POOL_SKIPPED &&
		      cause[4] == 3,
	      "pool: a failed requirement skips its dependents, transitively");
	CHECK(codes[5] == POOL_SKIPPED && cause[5] == POOL_NO_CAUSE,
	      "pool: a job marked skip is not run");
}

static void test_logsink(void);
static void test_log_copy(void);

/* ---- sd_notify messages (notify_parse: pure, a fuzz target) ---------- */

static bool parse_str(const char *text, struct notify_msg *m)
{
	return notify_parse(text, strlen(text), m) == 0;
}

static void test_notify_parse(void)
{
	struct notify_msg m;
	char big[NOTIFY_MSG_MAX];
	struct state st, back;
	char buf[STATE_TEXT_MAX];

	CHECK(parse_str("READY=1", &m) && m.ready && !m.stopping && !m.have_status,
	      "notify: READY=1");
	CHECK(parse_str("READY=1\nSTATUS=serving 3 clients\n", &m) && m.ready &&
		      m.have_status && strcmp(m.status, "serving 3 clients") == 0,
	      "notify: READY=1 and STATUS= in one datagram");
	CHECK(parse_str("STATUS=a\x1b[2Jb\nREADY=1", &m) && m.ready &&
		      strchr(m.status, '\x1b') == NULL && strstr(m.status, "\\x1b"),
	      "notify: STATUS= is made visible (no terminal escapes)");
	memset(big, 'x', sizeof(big));
	memcpy(big, "STATUS=", 7);
	CHECK(notify_parse(big, sizeof(big), &m) == 0 && m.have_status &&
		      strlen(m.status) == NOTIFY_STATUS_MAX - 1,
	      "notify: a long STATUS= is cut to %d bytes", NOTIFY_STATUS_MAX - 1);
	CHECK(parse_str("MAINPID=4242\nREADY=1", &m) && m.mainpid == 4242 && m.ready,
	      "notify: MAINPID=");
	CHECK(parse_str("MAINPID=-1\nREADY=1", &m) && m.mainpid == 0 &&
		      parse_str("MAINPID=12x\nREADY=1", &m) && m.mainpid == 0 &&
		      parse_str("MAINPID=0\nREADY=1", &m) && m.mainpid == 0 &&
		      parse_str("MAINPID=99999999999999999999\nREADY=1", &m) &&
		      m.mainpid == 0,
	      "notify: a bad MAINPID= is no PID");
	CHECK(parse_str("READY=0", &m) == false && !m.ready &&
		      parse_str("READY=11", &m) == false && !m.ready,
	      "notify: only READY=1 means ready");
	CHECK(parse_str("STOPPING=1", &m) && m.stopping && !m.ready &&
		      parse_str("RELOADING=1", &m) && m.reloading,
	      "notify: STOPPING=1, RELOADING=1");
	CHECK(parse_str("EXTEND_TIMEOUT_USEC=5000000", &m) && m.have_extend &&
		      m.extend_usec == 5000000ULL,
	      "notify: EXTEND_TIMEOUT_USEC=");
	CHECK(parse_str("ERRNO=5", &m) && m.have_errno && m.errnum == 5 &&
		      !parse_str("ERRNO=x", &m),
	      "notify: ERRNO=");
	CHECK(!parse_str("", &m) && !parse_str("\n\n", &m) &&
		      !parse_str("WATCHDOG=1\nFDSTORE=1", &m) &&
		      notify_parse(NULL, 0, &m) < 0,
	      "notify: nothing known is no message");
	CHECK(notify_parse("READY=1\0STATUS=x", 16, &m) < 0 && !m.ready,
	      "notify: a datagram with a NUL inside is ignored whole");
	CHECK(parse_str("READY", &m) == false && parse_str("=1\nREADY=1", &m) && m.ready,
	      "notify: lines without KEY=VALUE are skipped");
	CHECK(parse_str("READYX=1", &m) == false && parse_str("XREADY=1", &m) == false,
	      "notify: keys match whole");

	memset(&st, 0, sizeof(st));
	st.pid = 10;
	st.starttime = 5;
	snprintf(st.boot_id, sizeof(st.boot_id), "b");
	st.notify_state = NOTIFY_RELOADING;
	st.notify_ignored = 3;
	CHECK(state_format(&st, buf, sizeof(buf)) > 0 && state_parse(buf, &back) == 0 &&
		      back.notify_state == NOTIFY_RELOADING && back.notify_ignored == 3 &&
		      strstr(buf, "notify_state=reloading\n"),
	      "state: notify_state and notify_ignored round-trip");
}

static void run_all(void)
{
	test_argv_split();
	test_argv_resolve();
	test_state();
	test_state_monitor();
	test_parse();
	test_service_name();
	test_order();
	test_pool_deps();

	umask(022);
	if (!mkdtemp(tmpdir))
		bail_out("cannot create", tmpdir);
	test_gc.services_dir = xstrdup(tmpdir);
	test_gc.run_dir = xasprintf("%s/run", tmpdir);
	test_gc.log_dir = xasprintf("%s/log", tmpdir);
	test_gc.stop_timeout = 10;
	test_gc.ready_seconds = 1;
	test_gc.start_timeout = 30;
	test_gc.restart_delay = 1;
	test_gc.restart_max = 5;
	test_gc.log_max_bytes = LOG_MAX_BYTES_DEFAULT;
	test_gc.log_backups = 5;
	test_service_valid();
	test_service_errors();
	test_service_supervised();
	test_service_config();
	test_conf();
	test_path();
	test_untrusted_input();
	test_logsink();
	test_log_copy();
	test_conf_defaults();
	test_status_render();
	test_notify_parse();
	conf_free(&test_gc);
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* How many checks run_all() makes, declared before any runs: a run that ends
 * early (an exit(0) part-way, a check skipped by a bad branch) is then a
 * failure, not a shorter pass. Change it with the checks. */
#define UNIT_PLAN 481

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int main(void)
{
	char *out = NULL, *line, *save = NULL, how[128];
	size_t len = 0, cap = 0;
	int fds[2], status = 0, n = 0, failed = 0;
	bool clean;
	pid_t pid;

	/* the plan first, the one last line included */
	printf("1..%d\n", UNIT_PLAN + 1);
	if (pipe(fds) < 0) {
		perror("unit: pipe");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("unit: fork");
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0 || dup2(fds[1], STDERR_FILENO) < 0)
			_exit(1);
		close(fds[1]);
		run_all();
		fflush(stdout);
		/* a leak report comes after this, from the sanitizer's exit hook */
		exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *bigger;

			cap = cap ? cap * 2 : 65536;
			bigger = realloc(out, cap);
			if (!bigger) {
				perror("unit");
				free(out);
				return 1;
			}
			out = bigger;
		}
		r = read(fds[0], out + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("unit: waitpid");
			return 1;
		}
	clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	for (const char *p = out; *p; p = strchrnul(p, '\n'), p += *p == '\n') {
		if (starts_with(p, "ok "))
			n++;
		else if (starts_with(p, "not ok ")) {
			n++;
			failed++;
		}
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (starts_with(line, "ok ") || starts_with(line, "not ok ") ||
		    line[0] == '#')
			printf("%s\n", line);
		else
			printf("# %s\n", line);
	free(out);
	describe_wait_status(status, how, sizeof(how));
	printf("%s %d - the tests ran to the end with no crash, sanitizer report or "
	       "leak%s%s\n",
	       clean ? "ok" : "not ok", UNIT_PLAN + 1, clean ? "" : ": test process ",
	       clean ? "" : how);
	if (n != UNIT_PLAN)
		printf("not ok %d - %d checks ran of the %d planned\n", UNIT_PLAN + 2, n,
		       UNIT_PLAN);
	return failed || !clean || n != UNIT_PLAN ? 1 : 0;
}

/* ---- the monitor's log sink --------------------------------------------- */

/* The whole file, or NULL when it does not exist; *len its size. */
static char *sink_read(const char *dir, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *text = read_small_file(path, 16 << 20, len);

	free(path);
	return text;
}

static bool sink_file_is(const char *dir, const char *name, const char *want)
{
	size_t len;
	char *text = sink_read(dir, name, &len);
	bool ok = text && len == strlen(want) && memcmp(text, want, len) == 0;

	if (!ok) {
		printf("#   %s: ", name);
		print_quoted(text ? text : "(missing)");
		printf("\n#   expected: ");
		print_quoted(want);
		putchar('\n');
	}
	free(text);
	return ok;
}

static bool sink_exists(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	bool there = access(path, F_OK) == 0;

	free(path);
	return there;
}

static bool sink_open_file(struct logsink *ls, const char *path, uint64_t max_bytes,
			   int backups)
{
	struct logsink_config cfg = {
		.path = path, .max_bytes = max_bytes, .backups = backups};
	const char *why = NULL;

	if (logsink_open(ls, &cfg, &why) == 0)
		return true;
	printf("#   logsink_open %s: %s\n", path, why ? why : strerror(errno));
	return false;
}

/* deterministic "random" chunk sizes */
static unsigned sink_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

static void test_logsink_many(const char *dir)
{
	enum { LINES = 100000, MAX = 1 << 20 };
	char *path = xasprintf("%s/many.log", dir);
	size_t cap = (size_t)LINES * 80, len = 0, pos = 0, got_len = 0;
	char *text = xcalloc(1, cap), *got = xcalloc(1, cap);
	bool sizes_ok = true;
	unsigned seed = 8;
	struct logsink ls;
	int files = 0;

	for (int i = 0; i < LINES; i++) {
		int fill = (int)(sink_rand(&seed) % 60);

		len += (size_t)snprintf(
			text + len, cap - len, "line %06d %.*s\n", i, fill,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"
			"89");
	}
	if (!CHECK(sink_open_file(&ls, path, MAX, 5), "logsink: open a file"))
		goto out;
	while (pos < len) {
		size_t chunk = 1 + sink_rand(&seed) % 9000;

		if (chunk > len - pos)
			chunk = len - pos;
		(void)logsink_feed(&ls, LOG_STDOUT, text + pos, chunk);
		pos += chunk;
	}
	(void)logsink_flush(&ls);
	CHECK(ls.lost_lines == 0 && ls.rotations >= 3,
	      "logsink: 100,000 lines, no line lost, rotated (%llu times)",
	      (unsigned long long)ls.rotations);
	logsink_close(&ls);
	/* oldest first: many.log.6 must not exist, .5 .. .1, then many.log */
	for (int i = 6; i >= 0; i--) {
		char name[32];
		size_t flen;
		char *part;

		if (i)
			snprintf(name, sizeof(name), "many.log.%d", i);
		else
			snprintf(name, sizeof(name), "many.log");
		part = sink_read(dir, name, &flen);
		if (!part)
			continue;
		files++;
		if (i == 6 || flen > MAX || flen == 0 || part[flen - 1] != '\n') {
			printf("#   %s: %zu bytes, last byte %d\n", name, flen,
			       flen ? part[flen - 1] : -1);
			sizes_ok = false;
		}
		if (got_len + flen <= cap) {
			memcpy(got + got_len, part, flen);
			got_len += flen;
		}
		free(part);
	}
	CHECK(sizes_ok && files >= 4,
	      "logsink: %d files, none past max_bytes, each ends with a whole line",
	      files);
	if (!CHECK(got_len == len && memcmp(got, text, len) == 0,
		   "logsink: every line once and in order across the rotated files"))
		printf("#   %zu bytes kept of %zu\n", got_len, len);
out:
	free(text);
	free(got);
	free(path);
}

/* n lines of 25 bytes: "line N" padded with dots */
static void sink_lines(char *buf, int from, int to)
{
	buf[0] = '\0';
	for (int i = from; i <= to; i++)
		sprintf(buf + strlen(buf), "line %02d ................\n", i);
}

static void test_logsink_rotation(const char *dir)
{
	char *path = xasprintf("%s/rot.log", dir), *zero = xasprintf("%s/zero.log", dir);
	char *big_path = xasprintf("%s/big.log", dir);
	char want[1024], feed[1024], big[251];
	struct logsink ls;
	struct stat st;
	mode_t old_mask;

	memset(big, 'L', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	/* four lines of 25 bytes make exactly 100: a file may reach max_bytes */
	if (sink_open_file(&ls, path, 100, 3)) {
		sink_lines(feed, 1, 9);
		(void)logsink_feed(&ls, LOG_STDOUT, feed, strlen(feed));
		sink_lines(want, 1, 4);
		CHECK(sink_file_is(dir, "rot.log.2", want),
		      "logsink: rotation: a file filled exactly to max_bytes");
		sink_lines(want, 5, 8);
		CHECK(sink_file_is(dir, "rot.log.1", want),
		      "logsink: rotation: the next lines in .1");
		sink_lines(want, 9, 9);
		CHECK(sink_file_is(dir, "rot.log", want),
		      "logsink: rotation: the newest line in the file");
		(void)logsink_feed(&ls, LOG_STDOUT, big, strlen(big));
		CHECK(sink_file_is(dir, "rot.log", big),
		      "logsink: rotation: a line longer than max_bytes gets a file of "
		      "its own");
		sink_lines(feed, 10, 10);
		(void)logsink_feed(&ls, LOG_STDOUT, feed, strlen(feed));
		sink_lines(want, 5, 8);
		CHECK(sink_file_is(dir, "rot.log", feed) &&
			      sink_file_is(dir, "rot.log.1", big) &&
			      sink_file_is(dir, "rot.log.3", want) &&
			      !sink_exists(dir, "rot.log.4"),
		      "logsink: rotation: shifted, the oldest beyond log_backups "
		      "removed");
		CHECK(ls.lost_lines == 0, "logsink: rotation: no line lost");
		logsink_close(&ls);
	}

	/* an empty file is never rotated, not even for a line that cannot fit */
	if (sink_open_file(&ls, big_path, 100, 2)) {
		(void)logsink_feed(&ls, LOG_STDOUT, big, strlen(big));
		CHECK(sink_file_is(dir, "big.log", big) && !sink_exists(dir, "big.log.1"),
		      "logsink: rotation: a long first line leaves no empty backup");
		logsink_close(&ls);
	}

	/* no backups: the file is replaced, made 0640 whatever the umask */
	old_mask = umask(077);
	if (sink_open_file(&ls, zero, 100, 0)) {
		sink_lines(feed, 1, 9);
		(void)logsink_feed(&ls, LOG_STDOUT, feed, strlen(feed));
		sink_lines(want, 9, 9);
		CHECK(sink_file_is(dir, "zero.log", want) &&
			      !sink_exists(dir, "zero.log.1"),
		      "logsink: log_backups = 0 keeps only the current file");
		if (stat(zero, &st) < 0)
			st.st_mode = 0;
		CHECK((st.st_mode & 07777) == 0640,
		      "logsink: a file made at rotation is 0640 (mode %o)",
		      (unsigned)(st.st_mode & 07777));
		logsink_close(&ls);
	}
	umask(old_mask);
	free(path);
	free(zero);
	free(big_path);
}

static void test_logsink_lines(const char *dir)
{
	char *path = xasprintf("%s/lines.log", dir),
	     *moved = xasprintf("%s/moved.log", dir);
	char *line = xcalloc(1, 10001), *want = xcalloc(1, 10004), *text;
	struct logsink ls;
	size_t size = 0;

	/* 10,000 bytes fed 1,000 at a time: 4096 + 4096 + 1808 */
	for (int i = 0; i < 10000; i++)
		line[i] = (char)('a' + i % 26);
	line[10000] = '\n';
	memcpy(want, line, 4096);
	want[4096] = '\n';
	memcpy(want + 4097, line + 4096, 4096);
	want[8193] = '\n';
	memcpy(want + 8194, line + 8192, 1809);
	if (sink_open_file(&ls, path, 0, 0)) {
		for (size_t off = 0; off < 10001; off += 1000)
			(void)logsink_feed(&ls, LOG_STDOUT, line + off,
					   10001 - off < 1000 ? 10001 - off : 1000);
		CHECK(sink_file_is(dir, "lines.log", want) && ls.lost_lines == 0,
		      "logsink: a 10,000-byte line in pieces: 4096 + 4096 + 1808, none "
		      "lost");
		logsink_close(&ls);
	}
	unlink(path);
	if (sink_open_file(&ls, path, 0, 0)) {
		(void)logsink_feed(&ls, LOG_STDOUT, line, 10001);
		CHECK(sink_file_is(dir, "lines.log", want),
		      "logsink: the same line in one feed is split the same way");
		logsink_close(&ls);
	}
	unlink(path);

	if (sink_open_file(&ls, path, 0, 0)) {
		(void)logsink_feed(&ls, LOG_STDOUT, "hel", 3);
		CHECK(sink_file_is(dir, "lines.log", ""),
		      "logsink: a partial line is not written");
		(void)logsink_feed(&ls, LOG_STDOUT, "lo\nwor", 6);
		CHECK(sink_file_is(dir, "lines.log", "hello\n"),
		      "logsink: the partial line completed by the next feed");
		(void)logsink_feed(&ls, LOG_STDERR, "oops\n", 5);
		(void)logsink_feed(&ls, LOG_STDOUT, "ld\n", 3);
		CHECK(sink_file_is(dir, "lines.log", "hello\noops\nworld\n"),
		      "logsink: a partial stdout line does not take in a stderr line");
		(void)logsink_feed(&ls, LOG_STDOUT, "tail", 4);
		(void)logsink_feed(&ls, LOG_STDERR, "err", 3);
		(void)logsink_flush(&ls);
		CHECK(sink_file_is(dir, "lines.log", "hello\noops\nworld\ntail\nerr\n"),
		      "logsink: flush writes each partial line with a newline");
		(void)logsink_flush(&ls);
		(void)logsink_feed(&ls, LOG_STDOUT, "\nx\n", 3);
		CHECK(sink_file_is(dir, "lines.log",
				   "hello\noops\nworld\ntail\nerr\n\nx\n"),
		      "logsink: after a flush nothing is left over, empty lines are "
		      "kept");
		(void)logsink_feed(&ls, LOG_STDOUT, "bin\0\033[1m\xff\n", 10);
		text = sink_read(dir, "lines.log", &size);
		CHECK(text && size == 39 &&
			      memcmp(text + 29, "bin\0\033[1m\xff\n", 10) == 0,
		      "logsink: bytes are written as they came, NUL and escapes too");
		free(text);
		logsink_close(&ls);
	}

	/* logrotate's way: the file renamed away, then SIGHUP */
	unlink(path);
	if (sink_open_file(&ls, path, 0, 0)) {
		const char *why = NULL;

		(void)logsink_feed(&ls, LOG_STDOUT, "one\n", 4);
		CHECK(rename(path, moved) == 0 && logsink_reopen(&ls, &why) == 0,
		      "logsink: reopen after the file was renamed away");
		(void)logsink_feed(&ls, LOG_STDOUT, "two\n", 4);
		CHECK(sink_file_is(dir, "lines.log", "two\n") &&
			      sink_file_is(dir, "moved.log", "one\n"),
		      "logsink: after reopen the new file is written, the old one not");
		logsink_close(&ls);
	}
	free(line);
	free(want);
	free(path);
	free(moved);
}

/* The sink on a file limited to 200 bytes (RLIMIT_FSIZE, in a child):
 * lines that do not fit are counted lost. */
static void test_logsink_write_error(const char *dir)
{
	char *path = xasprintf("%s/small.log", dir);
	char feed[512];
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = {200, 200};
		struct logsink ls;
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0 || !sink_open_file(&ls, path, 0, 0))
			_exit(100);
		/* ten lines of 30 bytes: six fit, the seventh is cut */
		feed[0] = '\0';
		for (int i = 0; i < 10; i++)
			sprintf(feed + strlen(feed), "line %02d .....................\n",
				i);
		rc = logsink_feed(&ls, LOG_STDOUT, feed, strlen(feed));
		_exit(rc == -1 && errno == EFBIG ? (int)ls.lost_lines : 101);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 4,
	      "logsink: a write error returns -1 and counts the lines not written "
	      "(status %d)",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	free(path);
}

static void test_logsink_refused(const char *dir)
{
	char *link = xasprintf("%s/link.log", dir), *target = xasprintf("%s/target", dir);
	char *fifo = xasprintf("%s/fifo.log", dir);
	struct logsink_config cfg = {.path = link};
	const char *why = NULL;
	struct logsink ls;
	int rc, fd;

	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (symlink(target, link) < 0)
		bail_out("cannot create", link);
	rc = logsink_open(&ls, &cfg, &why);
	CHECK(rc == -1 && errno == ELOOP && why,
	      "logsink: a link at the log path is refused");
	cfg.path = fifo;
	if (mkfifo(fifo, 0600) < 0)
		bail_out("cannot create", fifo);
	why = NULL;
	rc = logsink_open(&ls, &cfg, &why);
	CHECK(rc == -1 && why && strstr(why, "not a regular file"),
	      "logsink: a FIFO at the log path is refused, without blocking");
	free(link);
	free(target);
	free(fifo);
}

static int sink_bind(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 20};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		bail_out("cannot bind", path);
	return fd;
}

/* The next datagram is "<PRI>Mmm dd hh:mm:ss " then rest exactly. */
static bool sink_recv_is(int fd, int pri, const char *rest)
{
	static const char *months = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char msg[8192], head[8], mon[4] = "";
	ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
	int d, h, m, s, used = 0;
	bool ok;

	if (n < 0) {
		printf("#   recv: %s\n", strerror(errno));
		return false;
	}
	msg[n] = '\0';
	snprintf(head, sizeof(head), "<%d>", pri);
	ok = strncmp(msg, head, strlen(head)) == 0 &&
		sscanf(msg + strlen(head), "%3c %2d %2d:%2d:%2d %n", mon, &d, &h, &m, &s,
		       &used) == 5 &&
		used == 16 && strstr(months, mon) && (msg[strlen(head) + 4] != '0') &&
		strcmp(msg + strlen(head) + 16, rest) == 0;
	if (!ok) {
		printf("#   got: ");
		print_quoted(msg);
		printf("\n#   expected: <%d>Mmm dd hh:mm:ss ", pri);
		print_quoted(rest);
		putchar('\n');
	}
	return ok;
}

static void test_logsink_syslog(const char *dir)
{
	char *sock = xasprintf("%s/log.sock", dir);
	struct logsink_config cfg = {.syslog = true, .syslog_path = sock, .ident = "web"};
	char *longline = xcalloc(1, 5002), *want = xcalloc(1, 5100);
	const char *why = NULL;
	struct logsink ls;
	int server = sink_bind(sock), rc, sent;
	bool stalled_ok;
	double t0;

	if (!CHECK(logsink_open(&ls, &cfg, &why) == 0, "logsink: syslog: connects"))
		goto out;
	logsink_set_pid(&ls, 1234);
	(void)logsink_feed(&ls, LOG_STDOUT, "hello\nwor", 9);
	(void)logsink_feed(&ls, LOG_STDERR, "oops\n", 5);
	(void)logsink_feed(&ls, LOG_STDOUT, "ld\n", 3);
	CHECK(sink_recv_is(server, 30, "web[1234]: hello"),
	      "logsink: syslog: stdout at daemon.info, ident and PID");
	CHECK(sink_recv_is(server, 27, "web[1234]: oops"),
	      "logsink: syslog: stderr at daemon.err");
	CHECK(sink_recv_is(server, 30, "web[1234]: world"),
	      "logsink: syslog: a line completed by a later feed, no newline sent");
	logsink_set_pid(&ls, 0);
	memset(longline, 'x', 5000);
	longline[5000] = '\n';
	(void)logsink_feed(&ls, LOG_STDOUT, longline, 5001);
	snprintf(want, 5100, "web: %.4096s", longline);
	CHECK(sink_recv_is(server, 30, want),
	      "logsink: syslog: a long line: the first 4096");
	snprintf(want, 5100, "web: %.904s", longline);
	CHECK(sink_recv_is(server, 30, want), "logsink: syslog: and the other 904 bytes");

	/* syslogd restarted: a new socket at the same path */
	close(server);
	server = sink_bind(sock);
	rc = logsink_feed(&ls, LOG_STDOUT, "again\n", 6);
	CHECK(rc == 0 && sink_recv_is(server, 30, "web: again") && ls.lost_lines == 0,
	      "logsink: syslog: reconnects to a restarted syslogd");

	/* syslogd gone: the line is counted lost */
	close(server);
	unlink(sock);
	rc = logsink_feed(&ls, LOG_STDOUT, "gone\n", 5);
	CHECK(rc == -1 && ls.lost_lines == 1,
	      "logsink: syslog: nobody listening: the line is counted lost");

	/* a syslogd that reads nothing: one send waits the timeout, the
	 * ones after it do not wait, all are counted */
	server = sink_bind(sock);
	t0 = now_mono();
	for (sent = 0; sent < 200 && now_mono() - t0 < 30; sent++)
		(void)logsink_feed(&ls, LOG_STDOUT, "flood\n", 6);
	stalled_ok = sent == 200 && ls.stalled && ls.lost_lines > 100;
	CHECK(stalled_ok,
	      "logsink: syslog: a stuck syslogd: %d lines, %llu lost, in %.1fs "
	      "(one wait for the timeout)",
	      sent, (unsigned long long)ls.lost_lines, now_mono() - t0);
	logsink_close(&ls);
	close(server);

	/* no syslogd yet at open (a service that starts before it at boot):
	 * open succeeds, lines are lost until one listens, then sent */
	unlink(sock);
	{
		struct logsink_config late = {
			.syslog = true, .syslog_path = sock, .ident = "late"};
		const char *late_why = NULL;

		CHECK(logsink_open(&ls, &late, &late_why) == 0,
		      "logsink: syslog: no socket yet at open is not an error");
		rc = logsink_feed(&ls, LOG_STDOUT, "early\n", 6);
		CHECK(rc == -1 && ls.lost_lines == 1,
		      "logsink: syslog: a line before syslogd is up is counted lost");
		server = sink_bind(sock);
		logsink_set_pid(&ls, 77);
		rc = logsink_feed(&ls, LOG_STDOUT, "later\n", 6);
		CHECK(rc == 0 && sink_recv_is(server, 30, "late[77]: later"),
		      "logsink: syslog: once syslogd listens, lines are sent");
		logsink_close(&ls);
		close(server);
	}
out:
	free(sock);
	free(longline);
	free(want);
}

/* The pieces logs -f is built from: where the last lines begin, and whole
 * lines only until the caller asks for the unfinished one. */
static void test_log_copy(void)
{
	char *path = xasprintf("%s/follow.log", tmpdir), got[64] = "";
	int fds[2], in;
	off_t start = -1, upto = -1;
	ssize_t r;
	bool ok;

	if (pipe(fds) < 0)
		bail_out("cannot make a pipe", "");
	write_text(path, "a\nb\npart");
	in = open(path, O_RDONLY | O_CLOEXEC);
	ok = log_tail_start(in, 8, 2, &start) == 0;
	CHECK(ok && start == 2,
	      "log_tail_start: the last 2 lines of a\\nb\\npart begin at b (got %lld)",
	      (long long)start);
	ok = log_copy(in, 0, 8, false, &upto, fds[1]) == 0;
	CHECK(ok && upto == 4,
	      "log_copy: whole lines only, up to the unfinished one (upto %lld)",
	      (long long)upto);
	ok = log_copy(in, upto, 8, true, &upto, fds[1]) == 0;
	CHECK(ok && upto == 8, "log_copy: the unfinished line when asked (upto %lld)",
	      (long long)upto);
	r = read(fds[0], got, sizeof(got) - 1);
	got[r > 0 ? r : 0] = '\0';
	CHECK_STR(got, "a\nb\npart\n", "log_copy: what was printed");
	close(in);
	close(fds[0]);
	close(fds[1]);
	unlink(path);
	free(path);
}

static void test_logsink(void)
{
	char *dir = xasprintf("%s/logsink", tmpdir);

	if (mkdir(dir, 0755) < 0)
		bail_out("cannot create", dir);
	test_logsink_many(dir);
	test_logsink_rotation(dir);
	test_logsink_lines(dir);
	test_logsink_write_error(dir);
	test_logsink_refused(dir);
	test_logsink_syslog(dir);
	free(dir);
}
