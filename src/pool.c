/* pool: runs jobs 0..n-1 in child processes, a bounded number at a time,
 * and reports each job's exit code. A job may wait for prerequisite jobs
 * (start --all in dependency order, stop --all in reverse); one whose hard
 * prerequisite failed is not run. With collect, each child's standard
 * output goes to a pipe and is copied to ours in job order, so parallel
 * workers print as one process would. One pool serves start/stop/restart
 * --all (a job per service) and the status list (a job per slice). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct pool {
	size_t n, max_parallel;
	pool_job_fn fn;
	void *arg;
	int *codes;
	size_t *cause;
	bool collect;
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

/* Collect mode: reads what the running jobs write until one of them ends
 * (EOF, then reaps it). Returns -1 only when nothing can be waited for. */
static int collect_some(struct pool *p)
{
	struct pollfd *pfd = xcalloc(p->running + 1, sizeof(*pfd));
	size_t *which = xcalloc(p->running + 1, sizeof(*which)), npfd = 0;
	char buf[65536];
	int rc = 0, r;

	for (size_t s = 0; s < p->running; s++)
		if (p->jobs[p->active[s]].fd >= 0) {
			pfd[npfd].fd = p->jobs[p->active[s]].fd;
			pfd[npfd].events = POLLIN;
			which[npfd++] = p->active[s];
		}
	if (npfd == 0) {
		rc = -1;
		goto out;
	}
	do
		r = poll(pfd, npfd, -1);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		rc = -1;
		goto out;
	}
	for (size_t k = 0; k < npfd; k++) {
		struct job *j = &p->jobs[which[k]];
		ssize_t got;
		int status;

		if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		do
			got = read(j->fd, buf, sizeof(buf));
		while (got < 0 && errno == EINTR);
		if (got > 0) {
			job_append(j, buf, (size_t)got);
			continue;
		}
		close(j->fd);
		j->fd = -1;
		while (waitpid(j->pid, &status, 0) < 0)
			if (errno != EINTR) {
				status = EXIT_FAILED << 8;
				break;
			}
		for (size_t s = 0; s < p->running; s++)
			if (p->active[s] == which[k]) {
				job_reaped(p, s, status);
				break;
			}
	}
out:
	free(pfd);
	free(which);
	return rc;
}

/* Without collect: waits for any job to end. */
static int reap_one(struct pool *p)
{
	int status;
	pid_t done;

	do
		done = wait(&status);
	while (done < 0 && errno == EINTR);
	if (done < 0)
		return -1;
	for (size_t s = 0; s < p->running; s++)
		if (p->jobs[p->active[s]].pid == done) {
			job_reaped(p, s, status);
			break;
		}
	return 0;
}

/* Forks job i; -1 when it could not be. */
static int job_start(struct pool *p, size_t i)
{
	int fds[2] = {-1, -1};
	pid_t pid;

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
		if ((p->collect ? collect_some(p) : reap_one(p)) < 0) {
			rc = -1;
			break;
		}
		if (p->collect)
			flush_done(p);
	}
	for (size_t i = 0; i < p->n; i++) {
		if (p->jobs[i].fd >= 0)
			close(p->jobs[i].fd);
		free(p->jobs[i].out);
	}
	free(p->jobs);
	free(p->ready);
	free(p->active);
	free(p->first);
	free(p->dependents);
	free(p->hard);
	return rc;
}

/* Runs fn(i, arg) for i in 0..n-1, at most max_parallel at once, each in a
 * child process (a single job runs in this one), and puts each job's return
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
