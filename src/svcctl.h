/* svcctl: shared types, exit codes and the interfaces between modules. */
#ifndef SVCCTL_H
#define SVCCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stat;

#ifndef SVCCTL_VERSION
#define SVCCTL_VERSION "0.1.0"
#endif

/* LSB init-script exit codes, defined once. Start/stop/reload share one table,
 * status has its own meanings for 1..4 (LSB 3.0 core, "Init Script Actions"). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1, /* generic failure; status: dead, pidfile exists */
	EXIT_USAGE = 2, /* invalid or excess arguments */
	EXIT_UNIMPLEMENTED = 3, /* unimplemented feature; status: not running */
	EXIT_PERM = 4, /* insufficient privilege; status: unknown */
	EXIT_NOTINSTALLED = 5, /* program is not installed */
	EXIT_NOTCONFIGURED = 6, /* program is not configured */
	EXIT_NOTRUNNING = 7, /* program is not running (reload) */
};

enum status_code {
	STATUS_RUNNING = 0,
	STATUS_DEAD_PIDFILE = 1,
	STATUS_STOPPED = 3,
	STATUS_UNKNOWN = 4,
};

#define SERVICE_NAME_MAX 64
#define SECONDS_MAX 86400 /* the largest value of any seconds key: a day */
#define SVCCTL_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A growable array of strings, NULL-terminated so it can serve as argv/envp. */
struct strv {
	char **v;
	size_t n, cap;
};

int strv_push(struct strv *sv, const char *s);
int strv_push_owned(struct strv *sv, char *s);
void strv_free(struct strv *sv);

/* Error list with FILE:LINE prefixes; modules collect, callers print. */
struct errlist {
	struct strv msgs;
};

