/* svcctl: shared types, exit codes and the interfaces between modules. */
#ifndef SVCCTL_H
#define SVCCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
#define RESTART_MAX_LIMIT 1000 /* restart_max is 0..this */
#define LOG_BACKUPS_LIMIT 100 /* log_backups is 0..this */
#define LOG_MAX_BYTES_DEFAULT 0 /* no rotation: the program writes its log itself */
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
enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

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
	/* defaults of the service keys of the same names (an INI key wins) */
	enum restart_policy restart;
	double restart_delay;
	int restart_max;
	uint64_t log_max_bytes;
	bool log_max_bytes_set; /* log_max_bytes given in svcctl.conf */
	int log_backups;
	struct strv given; /* the options the file set */
};

int conf_load(struct globalconf *gc, const char *path, bool explicit_path,
	      struct errlist *el);
void conf_free(struct globalconf *gc);
bool conf_given(const struct globalconf *gc, const char *option);
void conf_blank_comments(char *text, size_t len);
int file_trusted(const char *path, const struct stat *st, struct errlist *el);

/* NAME.ini */
enum service_type { TYPE_SIMPLE, TYPE_FORKING, TYPE_NOTIFY };

#define READY_FD_MIN 3 /* ready_fd = N: 0..2 are the program's stdio */
#define READY_FD_MAX 1023
enum output_kind { OUT_FILE, OUT_NULL, OUT_SYSLOG, OUT_STDOUT };
enum kill_mode { KILL_GROUP, KILL_PROCESS };

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
	int ready_fd; /* 0: none; else the descriptor the program signals on */
	int stop_signal;
	double stop_timeout;
	enum kill_mode kill_mode;
	int reload_signal; /* 0: none */
	enum restart_policy restart;
	double restart_delay;
	int restart_max;
	uint8_t success_codes[256];
	uint64_t success_signals; /* bit sig - 1: a death by sig is a success */
	struct strv environment; /* KEY=VALUE from [environment] */
	/* [install] */
	char *runlevels;
	int start_priority, stop_priority;
	char *requires, *should;
	/* derived paths */
	char *state_path, *lock_path, *log_path;
	uint64_t keys_given; /* bit i: key i of keys.def is in NAME.ini */
};

bool service_name_valid(const char *name);
int service_load(struct service *svc, const struct globalconf *gc, const char *name,
		 struct errlist *el);
void service_free(struct service *svc);
void service_print_config(FILE *f, const struct service *svc,
			  const struct globalconf *gc);
int service_list(const struct globalconf *gc, struct strv *names);
bool service_supervised(const struct service *svc);
bool service_waits_ready(const struct service *svc);
bool service_output_owned(const struct service *svc, const struct output *o);
bool service_exit_success(const struct service *svc, int status);
int service_restart_policy(const char *word, enum restart_policy *out);

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
	unsigned long long cpu_ticks; /* user + system time, clock ticks */
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
/* Drops the /proc descriptor and the boot id kept between calls */
void proc_cache_clear(void);
void proc_cache_warm(void);
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

/* What the monitor is doing (DESIGN 2, 4.8); a service started without a
 * monitor is RUN_RUNNING while its program lives. */
enum run_state { RUN_RUNNING, RUN_STARTING, RUN_BACKOFF, RUN_FATAL, RUN_STOPPED };

#define STATE_EXITS_MAX 10 /* exits kept in NAME.state */

/* what a notify program said of itself last (READY=1, RELOADING=1, STOPPING=1) */
enum notify_state { NOTIFY_NONE, NOTIFY_READY, NOTIFY_RELOADING, NOTIFY_STOPPING };

struct exit_record {
	long long when; /* wall clock, milliseconds */
	int status; /* wait status */
	long long run_ms; /* how long the run lasted */
};

