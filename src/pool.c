/* pool: runs jobs 0..n-1 in child processes, a bounded number at a time,
 * and reports each job's exit code. A job may wait for prerequisite jobs
 * (start --all in dependency order, stop --all in reverse); one whose hard
 * prerequisite failed is not run. One pool serves start/stop/restart --all
 * (a job per service) and the status list (a job per slice).
 *
 * Without collect the jobs run in a fixed set of workers, forked when
 * first needed and fed job numbers over a socket each, which answers with
 * the job's code: a fork costs about a millisecond and its copy-on-write
 * faults more, so a thousand services are not a thousand forks. A job
 * leaves its worker as it found it (its lock closed, its descriptors
 * closed, its memory freed): the next job runs in the same process.
 *
 * With collect, each job is a child of its own whose standard output goes
 * to a pipe and is copied to ours in job order, so parallel workers print
 * as one process would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcctl.h"

enum job_state { JOB_WAITING, JOB_READY, JOB_RUNNING, JOB_DONE };

struct job {
	enum job_state state;
	pid_t pid;
	bool skip; /* not to be run: a hard prerequisite failed, or told so */
	size_t waiting; /* prerequisites not done yet */
	int fd; /* collect: the read end of its output pipe, -1 at EOF */
	char *out; /* collect: what it wrote, until its turn comes */
	size_t len, cap;
};

/* A worker: a child that runs one job at a time, told which over fd */
struct worker {
	pid_t pid;
	int fd; /* -1 once it has ended */
	bool busy;
	size_t job;
};

/* A worker's answer: the job it ran and that job's code */
struct worker_report {
	size_t job;
	int code;
};

struct pool {
	size_t n, max_parallel;
	struct worker *workers;
	size_t nworkers;
	pool_job_fn fn;
	void *arg;
	int *codes;
	size_t *cause;
	bool collect;
	bool first_here; /* job 0 runs in this process, the others in theirs */
	struct job *jobs;
	size_t *ready, ready_head, ready_tail; /* each job is queued once */
	size_t *active, running; /* the jobs running now */
	size_t *first, *dependents; /* who waits for job j: first[j]..first[j+1] */
	bool *hard;
	size_t done, next_out;
};

static int exit_code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILED;
}

static void job_append(struct job *j, const char *buf, size_t n)
{
	if (j->len + n > j->cap) {
		j->cap = (j->len + n) * 2;
		j->out = xrealloc(j->out, j->cap);
	}
	memcpy(j->out + j->len, buf, n);
	j->len += n;
}

/* The child's side: output to the pipe, the job, its code as exit status */
static void job_child(size_t i, pool_job_fn fn, void *arg, int out_fd)
{
	if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(EXIT_FAILED);
	int rc = fn(i, arg);
	fflush(NULL);
	_exit(rc);
}

/* Writes out the output of the finished jobs at the head of the order */
static void flush_done(struct pool *p)
{
	while (p->next_out < p->n && p->jobs[p->next_out].state == JOB_DONE) {
		struct job *j = &p->jobs[p->next_out];

		if (j->len)
			(void)write_full(STDOUT_FILENO, j->out, j->len);
		free(j->out);
		j->out = NULL;
		j->len = j->cap = 0;
		p->next_out++;
	}
}

static void make_ready(struct pool *p, size_t i)
{
	p->jobs[i].state = JOB_READY;
	p->ready[p->ready_tail++] = i;
}

/* Job i ended with code: what waited for it may be ready now */
static void job_done(struct pool *p, size_t i, int code)
{
	p->codes[i] = code;
	p->jobs[i].state = JOB_DONE;
	p->done++;
	if (!p->first)
		return;
	for (size_t k = p->first[i]; k < p->first[i + 1]; k++) {
		struct job *d = &p->jobs[p->dependents[k]];

		if (p->hard[k] && code != 0 && !d->skip) {
			d->skip = true;
			p->cause[p->dependents[k]] = i;
		}
		if (--d->waiting == 0 && d->state == JOB_WAITING)
			make_ready(p, p->dependents[k]);
	}
}

/* A running job ended with status: out of the active set */
static void job_reaped(struct pool *p, size_t slot, int status)
{
	size_t i = p->active[slot];

	p->active[slot] = p->active[--p->running];
	job_done(p, i, exit_code_of(status));
}

/* Closes a child's end of our channel to it (*fd becomes -1) and waits
 * for it: its wait status, or that of a failure if it cannot be had */