void errlist_add(struct errlist *el, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void errlist_free(struct errlist *el);

/* svcctl.conf */
struct globalconf {
	char *path; /* the file read, or NULL for built-in defaults */
	char *services_dir;
	char *run_dir;
	char *log_dir;
	char *initd_dir;
	char *rc_dir;
	double stop_timeout;
	double ready_seconds;
	double start_timeout;
};

int conf_load(struct globalconf *gc, const char *path, bool explicit_path,
	      struct errlist *el);
void conf_free(struct globalconf *gc);
void conf_blank_comments(char *text, size_t len);
int file_trusted(const char *path, const struct stat *st, struct errlist *el);

/* NAME.ini */
enum service_type { TYPE_SIMPLE, TYPE_FORKING };
enum output_kind { OUT_FILE, OUT_NULL, OUT_SYSLOG, OUT_STDOUT };
enum kill_mode { KILL_GROUP, KILL_PROCESS };
enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

struct output {
	enum output_kind kind;
	char *path; /* OUT_FILE */
};

struct service {
	char *name;
	char *ini_path;
	char *description;
	char *exec_line;
	struct strv argv; /* split exec = */
	enum service_type type;
	char *pidfile; /* resolved: run_dir/NAME.pid unless configured */
	bool pidfile_configured;
	char *user, *group;
	uid_t uid;
	gid_t gid;
	bool set_user, set_group;
	char *directory;
	mode_t umask;
	int nice;
	bool nofile_set;
	uint64_t nofile_soft, nofile_hard; /* UINT64_MAX: infinity */
	char *environment_file;
	bool environment_file_optional;
	struct output out, err;
	uint64_t log_max_bytes;
	bool log_max_bytes_set;
	int log_backups;
	double ready_seconds;
	double start_timeout;
	int stop_signal;
	double stop_timeout;
	enum kill_mode kill_mode;
	int reload_signal; /* 0: none */
	enum restart_policy restart;
	double restart_delay;
	int restart_max;
	uint8_t success_codes[256];
	struct strv environment; /* KEY=VALUE from [environment] */
	/* [install] */
	char *runlevels;
	int start_priority, stop_priority;
	char *requires, *should;
	/* derived paths */
	char *state_path, *lock_path, *log_path;
};

bool service_name_valid(const char *name);
int service_load(struct service *svc, const struct globalconf *gc, const char *name,
		 struct errlist *el);
void service_free(struct service *svc);
int service_list(const struct globalconf *gc, struct strv *names);
const char *service_unsupported(const struct service *svc);

/* exec = splitting */
int argv_split(const char *line, struct strv *out, const char **why);
int argv_resolve(const char *prog, char **path_out);
char *argv_join(char *const *argv, size_t n);

/* /proc facts */
enum proc_state { PROC_GONE, PROC_ZOMBIE, PROC_ALIVE };

struct proc_info {
	char state; /* R S D Z T ... */
	pid_t ppid, pgid, sid;
	unsigned long long starttime; /* clock ticks since boot */
	long rss_pages;
	long threads;
	char comm[32];
};

int proc_stat(pid_t pid, struct proc_info *pi);
enum proc_state proc_alive(pid_t pid);
int proc_starttime(pid_t pid, unsigned long long *st);
int proc_boot_id(char *buf, size_t len);
int proc_exe_matches(pid_t pid, const char *path);
int proc_uid(pid_t pid, uid_t *uid);
int proc_argv(pid_t pid, struct strv *argv);
int proc_pidfd_open(pid_t pid);
int proc_pidfd_signal(int pidfd, int sig);
double proc_uptime_of(unsigned long long starttime);
enum proc_state proc_state_of(const struct proc_info *pi);

/* A service's process group as recorded at start: its members are the live
 * processes in group pgid and session sid (0: not recorded, not checked)
 * that started at or after since, the leader's start time. */
struct group_id {
	pid_t pgid, sid;
	unsigned long long since;
};

struct group_member {
	pid_t pid;
	unsigned long long starttime;
	char comm[32];
};

bool proc_group_member(const struct group_id *g, const struct proc_info *pi);
int proc_group_members(const struct group_id *g, pid_t except, struct group_member *out,
		       size_t max, size_t *total);

/* pidfile + state file */
struct state {
	pid_t pid;
	unsigned long long starttime;
	char boot_id[40];
	pid_t pgid, sid; /* the program's process group and session */
	pid_t monitor_pid;
	long long started_at; /* wall clock, seconds */
	int restarts;
	char last_exit[64];
	char exec[512];
};

int pidfile_lock(const char *lock_path);
int pidfile_write(const char *path, pid_t pid);
int pidfile_read(const char *path, uid_t allowed_uid, pid_t *pid, const char **why);
int pidfile_remove(const char *path);
int state_write(const char *path, const struct state *st);
int state_read(const char *path, struct state *st);
int state_parse(const char *text, struct state *st);
int state_format(const struct state *st, char *buf, size_t len);
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);

/* the trusted path resolver (path.c, DESIGN 4.13) */

/* Opens PATH for a service without following any symlink a non-root user could
 * have made (DESIGN 4.13). flags as open(2); O_CLOEXEC and O_NOFOLLOW are implied;
 * with O_CREAT, mode applies. Refuses a final component that is not a regular
 * file (or a directory when O_DIRECTORY is given): never opens a FIFO or device
 * (opens with O_NONBLOCK, fstat, then clears it). Returns the fd, or -1 with errno
 * and *why set to a static reason (e.g. "is a symbolic link in a directory
 * another user can write", "is not a regular file"). A last component that is
 * a symlink is refused (O_NOFOLLOW), except with O_DIRECTORY, where root's own
 * link in root's directory is followed as on the way. */
int path_open_trusted(const char *path, int flags, mode_t mode, const char **why);
/* The same, a relative PATH taken from the directory dirfd (AT_FDCWD: the cwd) */
int path_openat_trusted(int dirfd, const char *path, int flags, mode_t mode,
			const char **why);
/* mkdir -p with the same rules; returns an O_RDONLY|O_DIRECTORY descriptor */
int path_mkdir_trusted(const char *path, mode_t mode, const char **why);
/* The directory holding PATH's last component (made if create), for
 * openat/renameat in it; *base points at that component inside PATH. */