struct state {
	pid_t pid; /* 0 when no program runs (backoff, fatal, stopped) */
	unsigned long long starttime;
	char boot_id[40];
	pid_t pgid, sid; /* the program's process group and session */
	pid_t monitor_pid; /* 0: no monitor */
	unsigned long long monitor_starttime;
	enum run_state run;
	long long started_at; /* wall clock, seconds */
	long long next_attempt; /* backoff: wall clock, milliseconds */
	int restarts;
	char last_exit[64];
	char reason[160]; /* fatal: why the monitor gave up */
	long long stopped_at; /* stopped by svcctl stop: wall clock, milliseconds */
	char stop_reason[96]; /* how: "by svcctl stop (TERM)" */
	char status_text[256]; /* the last STATUS= of a notify program */
	enum notify_state notify_state;
	unsigned long notify_ignored; /* messages from senders that failed the check */
	size_t nexits;
	struct exit_record exits[STATE_EXITS_MAX]; /* newest first */
	char exec[512];
};

#define STATE_TEXT_MAX 4096

int pidfile_lock(const char *lock_path);
int pidfile_write(const char *path, pid_t pid);
int pidfile_read(const char *path, uid_t allowed_uid, pid_t *pid, const char **why);
int pidfile_remove(const char *path);
void pidfile_sweep_dir(const char *dir);
int state_write(const char *path, const struct state *st);
int state_read(const char *path, struct state *st);
int state_parse(const char *text, struct state *st);
int state_format(const struct state *st, char *buf, size_t len);
const char *run_state_word(enum run_state run);
const char *notify_state_word(enum notify_state ns);
void state_add_exit(struct state *st, const struct exit_record *ex);
void state_mark_stopped(struct state *st, long long when_ms, const char *how);
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
/* Both, O_RDONLY, for a regular file read at once and closed (O_NONBLOCK
 * stays set), *st filled by the fstat that checked it */
int path_open_read(const char *path, struct stat *st, const char **why);
int path_openat_read(int dirfd, const char *path, struct stat *st, const char **why);
/* mkdir -p with the same rules; returns an O_RDONLY|O_DIRECTORY descriptor */
int path_mkdir_trusted(const char *path, mode_t mode, const char **why);
/* The directory holding PATH's last component (made if create), for
 * openat/renameat in it; *base points at that component inside PATH. */
int path_parent_trusted(const char *path, bool create, mode_t mode, const char **base,
			const char **why);
/* The same when that directory was verified before and kept: trusted (as
 * path_dir_check asks), the cache's own descriptor, not to be closed; else
 * -1 and nothing done */
int path_parent_cached(const char *path, const char **base);
/* Closes the descriptors the resolver keeps ("/" and verified directories
 * for reads): a long-lived process calls it when it reopens its files, and
 * any process before it closes descriptors it did not open itself */
void path_cache_clear(void);
void path_cache_drop(void);
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
	IDENT_BACKOFF, /* a verified monitor waits to restart the program */
	IDENT_FATAL, /* the monitor gave up (state run=fatal) */
	IDENT_STARTING, /* a verified monitor's program runs, not yet ready */
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
	bool supervised; /* a verified monitor runs: id->st.monitor_pid */
	bool monitor_lost; /* the state names a monitor that is gone: unsupervised */
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
	int exit_code; /* the monitor's set-up failed: the LSB code, message */
	char message[256];
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
	char *resolved; /* owned: path */
	struct strv env; /* owned: envp */
};

/* when spawn_service calls back: the program forked (not yet exec'd, it
 * waits for the callback), then exec'd; forking: instead of exec'd, the
 * daemon in the pidfile verified (it runs on only once recorded); ready_fd:
 * the program said it is ready */
enum spawn_phase { SPAWN_FORKED, SPAWN_EXECED, SPAWN_DAEMON, SPAWN_READY };

typedef int (*spawn_record_fn)(enum spawn_phase phase, pid_t pid, pid_t sid, void *arg);

int spawn_service(const struct spawn_plan *plan, struct spawn_result *res,
		  spawn_record_fn record, void *arg);
pid_t spawn_program(const struct spawn_plan *plan, int ready_wfd, int *gofd, int *errfd);
int spawn_program_go(int gofd, int errfd, const char **step);

/* the program's plan (plan.c) */
int plan_prepare(struct spawn_plan *plan, const struct service *svc,
		 const struct globalconf *gc, bool outputs, struct errlist *el);
