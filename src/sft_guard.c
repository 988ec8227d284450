/* sft_guard.c - the guard process and the mapping it shares with the caller. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_guard.h"
#include "sft_clock.h"
#include "sft_lock.h"
#include "sft_pidfd.h"
#include "sft_pidset.h"
#include "sft_procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The guard wakes at least this often to look at the shared state: a
 * child the caller forked may hold the release pipe open. */
#define GUARD_TICK_MS 100

/* How many 1 ms waits for the caller's own previous guard to go. */
#define LOCK_RETRIES 2000

enum {
    G_STARTING,   /* the guard is setting up                      */
    G_ARMED,      /* watching: the caller may be stopping things  */
    G_BUSY,       /* another freeze holds the lock: not armed     */
    G_FAILED,     /* the guard could not set up                   */
    G_THAWING,    /* the caller is continuing everything: if it
                     dies now the guard finishes the job          */
    G_RELEASED,   /* the caller has thawed: exit                  */
    G_CUT,        /* max_frozen passed: the guard continued all   */
    G_FIRED       /* the caller died: the guard continued all     */
};

struct sft_guard_entry {
    pid_t pid;
    unsigned long long starttime;
};

struct sft_guard_shared {
    int state;                    /* __atomic access                  */
    pid_t guard_pid;
    pid_t caller;
    unsigned long long caller_starttime;
    double started, max_frozen;   /* sft_now() seconds                */
    size_t count;                 /* published entries: __atomic      */
    size_t cap;
    pid_t holder, holder_caller;  /* G_BUSY: who holds the lock       */
    int lock_errno;
    char procdir[160];
    struct sft_guard_entry entries[];
};

