/* unit_threadlook.c - the other threads of processes, looked at at once. */
#include "tap.h"
#include "sft_threadlook.h"
#include "sft_procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MANY 130   /* at least SFT_SPREAD_MIN_READS: read from a thread per CPU */

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

/* A child of nthreads threads, all asleep; returns once /proc shows them. */
static pid_t child(int nthreads)
{
    char path[64];
    struct sft_stat st;
    pid_t pid = fork();
    int i;

    if (pid == 0) {
        pthread_t t;
        for (i = 1; i < nthreads; i++)
            pthread_create(&t, NULL, sleeper, NULL);
        sleeper(NULL);
    }
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    for (i = 0; i < 2000; i++) {
        if (sft_stat_read(path, &st) == 0 && st.num_threads == nthreads)
            break;
        usleep(1000);
    }
    return pid;
}

static void stop(pid_t pid)
{
    int status;
    kill(pid, SIGSTOP);
    waitpid(pid, &status, WUNTRACED);   /* reported once every thread has stopped */
}

static void end(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* A thread of pid other than the leader, or 0. */
static pid_t other_thread(pid_t pid)
{
    char path[64];
    pid_t tid = 0;
    FILE *f;

    for (tid = pid + 1; tid < pid + 64; tid++) {
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", (long)pid, (long)tid);
        if ((f = fopen(path, "r")) != NULL) {
            fclose(f);
            return tid;
        }
    }
    return 0;
}

static int open_count(void)
{
    int n = 0, fd;
    for (fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

int main(void)
{
    static pid_t pids[MANY];
    static struct sft_thread_look looks[MANY];
    struct sft_statfds c;
    pid_t p = child(4), gone = child(1);
    int fds, i, all;

    end(gone);
    fds = open_count();

    sft_threads_look_many(NULL, "/proc", &p, looks, 1);
    ok(looks[0].done && looks[0].running == 'S', "asleep: a thread that runs, in S, and the look stops there");
    ok(looks[0].reads == 1, "after one read (%zu)", looks[0].reads);

    stop(p);
    sft_threads_look_many(NULL, "/proc", &p, looks, 1);
    ok(looks[0].done && !looks[0].running, "stopped: done, nothing runs");
    ok(looks[0].stopped == 3 && looks[0].reads == 3, "the 3 other threads read, in T (%zu of %zu)",
       looks[0].stopped, looks[0].reads);

    sft_statfds_init(&c, 16);
    sft_statfds_open_dir(&c, "/proc");
    sft_threads_look_many(&c, "/proc", &p, looks, 1);
    ok(looks[0].done && !looks[0].running && looks[0].stopped == 3, "the same relative to the cache's /proc");
    ok(c.open == 0, "the cache keeps none of the files");
    sft_statfds_free(&c);
    ok(open_count() == fds, "no descriptor left open");

    sft_threads_look_many(NULL, "/proc", &gone, looks, 1);
    ok(!looks[0].done, "a process gone: not done (the caller finds it gone)");

    {
        pid_t tid = other_thread(p);
        int status;
        kill(p, SIGCONT);
        if (tid > 0 && ptrace(PTRACE_SEIZE, tid, 0, 0) == 0 && ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0
            && waitpid(tid, &status, __WALL) == tid) {
            kill(p, SIGSTOP);
            usleep(20000);
            sft_threads_look_many(NULL, "/proc", &p, looks, 1);
            ok(!looks[0].done, "a thread in t (held by a tracer): not done, left to the caller");
            ptrace(PTRACE_DETACH, tid, 0, 0);
        } else {
            ok(1, "a thread in t: skipped, cannot trace here (%s)", strerror(errno));
        }
    }
    end(p);

    for (i = 0; i < MANY; i++)
        pids[i] = child(2);
    for (i = 0; i < MANY; i++)
        stop(pids[i]);
    fds = open_count();
    sft_threads_look_many(NULL, "/proc", pids, looks, MANY);
    for (i = 0, all = 1; i < MANY; i++)
        all &= looks[i].done && !looks[i].running && looks[i].stopped == 1 && looks[i].reads == 1;
    ok(all, "%d stopped processes of 2 threads, looked at from a thread per CPU: each done, its other thread in T", MANY);
    ok(open_count() == fds, "no descriptor left open");
    kill(pids[MANY / 2], SIGCONT);
    usleep(20000);
    sft_threads_look_many(NULL, "/proc", pids, looks, MANY);
    ok(looks[MANY / 2].done && looks[MANY / 2].running, "one continued: its thread runs");
    ok(looks[0].done && !looks[0].running && looks[MANY - 1].done && !looks[MANY - 1].running,
       "the others: stopped");
    for (i = 0; i < MANY; i++)
        end(pids[i]);

    return done_testing();
}