/* plan_close: the plan's descriptors only (its memory may be packed) */
void plan_close(struct spawn_plan *plan);
void plan_free(struct spawn_plan *plan);
int plan_errno_exit(int err);
int plan_log_dir(const struct globalconf *gc, const struct service *svc,
		 const struct output *o, struct errlist *el);
int plan_open_output(const struct globalconf *gc, const struct service *svc,
		     const struct output *o, int *fd, struct errlist *el);
const char *service_log_path(const struct service *svc);
int build_environment(const struct service *svc, struct strv *env, struct errlist *el);

/* type = forking (forking.c), for a child subreaper whose launcher exited 0:
 * wait (inotify, until deadline on CLOCK_MONOTONIC, or cancel_fd readable,
 * -1: none) for the pidfile to name a live descendant running exe_path */
int forking_await_pid(const struct service *svc, const char *exe_path, double deadline,
		      int cancel_fd, pid_t *pid, char *why, size_t whylen);
size_t forking_end_descendants(pid_t *ended, size_t max);
int env_file_parse(char *text, size_t len, const char *file, struct strv *env,
		   struct errlist *el);

/* type = notify (notify.c) */
#define NOTIFY_MSG_MAX 4096 /* one datagram; a longer one is ignored */
#define NOTIFY_STATUS_MAX 256 /* STATUS= kept, made visible, with its NUL */
#define NOTIFY_FDS_MAX 16 /* descriptors taken from one message, then closed */
#define NOTIFY_PATH_MAX 108 /* sun_path */

struct notify_msg {
	bool ready, stopping, reloading;
	bool have_status, have_extend, have_errno;
	pid_t mainpid; /* 0: none */
	unsigned long long extend_usec;
	int errnum;
	char status[NOTIFY_STATUS_MAX];
};

/* the monitor's socket: fixed-size, nothing allocated after notify_open */
struct notify_socket {
	int fd;
	bool bound; /* a file in run_dir, unlinked by notify_close */
	char path[NOTIFY_PATH_MAX + 8]; /* '@' first: abstract */
	char env[NOTIFY_PATH_MAX + 24]; /* NOTIFY_SOCKET=path */
	size_t nfds;
	int fds[NOTIFY_FDS_MAX];
	char buf[NOTIFY_MSG_MAX + 1];
};

struct ucred;

int notify_parse(const char *buf, size_t len, struct notify_msg *out);
int notify_open(struct notify_socket *ns, const char *run_dir, const char *name,
		uid_t uid, gid_t gid);
void notify_close(struct notify_socket *ns);
int notify_recv(struct notify_socket *ns, struct notify_msg *msg, struct ucred *cred,
		bool *cred_ok);
void notify_close_fds(struct notify_socket *ns);
bool notify_of_program(pid_t pid, const struct proc_info *pi, pid_t program,
		       unsigned long long program_start, const struct group_id *g);
bool notify_sender_ok(const struct ucred *cred, uid_t uid, pid_t program,
		      unsigned long long program_start, const struct group_id *g);

/* the monitor (supervise.c) */
bool supervise_is_monitor(int argc, char **argv);
int supervise_main(char **argv);
int supervise_start(const struct globalconf *gc, const struct service *svc, int lockfd,
		    struct spawn_result *res);

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
int stop_wait(int pidfd, pid_t pid, double deadline);
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
int cmd_check_set(struct cmdctx *c, const struct strv *names, bool every);
int cmd_logs(struct cmdctx *c, const char *name);
int cmd_initscript(struct cmdctx *c, const char *name);
int cmd_enable(struct cmdctx *c, const char *name);
int cmd_disable(struct cmdctx *c, const char *name);
int cmd_is_enabled(struct cmdctx *c, const char *name);
int cmd_each(struct cmdctx *c, action_fn fn, const struct strv *names);

/* status rendering (status.c): gathered once, shown in every form */
#define STATUS_LOG_LINES 10