static int close_and_reap(int *fd, pid_t pid)
{
	int status;

	close(*fd);
	*fd = -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAILED << 8;
	return status;
}

/* Polls the descriptors of count candidates (member gives candidate i's
 * descriptor, or -1 when it has none, and whom it stands for) until one can
 * be read or has ended, then hands each such one to ready. -1 only when
 * there is nothing to wait for or poll failed. */
static int poll_ready(struct pool *p, size_t count,
		      int (*member)(struct pool *p, size_t i, size_t *who),
		      void (*ready)(struct pool *p, size_t who))
{
	struct pollfd *pfd = xcalloc(count + 1, sizeof(*pfd));
	size_t *who = xcalloc(count + 1, sizeof(*who)), npfd = 0;
	int rc = -1, r;

	for (size_t i = 0; i < count; i++) {
		int fd = member(p, i, &who[npfd]);

		if (fd >= 0) {
			pfd[npfd].fd = fd;
			pfd[npfd++].events = POLLIN;
		}
	}
	if (npfd > 0) {
		do
			r = poll(pfd, npfd, -1);
		while (r < 0 && errno == EINTR);
		if (r >= 0) {
			rc = 0;
			for (size_t k = 0; k < npfd; k++)
				if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
					ready(p, who[k]);
		}
	}
	free(pfd);
	free(who);
	return rc;
}

/* Collect mode: the output pipe of the job in running slot s */
static int job_output(struct pool *p, size_t s, size_t *job)
{
	*job = p->active[s];
	return p->jobs[*job].fd;
}

/* Collect mode: job i wrote, or ended (EOF: it is reaped) */
static void job_readable(struct pool *p, size_t i)
{
	struct job *j = &p->jobs[i];
	char buf[65536];
	ssize_t got;
	int status;

	do
		got = read(j->fd, buf, sizeof(buf));
	while (got < 0 && errno == EINTR);
	if (got > 0) {
		job_append(j, buf, (size_t)got);
		return;
	}
	status = close_and_reap(&j->fd, j->pid);
	for (size_t s = 0; s < p->running; s++)
		if (p->active[s] == i) {
			job_reaped(p, s, status);
			break;
		}
}

/* Collect mode: reads what the running jobs write until one of them ends
 * (EOF, then reaps it). Returns -1 only when nothing can be waited for. */
static int collect_some(struct pool *p)
{
	return poll_ready(p, p->running, job_output, job_readable);
}

/* The worker's side: job numbers in, codes out, until the parent closes
 * its end. The parent's ends of the workers forked before it are closed
 * first: a worker holds only its own socket. */
static void worker_main(struct pool *p, int fd)
{
	struct worker_report r;
	ssize_t got;

	/* its padding goes to the parent too: no stale stack bytes */
	memset(&r, 0, sizeof(r));
	for (size_t w = 0; w < p->nworkers; w++)
		if (p->workers[w].fd >= 0)
			close(p->workers[w].fd);
	for (;;) {
		size_t job;

		do
			got = recv(fd, &job, sizeof(job), 0);
		while (got < 0 && errno == EINTR);
		if (got != (ssize_t)sizeof(job) || job >= p->n)
			break;
		r.job = job;
		r.code = p->fn(job, p->arg);
		fflush(NULL);
		if (send(fd, &r, sizeof(r), MSG_NOSIGNAL) != (ssize_t)sizeof(r))
			break;
	}
	close(fd);
	/* exit, not _exit: what a job failed to free is found (a leak
	 * checker runs at exit); the parent flushed stdio before the fork */
	exit(0);
}

