/* Small helpers shared by every module: string vectors, error lists, number
 * and signal parsing, clocks and EINTR-safe I/O. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcctl.h"

/* Out of memory leaves nothing sensible to do in a command-line tool. */
static void oom(void)
{
	static const char m[] = "svcctl: out of memory\n";
	(void)!write(STDERR_FILENO, m, sizeof(m) - 1);
	_exit(EXIT_FAILED);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}

int strv_push_owned(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));
		if (!v)
			oom();
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int strv_push(struct strv *sv, const char *s)
{
	return strv_push_owned(sv, xstrdup(s));
}

void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void errlist_add(struct errlist *el, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	strv_push_owned(&el->msgs, p);
}

void errlist_free(struct errlist *el)
{
	strv_free(&el->msgs);
}

double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long now_wall(void)
{
	return (long long)time(NULL);
}

long long now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms since the epoch as local time with a numeric offset, to the second:
 * 2026-12-01T22:49:58+01:00 (ISO 8601, as DESIGN 2 asks of --json) */
void format_time_iso(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	struct tm tm;
	char zone[8];
	size_t n;

	if (!localtime_r(&t, &tm) ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) != 5) {
		snprintf(buf, len, "%s", "1970-01-01T00:00:00+00:00");
		return;
	}
	/* %z is +hhmm; ISO 8601's extended form wants +hh:mm */
	snprintf(buf + n, len - n, "%.3s:%.2s", zone, zone + 3);
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
	{"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
	{"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
	{"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
	{"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* Accepts TERM, SIGTERM, sigterm and 15; returns 0 when unknown. */
int signal_from_name(const char *name)
{
	long n;

	if (!name || !*name)
		return 0;
	if (parse_int(name, 1, NSIG - 1, &n) == 0)
		return (int)n;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(name, signals[i].name) == 0)
			return signals[i].sig;
	return 0;
}

const char *signal_name(int sig)
{
	static char buf[16];

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].sig == sig) {
			snprintf(buf, sizeof(buf), "SIG%s", signals[i].name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Seconds as a non-negative decimal ("1", "0.25"); at most SECONDS_MAX.
 * Only digits and one dot: no sign, exponent, "nan" or "inf". */
int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || strspn(s, "0123456789.") != strlen(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0 && v <= SECONDS_MAX))
		return -1;
	*out = v;
	return 0;
}

/* A seconds value made safe for deadline arithmetic whatever its origin:
 * NaN and negatives are 0, anything above SECONDS_MAX is SECONDS_MAX, so no
 * wait computed from it is infinite and a SIGKILL always comes. */
double seconds_sane(double s)
{
	if (!(s > 0))
		return 0;
	return s > SECONDS_MAX ? SECONDS_MAX : s;
}

/* The highest RLIMIT_NOFILE this process may give a program: fs.nr_open,
 * which caps it even for root (the kernel's default when /proc does not say),
 * and, without CAP_SYS_RESOURCE, the hard limit it has now. *capped tells
 * which of the two it is. */
int nofile_ceiling(uint64_t *out, bool *capped)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[2] = {{0, 0, 0}, {0, 0, 0}};
	struct rlimit cur;
	bool can_raise;

	nofile_kernel_max(out);
	*capped = false;
	can_raise = syscall(SYS_capget, &hdr, caps) == 0 &&
		(caps[CAP_SYS_RESOURCE / 32].effective & (1U << (CAP_SYS_RESOURCE % 32)));
	if (!can_raise && getrlimit(RLIMIT_NOFILE, &cur) == 0 &&
	    cur.rlim_max != RLIM_INFINITY && cur.rlim_max < *out) {
		*out = cur.rlim_max;
		*capped = true;
	}
	return 0;
}

/* The kernel's ceiling for RLIMIT_NOFILE (fs.nr_open); the kernel's own
 * default when /proc does not say. */
int nofile_kernel_max(uint64_t *out)
{
	char *text = read_small_file("/proc/sys/fs/nr_open", 64, NULL);
	char *end;
	unsigned long long v;

	*out = 1048576;
	if (!text)
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (!errno && end != text && (*end == '\n' || *end == '\0') && v > 0)
		*out = v;
	free(text);
	return 0;
}

/* Bytes of the well-formed UTF-8 sequence at s (1 to 4; 1 for ASCII), 0 when
 * s[0] does not start one: stray continuation bytes, overlong forms,
 * surrogates and code points above U+10FFFF are not UTF-8. */
size_t utf8_seq_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (n == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		len = 2;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		len = 3;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (u[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (u[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (u[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (u[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (n < len || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (u[i] < 0x80 || u[i] > 0xbf)
			return 0;
	return len;
}

/* The one place that makes text from outside (a log line, a description, a
 * process name) safe to print on a terminal: n bytes of in, NUL bytes
 * included, are copied to out with every control byte (C0, DEL and the C1
 * range U+0080..U+009F) and every byte that is not part of well-formed UTF-8
 * written as \xHH; a tab is kept. Nothing after a NUL is lost. out always
 * ends with a NUL; 4 * n + 1 bytes are always enough, a smaller cap cuts at
 * a character boundary. Returns the length written. */
size_t text_visible(const char *in, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;

	if (cap == 0)
		return 0;
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		size_t seq = utf8_seq_len(in + i, n - i), k;
		bool c1 = seq == 2 && c == 0xc2 && (unsigned char)in[i + 1] < 0xa0;

		if (seq != 0 && !c1 && !((c < 0x20 && c != '\t') || c == 0x7f)) {
			if (o + seq >= cap)
				break;
			memcpy(out + o, in + i, seq);
			o += seq;
			i += seq;
			continue;
		}
		k = c1 ? 2 : 1;
		if (o + 4 * k >= cap)
			break;
		for (size_t j = 0; j < k; j++) {
			c = (unsigned char)in[i++];
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

/* text_visible() of a C string, allocated. */
char *text_visible_dup(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *out = xcalloc(1, 4 * n + 1);

	text_visible(s ? s : "", n, out, 4 * n + 1);
	return out;
}

/* Bytes with an optional K, M or G suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > UINT64_MAX / mul)
		return -1;
	*out = (uint64_t)v * mul;
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* One read, retried on EINTR: for regular files and procfs, whose short
 * read is the end, so the second read read_full() makes is wasted. */
ssize_t read_once(int fd, void *buf, size_t len)
{
	ssize_t r;

	do
		r = read(fd, buf, len);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/* Reads a whole small file, NUL-terminated; refuses anything over max. */
char *read_small_file(const char *path, size_t max, size_t *len)
{
	int fd = path_open_trusted(path, O_RDONLY, 0, NULL);
	char *buf;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = xcalloc(1, max + 1);
	/* a regular file's short read is its end: one read, not two */
	r = read_once(fd, buf, max + 1);
	if (r < 0 || (size_t)r > max) {
		int saved = r < 0 ? errno : EFBIG;
		free(buf);
		close(fd);
		errno = saved;
		return NULL;
	}
	close(fd);
	buf[r] = '\0';
	if (len)
		*len = (size_t)r;
	return buf;
}

void format_duration(double seconds, char *buf, size_t len)
{
	long long s = (long long)seconds;

	if (seconds < 10)
		snprintf(buf, len, "%.1fs", seconds);
	else if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldmin %llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %lldmin", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %lldh", s / 86400, s % 86400 / 3600);
}

void describe_wait_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s", signal_name(WTERMSIG(status)),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "ended with wait status %#x", status);
}

/* A vfork()ed child runs in this process's memory with a descriptor table
 * of its own: a descriptor it opened and left in a cache would be, here,
 * a number that is closed or something else. While one runs, no cache may
 * keep a new descriptor; every cache of descriptors asks before it keeps
 * one (path.c's directories and "/", proc.c's /proc). */
static bool fd_cache_frozen;

void fd_cache_freeze(bool on)
{
	fd_cache_frozen = on;
}

bool fd_cache_may_keep(void)
{
	return !fd_cache_frozen;
}

bool running_as_root(void)
{
	static int root = -1;

	if (root < 0)
		root = geteuid() == 0;
	return root;
}

/* fork(), tried again when the kernel is short of processes for a moment
 * (EAGAIN: a pids limit or threads-max reached on a loaded machine), as
 * shells do: 6 tries over about 0.6 s. Any other error, or the last one,
 * is returned. */
pid_t fork_retry(void)
{
	long wait_ms = 10;
	pid_t pid;

	for (int tries = 1;; tries++) {
		pid = fork();
		if (pid >= 0 || errno != EAGAIN || tries == 6)
			return pid;
		struct timespec ts = {0, wait_ms * 1000000L};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		wait_ms *= 2;
	}
}

/* One vfork(): the child runs fn(arg) on this stack, below this frame, in
 * the caller's memory while the caller is suspended, and never comes back
 * here: fn execs or _exits. Not inlined, so no caller's frame is shared. */
static pid_t __attribute__((noinline)) vfork_once(void (*fn)(void *), void *arg)
{
	/* posix_spawn() cannot do what the children of a start do (setsid,
	 * a second vfork, the state record before exec); each fn keeps to
	 * what a vfork()ed child may do and ends in exec or _exit */
	pid_t pid = vfork(); /* NOLINT(clang-analyzer-security.insecureAPI.vfork) */

	if (pid == 0) {
		fn(arg); /* NOLINT(clang-analyzer-unix.Vfork) */
		_exit(127);
	}
	return pid;
}

/* vfork() running fn(arg) in the child, tried again on EAGAIN as
 * fork_retry() is. The caller resumes when the child exec'd or exited. */
pid_t vfork_retry(void (*fn)(void *), void *arg)
{
	long wait_ms = 10;
	pid_t pid;

	for (int tries = 1;; tries++) {
		pid = vfork_once(fn, arg);
		if (pid >= 0 || errno != EAGAIN || tries == 6)
			return pid;
		struct timespec ts = {0, wait_ms * 1000000L};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		wait_ms *= 2;
	}
}