struct status_view {
	const struct service *svc;
	const struct identity *id;
	const char *log; /* the log file, or NULL */
	bool have_pi;
	struct proc_info pi;
	double uptime; /* seconds the program has run */
	long long now_ms; /* wall clock when gathered: "next attempt in 2.0s" */
	char cmdline[1024]; /* the detailed forms only */
	/* the detailed forms only: every live process of the service's group */
	long group_rss_pages, group_tasks, group_procs;
	unsigned long long group_cpu_ticks;
	/* the detailed forms: is the service enabled at boot (cmd.c looks) */
	bool have_enabled, enabled;
	bool colour; /* the state word coloured (a terminal, no NO_COLOR) */
};

void format_leftovers(const struct identity *id, char *buf, size_t len);
const char *status_word(const struct identity *id);
int status_exit_code(const struct identity *id);
void json_string(FILE *f, const char *s);
void status_gather(struct status_view *v, const struct service *svc,
		   const struct identity *id, bool detailed);
void status_print_block(FILE *f, const struct status_view *v);
void status_print_brief(FILE *f, const struct status_view *v);
void status_print_json(FILE *f, const struct status_view *v);
void status_print_json_error(FILE *f, const char *name, bool missing, const char *why);
void status_print_line(FILE *f, const struct status_view *v);
bool status_colour(int fd);
int status_lines(const struct globalconf *gc, bool json, const struct strv *names,
		 size_t from, size_t to);
void status_print_table(FILE *f, char *rows, size_t len, bool colour);

/* pool.c: jobs in child processes, a bounded number at a time */
typedef int (*pool_job_fn)(size_t i, void *arg);

int pool_run(size_t n, size_t max_parallel, pool_job_fn fn, void *arg, int *codes,
	     bool collect);

/* A job waits for its prerequisites; one that failed (non-zero, or skipped)
 * keeps it from running when hard. */
struct pool_dep {
	size_t job;
	bool hard;
};

struct pool_spec {
	const struct pool_dep *deps;
	size_t ndeps;
	bool skip; /* not run at all: POOL_SKIPPED with cause POOL_NO_CAUSE */
};

#define POOL_SKIPPED (-1) /* the code of a job that was not run */
#define POOL_NO_CAUSE SIZE_MAX

int pool_run_deps(size_t n, size_t max_parallel, const struct pool_spec *spec,
		  pool_job_fn fn, void *arg, int *codes, size_t *cause);

/* order.c: the graph of [install] requires (hard) and should (soft) words */
struct order_item {
	const char *name;
	const char *file; /* NAME.ini, for messages */
	const char *requires, *should; /* NULL: not loaded, no edges known */
};

struct order_dep {
	size_t to; /* the item needed first */
	bool hard; /* requires; should is soft */
};

enum order_block {
	ORDER_OK,
	ORDER_CYCLE, /* on a dependency cycle */
	ORDER_MISSING, /* requires a word that is no service */
	ORDER_NEEDS, /* requires (cause), which cannot start */
};

struct order_node {
	struct order_dep *deps;
	size_t ndeps, cap;
	size_t scc; /* strongly connected component: shared by a cycle's members */
	enum order_block block;
	size_t cause;
	struct strv missing; /* the requires words that are no service */
};

struct order_cycle {
	size_t *v; /* members in edge order: v[0] needs v[1] ... needs v[0] */
	size_t n;
};

struct order {
	size_t n, ncomps, ncycles;
	struct order_node *nodes;
	struct order_cycle *cycles;
	struct strv notes; /* should words that are no service */
};

int order_build(struct order *g, const struct order_item *items, size_t n, bool complete,
		struct errlist *el);
void order_report(const struct order *g, const struct order_item *items, const bool *only,
		  struct errlist *el);
size_t order_topo(const struct order *g, size_t *out);
void order_free(struct order *g);

/* services loaded once for a graph and the actions it orders */
struct order_set {
	size_t n, cap;
	struct strv names;
	struct service *svcs; /* svcs[i] is valid when loaded[i] */
	bool *loaded;
	struct order_item *items;
};

void order_set_load(struct order_set *s, const struct globalconf *gc,
		    const struct strv *names);