/* Forks one more worker; -1 when it could not be. */
static int worker_add(struct pool *p)
{
	struct worker *w;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	pid = fork_retry();
	if (pid == 0) {
		close(sv[0]);
		worker_main(p, sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	w = &p->workers[p->nworkers++];
	w->pid = pid;
	w->fd = sv[0];
	w->busy = false;
	return 0;
}

/* Hands job i to an idle worker, forking one if there is room; -1 when
 * no worker can take it. */
static void worker_gone(struct pool *p, struct worker *w);

static int worker_give(struct pool *p, size_t i)
{
	struct worker *w;

	for (;;) {
		w = NULL;
		for (size_t k = 0; k < p->nworkers && !w; k++)
			if (p->workers[k].fd >= 0 && !p->workers[k].busy)
				w = &p->workers[k];
		if (!w) {
			if (p->nworkers >= p->max_parallel || worker_add(p) < 0)
				return -1;
			w = &p->workers[p->nworkers - 1];
		}
		if (send(w->fd, &i, sizeof(i), MSG_NOSIGNAL) == (ssize_t)sizeof(i))
			break;
		worker_gone(p, w); /* it ended while idle: another one */
	}
	w->busy = true;
	w->job = i;
	p->jobs[i].pid = w->pid;
	p->jobs[i].state = JOB_RUNNING;
	p->active[p->running++] = i;
	return 0;
}

/* A worker that ended (a job exited or was killed): its job, if it had
 * one, ends with the worker's status. */
static void worker_gone(struct pool *p, struct worker *w)
{
	int status = close_and_reap(&w->fd, w->pid);

	if (!w->busy)
		return;
	w->busy = false;
	for (size_t s = 0; s < p->running; s++)
		if (p->active[s] == w->job) {
			job_reaped(p, s, status);
			break;
		}
}

/* The socket of worker k while it runs a job */
static int worker_busy_fd(struct pool *p, size_t k, size_t *worker)
{
	*worker = k;
	return p->workers[k].busy ? p->workers[k].fd : -1;
}

/* Worker k answered (or ended: its job ends with it) */
static void worker_answered(struct pool *p, size_t k)
{
	struct worker *w = &p->workers[k];
	struct worker_report rep;
	ssize_t got;

	do
		got = recv(w->fd, &rep, sizeof(rep), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(rep) || rep.job != w->job) {
		worker_gone(p, w);
		return;
	}
	w->busy = false;
	for (size_t s = 0; s < p->running; s++)
		if (p->active[s] == rep.job) {
			p->active[s] = p->active[--p->running];
			job_done(p, rep.job, rep.code);
			break;
		}
}

/* Waits for workers to answer; -1 only when nothing can be waited for. */
static int workers_wait(struct pool *p)
{
	return poll_ready(p, p->nworkers, worker_busy_fd, worker_answered);
}

/* The end: each worker reads EOF and exits, and is reaped */
static void workers_end(struct pool *p)
{
	for (size_t k = 0; k < p->nworkers; k++)
		if (p->workers[k].fd >= 0)
			worker_gone(p, &p->workers[k]);
}

/* Forks job i; -1 when it could not be. */
static int job_start(struct pool *p, size_t i)
{
	int fds[2] = {-1, -1};
	pid_t pid;

	if (!p->collect)
		return worker_give(p, i);
	if (p->collect && pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if (p->collect) /* room for a whole slice: a worker rarely waits */
		(void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
	pid = fork_retry();
	if (pid == 0) {
		if (p->collect)
			close(fds[0]);
		job_child(i, p->fn, p->arg, fds[1]);
	}
	if (p->collect)
		close(fds[1]);
	if (pid < 0) {
		if (p->collect)
			close(fds[0]);
		return -1;
	}
	p->jobs[i].pid = pid;
	p->jobs[i].fd = fds[0];
	p->jobs[i].state = JOB_RUNNING;
	p->active[p->running++] = i;
	return 0;
}

/* Starts the ready jobs while there is room. A job whose fork fails runs
 * here once every running job has ended, so output order holds. */
static void start_ready(struct pool *p)
{
	while (p->ready_head < p->ready_tail && p->running < p->max_parallel) {
		size_t i = p->ready[p->ready_head];

		if (p->jobs[i].skip) {
			p->ready_head++;
			job_done(p, i, POOL_SKIPPED);
			continue;
		}
		if (job_start(p, i) == 0) {
			p->ready_head++;
			continue;
		}
		if (p->running > 0)
			break;
		p->ready_head++;
		if (p->collect)
			flush_done(p);
		job_done(p, i, p->fn(i, p->arg));
		fflush(NULL);
	}
}

/* Who waits for whom, from the prerequisite lists */
static void index_dependents(struct pool *p, const struct pool_spec *spec)
{
	size_t *fill = xcalloc(p->n + 1, sizeof(*fill));

	p->first = xcalloc(p->n + 1, sizeof(*p->first));
	for (size_t i = 0; i < p->n; i++)
		for (size_t k = 0; k < spec[i].ndeps; k++)
			p->first[spec[i].deps[k].job + 1]++;
	for (size_t i = 0; i < p->n; i++)
		p->first[i + 1] += p->first[i];
	p->dependents = xcalloc(p->first[p->n] + 1, sizeof(*p->dependents));
	p->hard = xcalloc(p->first[p->n] + 1, sizeof(*p->hard));
	for (size_t i = 0; i < p->n; i++)
		for (size_t k = 0; k < spec[i].ndeps; k++) {
			size_t to = spec[i].deps[k].job, at = p->first[to] + fill[to]++;

			p->dependents[at] = i;
			p->hard[at] = spec[i].deps[k].hard;
		}
	free(fill);
}

/* The loop behind pool_run and pool_run_deps; spec NULL: no prerequisites */
static int pool_loop(struct pool *p, const struct pool_spec *spec)
{
	int rc = 0;

	p->jobs = xcalloc(p->n, sizeof(*p->jobs));
	p->ready = xcalloc(p->n, sizeof(*p->ready));
	p->active = xcalloc(p->max_parallel, sizeof(*p->active));
	if (!p->collect)
		p->workers = xcalloc(p->max_parallel, sizeof(*p->workers));
	if (spec)
		index_dependents(p, spec);
	for (size_t i = 0; i < p->n; i++) {
		p->jobs[i].fd = -1;
		p->codes[i] = EXIT_FAILED;
		if (p->cause)
			p->cause[i] = POOL_NO_CAUSE;
		p->jobs[i].waiting = spec ? spec[i].ndeps : 0;
		p->jobs[i].skip = spec && spec[i].skip;
		/* a job not to be run is done at once: it holds up nothing */
		if (p->jobs[i].waiting == 0 || p->jobs[i].skip)
			make_ready(p, i);
	}
	fflush(NULL);
	if (p->first_here) {
		/* the others are forked first, so that they run meanwhile;
		 * one whose fork fails waits in the queue (start_ready would
		 * run it here, ahead of job 0's output) */
		p->ready_head = 1;
		while (p->ready_head < p->ready_tail && p->running < p->max_parallel &&
		       job_start(p, p->ready[p->ready_head]) == 0)
			p->ready_head++;
		job_done(p, 0, p->fn(0, p->arg));
		fflush(NULL);
		flush_done(p);
	}
	while (p->done < p->n) {
		start_ready(p);
		if (p->running == 0) {
			if (p->ready_head < p->ready_tail)
				continue;
			/* the jobs left wait for each other: the first goes */
			for (size_t i = 0; i < p->n; i++)
				if (p->jobs[i].state == JOB_WAITING) {
					make_ready(p, i);
					break;
				}
			continue;
		}
		if ((p->collect ? collect_some(p) : workers_wait(p)) < 0) {
			rc = -1;
			break;
		}
		if (p->collect)
			flush_done(p);
	}
	workers_end(p);
	for (size_t i = 0; i < p->n; i++) {
		if (p->jobs[i].fd >= 0)
			close(p->jobs[i].fd);
		free(p->jobs[i].out);
	}
	free(p->workers);
	free(p->jobs);
	free(p->ready);
	free(p->active);
	free(p->first);
	free(p->dependents);
	free(p->hard);
	return rc;
}

/* Runs fn(i, arg) for i in 0..n-1, at most max_parallel at once, in
 * worker processes (a single job runs in this one), and puts each job's return
 * value (its exit status) in codes[i]. Returns 0, or -1 if waiting failed
 * (the codes of jobs not reaped are EXIT_FAILED). */
int pool_run(size_t n, size_t max_parallel, pool_job_fn fn, void *arg, int *codes,
	     bool collect)
{
	struct pool p = {
		.n = n, .fn = fn, .arg = arg, .codes = codes, .collect = collect};

	if (n == 1) {
		codes[0] = fn(0, arg);
		return 0;
	}
	p.max_parallel = max_parallel < 1 ? 1 : max_parallel;
	/* collected output is written in job order, and job 0's comes first:
	 * this process runs it as it is, a fork fewer */
	p.first_here = collect && n > 1;
	return pool_loop(&p, NULL);
}

/* As pool_run, each job starting once its prerequisites (spec[i].deps) have
 * ended. A job with a hard prerequisite that failed or was skipped is not
 * run: its code is POOL_SKIPPED and cause[i] that prerequisite. Jobs that
 * wait for each other in a circle are run one at a time rather than never. */
int pool_run_deps(size_t n, size_t max_parallel, const struct pool_spec *spec,
		  pool_job_fn fn, void *arg, int *codes, size_t *cause)
{
	struct pool p = {.n = n, .fn = fn, .arg = arg, .codes = codes, .cause = cause};

	if (n == 0)
		return 0;
	p.max_parallel = max_parallel < 1 ? 1 : max_parallel;
	return pool_loop(&p, spec);
}