int path_parent_trusted(const char *path, bool create, mode_t mode, const char **base,
			const char **why);
/* Closes the descriptors the resolver keeps ("/" and verified directories
 * for reads): a long-lived process calls it when it reopens its files, and
 * any process before it closes descriptors it did not open itself */
void path_cache_clear(void);
/* 0 if the directory is root's (or the caller's) and not writable by group or other */
int path_dir_check(int dirfd, const char **why);

/* identity: what the recorded PID is */
enum ident {
	IDENT_NONE, /* no pidfile */
	IDENT_RUNNING, /* verified, alive */
	IDENT_DEAD, /* pidfile, process gone or a zombie */
	IDENT_STALE, /* pidfile names a process that is not ours */
	IDENT_UNTRUSTED, /* pidfile refused, or another PID than the state's */
	IDENT_LEFTOVER, /* the leader is gone, members of its group still run */
};

#define IDENT_LEFT_MAX 8 /* leftovers named in messages */

struct identity {
	enum ident ident;
	pid_t pid;
	bool have_state;
	struct state st;
	bool have_pi; /* pi: /proc/PID/stat as read while identifying */
	struct proc_info pi;
	const char *why; /* static text for STALE/UNTRUSTED */
	const char *how; /* how it was verified */
	bool pidfile_missing; /* RUNNING/LEFTOVER found through the state file */
	struct group_id group; /* RUNNING, LEFTOVER: the service's group */
	size_t nleft; /* LEFTOVER: how many; the first ones in left */
	struct group_member left[IDENT_LEFT_MAX];
};

int identify(const struct service *svc, struct identity *id);
bool identity_still(const struct identity *id);

/* spawn: daemonize and start synchronously */
struct spawn_result {
	pid_t pid;
	int exit_status; /* waitpid status when the program died early */
	bool died;
	bool exec_failed;
	int err; /* errno of the failed step */
	char step[48]; /* which step failed */
	char why[160]; /* forking: why no daemon was accepted */
	double elapsed; /* seconds the program lived */
};

/* Everything the program's process needs, prepared before fork so the child
 * only makes async-signal-safe calls. */
struct spawn_plan {
	const struct service *svc;
	const char *path; /* resolved program */
	char **envp;
	int out_fd, err_fd;
	int dir_fd; /* directory = opened through the resolver; <= 2: chdir by name */
	bool set_nice;
	bool change_ids;
	gid_t *groups;
	size_t ngroups;
};

/* when spawn_service calls back: the program forked (not yet exec'd, it
 * waits for the callback), then exec'd; forking: instead of exec'd, the
 * daemon in the pidfile verified (it runs on only once recorded) */
enum spawn_phase { SPAWN_FORKED, SPAWN_EXECED, SPAWN_DAEMON };

typedef int (*spawn_record_fn)(enum spawn_phase phase, pid_t pid, pid_t sid, void *arg);

int spawn_service(const struct spawn_plan *plan, struct spawn_result *res,
		  spawn_record_fn record, void *arg);
int build_environment(const struct service *svc, struct strv *env, struct errlist *el);

/* type = forking (forking.c), for a child subreaper whose launcher exited 0:
 * wait (inotify, until deadline on CLOCK_MONOTONIC, or cancel_fd readable,
 * -1: none) for the pidfile to name a live descendant running exe_path */
int forking_await_pid(const struct service *svc, const char *exe_path, double deadline,
		      int cancel_fd, pid_t *pid, char *why, size_t whylen);
size_t forking_end_descendants(pid_t *ended, size_t max);
int env_file_parse(char *text, size_t len, const char *file, struct strv *env,
		   struct errlist *el);

/* stop */
enum stop_result { STOP_DONE, STOP_KILLED, STOP_STUCK };

/* a process group to sweep after its leader is gone, and until when */
struct group_left {
	struct group_id group; /* pgid 0: none */
	double deadline; /* CLOCK_MONOTONIC, valid across processes */
};