static int cas_state(struct sft_guard_shared *s, int from, int to)
{
    return __atomic_compare_exchange_n(&s->state, &from, to, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static int load_state(const struct sft_guard_shared *s)
{
    return __atomic_load_n(&s->state, __ATOMIC_SEQ_CST);
}

static unsigned long long starttime_of(const char *procdir, pid_t pid)
{
    char path[256];
    struct sft_stat st;

    snprintf(path, sizeof path, "%s/%ld/stat", procdir, (long)pid);
    return sft_stat_read(path, &st) == 0 ? st.starttime : 0;
}

/* Continues every recorded process that is still the one recorded, last
 * recorded first: later passes hold the children. */
static void continue_all(struct sft_guard_shared *s)
{
    size_t i = __atomic_load_n(&s->count, __ATOMIC_ACQUIRE);

    while (i-- > 0) {
        const struct sft_guard_entry *e = &s->entries[i];
        if (starttime_of(s->procdir, e->pid) == e->starttime)
            kill(e->pid, SIGCONT);
    }
}

static int caller_alive(const struct sft_guard_shared *s)
{
    return starttime_of(s->procdir, s->caller) == s->caller_starttime;
}

/* Leaves the guard with no descriptor but /dev/null on 0-2, release_fd
 * and ready_fd (moved to 3 and 4), so that it never holds a pipe or
 * socket of the caller's open. */
static void tidy_descriptors(int *release_fd, int *ready_fd)
{
    int null = open("/dev/null", O_RDWR);
    struct rlimit rl;

    if (dup2(*release_fd, 10) < 0 || dup2(*ready_fd, 11) < 0)
        _exit(1);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    dup2(10, 3);
    dup2(11, 4);
    *release_fd = 3;
    *ready_fd = 4;
    if (syscall(SYS_close_range, 5U, ~0U, 0) != 0) {
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
        int fd;
        for (fd = 5; fd < max; fd++)
            close(fd);
    }
}

static void guard_main(struct sft_guard_shared *s, int release_fd, int ready_fd)
{
    static const int ignored[] = { SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN,
                                   SIGTTOU, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD };
    struct sft_error err;
    sigset_t none;
    size_t i;
    int cfd, lock_fd;
    char one = 'r';

    /* Signals as a plain process has them: the caller's handlers are not
     * ours, and the caller may have blocked some while freezing. */
    for (i = 1; i < 32; i++)
        if (i != SIGKILL && i != SIGSTOP)
            signal((int)i, SIG_DFL);
    for (i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        signal(ignored[i], SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    prctl(PR_SET_NAME, "freezethaw-grd", 0, 0, 0);
    tidy_descriptors(&release_fd, &ready_fd);
    s->guard_pid = getpid();

    /* A lock held for this very caller belongs to the guard of its last
     * freeze, released and on its way out (it may take a tick to notice):
     * wait for it a little rather than fail. */
    for (i = 0;; i++) {
        sft_error_init(&err);
        lock_fd = sft_lock_take(s->procdir, s->caller, &err);
        if (lock_fd >= 0 || err.notes.n != 2 || err.notes.v[0].pid != s->caller
            || i >= LOCK_RETRIES)
            break;
        sft_error_free(&err);
        sft_sleep_us(1000);
    }
    if (lock_fd < 0) {
        if (err.notes.n == 2) {
            s->holder_caller = err.notes.v[0].pid;
            s->holder = err.notes.v[1].pid;
        }
        s->lock_errno = err.err;
        __atomic_store_n(&s->state, err.notes.n == 2 ? G_BUSY : G_FAILED, __ATOMIC_SEQ_CST);
        if (write(ready_fd, &one, 1) < 0)
            _exit(1);
        _exit(0);
    }
    cfd = sft_pidfd_open(s->caller);
    s->started = sft_now();
    __atomic_store_n(&s->state, G_ARMED, __ATOMIC_SEQ_CST);
    if (write(ready_fd, &one, 1) != 1)
        _exit(1);
    close(ready_fd);

    for (;;) {
        struct pollfd pf[2];
        int timeout = GUARD_TICK_MS, state = load_state(s), gone = 0, n;
        char buf[16];

        if (state == G_RELEASED)
            _exit(0);
        if (s->max_frozen > 0 && state == G_ARMED) {
            double left = s->started + s->max_frozen - sft_now();
            if (left <= 0) {
                if (cas_state(s, G_ARMED, G_CUT))
                    continue_all(s);
                continue;
            }
            if (left * 1000 < timeout)
                timeout = (int)(left * 1000) + 1;
        }
        pf[0].fd = release_fd;
        pf[0].events = POLLIN;
        pf[1].fd = cfd;
        pf[1].events = POLLIN;
        n = poll(pf, cfd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR)
            _exit(1);
        if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP)))
            gone = read(release_fd, buf, sizeof buf) == 0;   /* every writer closed */
        if (n > 0 && cfd >= 0 && (pf[1].revents & POLLIN))
            gone = 1;                                           /* the caller exited */
        if (cfd < 0 && !caller_alive(s))
            gone = 1;
        state = load_state(s);
        if (state == G_RELEASED)
            _exit(0);
        if (gone) {
            /* The caller died, or exec'd, without releasing: nobody else
             * will thaw (or finish thawing). */
            if (cas_state(s, G_ARMED, G_FIRED) || cas_state(s, G_THAWING, G_FIRED))
                continue_all(s);
            _exit(0);
        }
    }
}

int sft_guard_start(struct sft_guard *g, double max_frozen, const char *procdir,
                    struct sft_error *err)
{
    size_t cap = SFT_PID_MAX, len = sizeof(struct sft_guard_shared) + cap * sizeof(struct sft_guard_entry);
    struct sft_guard_shared *s;
    int release[2], ready[2], st, state;
    pid_t mid;
    char one;
    ssize_t n;

    memset(g, 0, sizeof *g);
    g->release_fd = -1;
    if (!procdir)
        procdir = "/proc";
    /* Room for every possible pid; only the pages written are ever used. */
    s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s == MAP_FAILED)
        return sft_error_set(err, SFT_E_GUARD, errno, "cannot start the guard process: mmap");
    s->state = G_STARTING;
    s->caller = getpid();
    s->caller_starttime = starttime_of(procdir, s->caller);
    s->max_frozen = max_frozen;
    s->cap = cap;
    snprintf(s->procdir, sizeof s->procdir, "%s", procdir);

    if (pipe2(release, O_CLOEXEC) != 0) {
        munmap(s, len);
        return sft_error_set(err, SFT_E_GUARD, errno, "cannot start the guard process: pipe");
    }
    if (pipe2(ready, O_CLOEXEC) != 0) {
        close(release[0]);
        close(release[1]);
        munmap(s, len);
        return sft_error_set(err, SFT_E_GUARD, errno, "cannot start the guard process: pipe");
    }
    mid = fork();
    if (mid == 0) {
        pid_t guard = fork();
        if (guard == 0)
            guard_main(s, release[0], ready[1]);
        _exit(guard < 0 ? 1 : 0);
    }
    close(release[0]);
    close(ready[1]);
    if (mid > 0)
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
            ;
    do
        n = read(ready[0], &one, 1);
    while (n < 0 && errno == EINTR);
    close(ready[0]);

    state = load_state(s);
    if (mid > 0 && n == 1 && state == G_ARMED) {
        g->shared = s;
        g->map_len = len;
        g->release_fd = release[1];
        g->pid = s->guard_pid;
        return 0;
    }
    close(release[1]);
    if (state == G_BUSY) {
        sft_error_note(err, s->holder_caller, NULL, 0, 0, 0);
        sft_error_note(err, s->holder, NULL, 0, 0, 0);
        sft_error_set(err, SFT_E_LOCKED, EAGAIN, "another freeze is in progress in this PID namespace");
    } else {
        sft_error_set(err, state == G_FAILED ? SFT_E_LOCKED : SFT_E_GUARD,
                      state == G_FAILED ? s->lock_errno : (mid < 0 ? errno : ECHILD),
                      state == G_FAILED ? "cannot make a lock file" : "cannot start the guard process");
    }
    munmap(s, len);
    return -1;
}

int sft_guard_record(struct sft_guard *g, pid_t pid, unsigned long long starttime)
{
    struct sft_guard_shared *s = g->shared;
    size_t n = s->count;

    if (n >= s->cap)
        return -1;
    s->entries[n].pid = pid;
    s->entries[n].starttime = starttime;
    __atomic_store_n(&s->count, n + 1, __ATOMIC_RELEASE);
    return 0;
}

int sft_guard_begin_thaw(struct sft_guard *g)
{
    if (!g->shared || cas_state(g->shared, G_ARMED, G_THAWING))
        return 0;
    return load_state(g->shared) == G_CUT;
}

void sft_guard_release(struct sft_guard *g)
{
    if (!g->shared)
        return;
    __atomic_store_n(&g->shared->state, G_RELEASED, __ATOMIC_SEQ_CST);
    close(g->release_fd);
    munmap(g->shared, g->map_len);
    memset(g, 0, sizeof *g);
    g->release_fd = -1;
}

int sft_guard_cut_short(const struct sft_guard *g)
{
    return g->shared && load_state(g->shared) == G_CUT;
}

double sft_guard_started(const struct sft_guard *g)
{
    return g->shared ? g->shared->started : 0;
}