int order_set_reach(struct order_set *s, const struct globalconf *gc,
		    const struct strv *roots);
void order_set_free(struct order_set *s);

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
void fd_cache_freeze(bool on);
bool fd_cache_may_keep(void);
bool running_as_root(void);
void format_duration(double seconds, char *buf, size_t len);
void describe_wait_status(int status, char *buf, size_t len);
long long now_wall_ms(void);
pid_t fork_retry(void);
pid_t vfork_retry(void (*fn)(void *), void *arg);
void format_time_iso(long long ms, char *buf, size_t len);

/* messages (log.c) */
extern int verbosity; /* 0 quiet, 1 normal, 2 verbose */
extern const char *progname;

void msg_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msg_warn(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* how much of a log's end the tails shown inside other output (status, a
 * failed start) read at most: a log of one huge line cannot flood them */
#define LOG_TAIL_WINDOW 65535
int log_tail(const char *path, int lines, off_t window, const char *indent, int fd);
struct stat;
int log_open(const char *path, struct stat *st);
int log_tail_start(int in, off_t size, int lines, off_t *start);
int log_copy(int in, off_t from, off_t to, bool partial, off_t *upto, int fd);
int log_follow(const char *path, int lines, int fd);

/* the monitor's log sink (logfile.c) */
/* a longer line is split into pieces of this size, never dropped */
#define LOG_LINE_MAX 4096
#define LOGSINK_PATH_MAX 4096
#define LOGSINK_SOCKET_MAX 108 /* sun_path */
#define LOGSINK_SEND_TIMEOUT 3 /* seconds a syslog send may wait on a full queue */

enum log_stream { LOG_STDOUT, LOG_STDERR };

struct logsink_config {
	const char *path; /* the log file; NULL when output goes to syslog */
	uint64_t max_bytes; /* rotate when the next write would pass it; 0: never */
	int backups; /* NAME.log.1 (newest) .. NAME.log.N kept; 0: none kept */
	bool syslog; /* send lines to syslog instead of the file */
	const char *syslog_path; /* the socket, "/dev/log" unless a test sets another */
	const char *ident; /* the service name, syslog's tag */
};

/* A line whose newline has not come yet, one per stream */
struct logsink_partial {
	size_t len;
	char text[LOG_LINE_MAX];
};

/* All state in fixed-size fields: nothing is allocated after logsink_open. */
struct logsink {
	int fd; /* the log file or the syslog socket; -1: none at the moment */
	int dirfd; /* the file's verified directory, kept for rotation; -1: syslog */
	bool syslog;
	bool stalled; /* a syslog send timed out: no waiting until one gets through */
	uint64_t max_bytes;
	int backups;
	uint64_t size; /* bytes in the current file */
	pid_t pid;
	uint64_t lost_lines; /* lines that could not be written or sent */
	uint64_t rotations;
	size_t base; /* offset of the file's name in path */
	char path[LOGSINK_PATH_MAX];
	char syslog_path[LOGSINK_SOCKET_MAX];
	char ident[SERVICE_NAME_MAX + 1];
	struct logsink_partial partial[2];
};

/* Opens the log file (root's 0640, never through a link) or the syslog socket;
 * 0, or -1 with errno and *why as the path functions set them. */
int logsink_open(struct logsink *ls, const struct logsink_config *cfg, const char **why);
/* Writes the complete lines of buf (one write when nothing rotates), keeps a
 * partial line per stream; -1: some lines were lost (counted in lost_lines). */
int logsink_feed(struct logsink *ls, enum log_stream stream, const char *buf, size_t len);
/* Writes each stream's partial line with a newline added (EOF, or exit). */
int logsink_flush(struct logsink *ls);
/* SIGHUP: reopens the file by name in its directory, or reconnects syslog. */
int logsink_reopen(struct logsink *ls, const char **why);
/* The program's PID for syslog's TAG[PID]; 0: none */
void logsink_set_pid(struct logsink *ls, pid_t pid);
/* Flushes the partial lines and closes every descriptor of the sink. */
void logsink_close(struct logsink *ls);

#endif