int stop_process(pid_t pid, int pidfd, int sig, double timeout,
		 const struct group_id *group, struct group_left *defer,
		 enum stop_result *res);
void stop_groups_rest(struct group_left *groups, size_t n);
int signal_process(pid_t pid, int pidfd, int sig, const struct group_id *group);
size_t group_signal(const struct group_id *g, pid_t except, int sig, int then);
int group_end(const struct group_id *g, int sig, double timeout, enum stop_result *res);

/* init scripts and boot registration (initscript.c) */
enum registrar { REG_LINKS, REG_CHKCONFIG, REG_UPDATE_RC_D };

char *initscript_render(const struct service *svc, const char *svcctl_path,
			const char *config_path);
int initscript_check_runlevels(const char *levels, const char **why);
int initscript_check_description(const char *text, const char **why);
int initscript_validate(const struct service *svc, const char **why);
enum registrar initscript_registrar(const struct globalconf *gc);
int initscript_enable(const struct globalconf *gc, const struct service *svc,
		      const char *text, struct errlist *el);
int initscript_disable(const struct globalconf *gc, const char *name, struct errlist *el);
bool initscript_is_enabled(const struct globalconf *gc, const char *name);

/* actions (cmd.c): each returns the exit code */
struct cmdctx {
	struct globalconf gc;
	bool json;
	bool all;
	bool follow;
	bool brief;
	int lines;
	int defer_fd; /* stop: write group_left records here instead of sweeping */
	const char *script_svcctl; /* initscript: svcctl path to embed */
	const char *script_config; /* initscript: config path to embed */
	const char *argv0; /* how svcctl was invoked, for the script */
};

typedef int (*action_fn)(struct cmdctx *c, const char *name);

int cmd_start(struct cmdctx *c, const char *name);
int cmd_stop(struct cmdctx *c, const char *name);
int cmd_restart(struct cmdctx *c, const char *name);
int cmd_try_restart(struct cmdctx *c, const char *name);
int cmd_reload(struct cmdctx *c, const char *name);
int cmd_force_reload(struct cmdctx *c, const char *name);
int cmd_status(struct cmdctx *c, const char *name);
int cmd_status_list(struct cmdctx *c, const struct strv *names);
int cmd_check(struct cmdctx *c, const char *name);
int cmd_logs(struct cmdctx *c, const char *name);
int cmd_initscript(struct cmdctx *c, const char *name);
int cmd_enable(struct cmdctx *c, const char *name);
int cmd_disable(struct cmdctx *c, const char *name);
int cmd_is_enabled(struct cmdctx *c, const char *name);
int cmd_each(struct cmdctx *c, action_fn fn, const struct strv *names);

/* small utilities (util.c) */
double now_mono(void);
long long now_wall(void);
int signal_from_name(const char *name);
const char *signal_name(int sig);
int parse_seconds(const char *s, double *out);
double seconds_sane(double s);
int nofile_kernel_max(uint64_t *out);
int nofile_ceiling(uint64_t *out, bool *capped);
size_t utf8_seq_len(const char *s, size_t n);
size_t text_visible(const char *in, size_t n, char *out, size_t cap);
char *text_visible_dup(const char *s);
int parse_size(const char *s, uint64_t *out);
int parse_int(const char *s, long min, long max, long *out);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
ssize_t read_full(int fd, void *buf, size_t len);
ssize_t read_once(int fd, void *buf, size_t len);
ssize_t write_full(int fd, const void *buf, size_t len);
char *read_small_file(const char *path, size_t max, size_t *len);
bool running_as_root(void);
void format_duration(double seconds, char *buf, size_t len);
void describe_wait_status(int status, char *buf, size_t len);

/* messages (log.c) */
extern int verbosity; /* 0 quiet, 1 normal, 2 verbose */
extern const char *progname;

void msg_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msg_warn(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_tail(const char *path, int lines, const char *indent, int fd);
int log_follow(const char *path, int lines, int fd);

#endif
