/* pool: runs jobs 0..n-1 in child processes, a bounded number at a time,
 * and reports each job's exit code. With collect, each child's standard
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

struct job {
	pid_t pid; /* 0: not started, -1: done */
	int fd; /* collect: the read end of its output pipe, -1 at EOF */
	char *out; /* collect: what it wrote, until its turn comes */
	size_t len, cap;
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
static void flush_done(struct job *jobs, size_t n, size_t *next_out)
{
	while (*next_out < n && jobs[*next_out].pid == -1) {
		struct job *j = &jobs[*next_out];

		if (j->len)
			(void)write_full(STDOUT_FILENO, j->out, j->len);
		free(j->out);
		j->out = NULL;
		j->len = j->cap = 0;
		(*next_out)++;
	}
}

/* Collect mode: reads what the running jobs write until one of them ends
 * (EOF, then reaps it). Returns -1 only when nothing can be waited for. */
static int collect_some(struct job *jobs, size_t n, int *codes, size_t *running)
{
	struct pollfd *pfd = xcalloc(n, sizeof(*pfd));
	size_t *which = xcalloc(n, sizeof(*which)), npfd = 0;
	char buf[65536];
	int rc = 0, r;

	for (size_t i = 0; i < n; i++)
		if (jobs[i].pid > 0 && jobs[i].fd >= 0) {
			pfd[npfd].fd = jobs[i].fd;
			pfd[npfd].events = POLLIN;
			which[npfd++] = i;
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
		struct job *j = &jobs[which[k]];
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
		codes[which[k]] = exit_code_of(status);
		j->pid = -1;
		(*running)--;
	}
out:
	free(pfd);
	free(which);
	return rc;
}

/* Without collect: waits for any job to end. */
static int reap_one(struct job *jobs, size_t n, int *codes, size_t *running)
{
	int status;
	pid_t done;

	do
		done = wait(&status);
	while (done < 0 && errno == EINTR);
	if (done < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].pid == done) {
			codes[i] = exit_code_of(status);
			jobs[i].pid = -1;
			(*running)--;
		}
	return 0;
}

/* Runs fn(i, arg) for i in 0..n-1, at most max_parallel at once, each in a
 * child process (a single job runs in this one), and puts each job's return
 * value (its exit status) in codes[i]. A job whose fork fails runs here once
 * every job before it has ended, so output order holds. Returns 0, or -1 if
 * waiting failed (the codes of jobs not reaped are EXIT_FAILED). */
int pool_run(size_t n, size_t max_parallel, pool_job_fn fn, void *arg, int *codes,
	     bool collect)
{
	struct job *jobs;
	size_t next = 0, running = 0, next_out = 0;
	int rc = 0;

	if (n == 1) {
		codes[0] = fn(0, arg);
		return 0;
	}
	if (max_parallel < 1)
		max_parallel = 1;
	jobs = xcalloc(n, sizeof(*jobs));
	for (size_t i = 0; i < n; i++) {
		jobs[i].fd = -1;
		codes[i] = EXIT_FAILED;
	}
	fflush(NULL);
	while (next < n || running > 0) {
		while (next < n && running < max_parallel) {
			int fds[2] = {-1, -1};
			pid_t pid;

			if (collect && pipe2(fds, O_CLOEXEC) < 0)
				goto inline_job;
			if (collect) /* room for a whole slice: a worker rarely waits */
				(void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
			pid = fork();
			if (pid == 0) {
				if (collect)
					close(fds[0]);
				job_child(next, fn, arg, fds[1]);
			}
			if (collect)
				close(fds[1]);
			if (pid < 0) {
				if (collect)
					close(fds[0]);
				goto inline_job;
			}
			jobs[next].pid = pid;
			jobs[next].fd = fds[0];
			next++;
			running++;
			continue;
		inline_job:
			/* no fork: wait for the jobs before it, then run it here */
			if (running > 0)
				break;
			flush_done(jobs, n, &next_out);
			codes[next] = fn(next, arg);
			fflush(NULL);
			jobs[next++].pid = -1;
			next_out = next;
		}
		if (running == 0)
			continue;
		if ((collect ? collect_some(jobs, n, codes, &running)
			     : reap_one(jobs, n, codes, &running)) < 0) {
			rc = -1;
			break;
		}
		if (collect)
			flush_done(jobs, n, &next_out);
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].fd >= 0)
			close(jobs[i].fd);
		free(jobs[i].out);
	}
	free(jobs);
	return rc;
}
