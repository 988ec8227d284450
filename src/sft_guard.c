/* sft_guard.c - the guard process and the mapping it shares with the caller. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_guard.h"
#include "sft_boost.h"
#include "sft_clock.h"
#include "sft_lock.h"
#include "sft_pidfd.h"
#include "sft_pidset.h"
#include "sft_procstat.h"
#include "sft_ptrace.h"
#include "sft_spawn.h"
#include "sft_spread.h"
#include "sft_thaw.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The guard wakes at least this often to look at the shared state: a
 * child the caller forked may hold the release pipe open. */
#define GUARD_TICK_MS 100

/* How long a guard waits, polling every 1 ms, for a lock another guard
 * holds: for the caller's own previous guard, or for one whose caller has
 * died (it continues what that caller stopped, then goes), and for any
 * other holder, which may be on its way out after its caller's thaw.
 * Failing at once made a freeze right after another's end fail under
 * load, "another freeze is in progress" though none was.  Seconds of the
 * clock, not a count of polls: on a loaded machine 2000 sleeps of 1 ms
 * took longer than 2 s, closer to the caller's GUARD_START_WAIT_S. */
#define LOCK_WAIT_S 2.0
#define LOCK_HANDOVER_WAIT_S 0.1

/* How many 20 us waits for the middle process to exit before a freeze
 * asked for at the start begins without it: it exits at once, in 0.1 ms
 * or so; a freeze that seized it first was never answered, the caller
 * waiting for it. */
#define MIDDLE_WAITS 250

/* How long the caller waits for the guard's answer beyond the time the
 * answer may take (a ptrace freeze's timeout; nothing for a thaw): the
 * guard answers within milliseconds of its own deadline unless it is
 * stuck (starved of every CPU, or a bug).  Then SIGUSR1 asks it to give
 * up and continue what it stopped, and GUARD_KILL_AFTER_S later SIGKILL
 * ends it: the kernel lets go of every process it had seized, and the
 * caller continues the rest itself where it knows them.  Without this a
 * stuck guard left the caller waiting, and the machine frozen, for ever. */
#define GUARD_GRACE_S 3.0
#define GUARD_KILL_AFTER_S 1.0   /* the messages of sft_guard_ptrace_freeze quote both */

/* How long the caller waits for a new guard to arm (it takes 1-2 ms; its
 * wait for the caller's previous guard to let go of the lock at most
 * LOCK_WAIT_S) before it kills it and the freeze fails, nothing
 * stopped yet.  The message of start_guard quotes it. */
#define GUARD_START_WAIT_S 5.0

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
    unsigned int pass;            /* ptrace results: the pass of the pid */
    unsigned long long starttime;
    int policy_to_restore;        /* SFT_GUARD_POLICY_KEPT: untouched */
};

/* How many notes of an error or a report cross the mapping. */
#define SHARED_NOTES 64

struct sft_guard_shared {
    int state;                    /* __atomic access                  */
    pid_t guard_pid;
    pid_t caller;
    unsigned long long caller_starttime;
    long caller_threads;          /* at the fork: only 1 lets a forked
                                     guard start threads of its own    */
    int own_program;              /* the guard runs its program: no
                                     lock of the caller's in it        */
    pid_t middle;                 /* the guard's parent, which the caller
                                     waits for: never to be frozen     */
    char stall_cmd;               /* tests only (FREEZETHAW_TEST_GUARD_STALL):
                                     the guard sleeps stall_ms before
                                     arming ('S'), before answering 'F'
                                     or before carrying out 'T': a guard
                                     that is stuck; or before freezing
                                     until SIGUSR1 comes ('f'): a slow
                                     one; or before continuing all once
                                     the caller died ('U'), or before
                                     exiting after a thaw ('R'): a guard
                                     slow to let go of the lock        */
    long stall_ms;
    long linger_ms;               /* tests only (FREEZETHAW_TEST_MIDDLE_LINGER_MS,
                                     t/46): the program's middle process
                                     lingers this long after the fork  */
    int unstarted_helpers;        /* tests only (FREEZETHAW_TEST_UNSTARTED_HELPERS,
                                     t/51): sft_freeze_opts's          */
    double started, max_frozen;   /* sft_now() seconds                */
    size_t count;                 /* published entries: __atomic      */
    size_t cap;
    pid_t holder, holder_caller;  /* G_BUSY: who holds the lock       */
    int lock_errno;
    char procdir[160];
    char record_path[256];        /* "": none                         */
    /* The ptrace method: the guard freezes.  Request: */
    int ptrace_method;            /* entries[] hold results, not a record */
    int freeze_at_once;           /* asked for at the start: no 'F'   */
    double timeout;
    int partial_ok, no_pidfd, tracers;
    int load;                   /* SFT_LOAD_*, as the caller found it     */
    size_t nexclude;              /* the exclusions are in entries[]  */
    /* Result: the token in entries[0..count) with their passes; */
    int err_code, err_errno;
    size_t err_nnotes;            /* all of them; SHARED_NOTES kept   */
    struct sft_note err_notes[SHARED_NOTES];
    struct sft_freeze_stats stats;/* its counted_frozen is not valid  */
    size_t ncounted;
    struct sft_note counted[SHARED_NOTES];
    size_t nfallback;             /* stopped with signals: not seized */
    pid_t fallback[SHARED_NOTES];
    struct sft_guard_entry entries[];
};

/* The record file: this header, then one struct sft_guard_entry per
 * process at the index the shared record gives it.  Written with pwrite()
 * (a full disk is an error, not a SIGBUS), before each stop is sent. */
struct record_header {
    char magic[8];
    pid_t caller;
    unsigned long long caller_starttime;
};
static const char RECORD_MAGIC[8] = "SFTREC1";

/* Writes entries ix..ix+n-1 (at e) to their place in the record. */
static void record_write(int fd, long ix, const struct sft_guard_entry *e, size_t n)
{
    size_t len = n * sizeof *e;

    if (fd >= 0 && pwrite(fd, e, len, (off_t)(sizeof(struct record_header) + (size_t)ix * sizeof *e))
                   != (ssize_t)len) {
        /* Recovery is best effort: the guard is the safety net. */
    }
}

/* Tests only (FREEZETHAW_TEST_GUARD_STALL): sleeps at the point `at`. */
static void test_stall(const struct sft_guard_shared *s, char at)
{
    if (s->stall_cmd == at)
        sft_sleep_us(s->stall_ms * 1000L);
}

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
        int policy = __atomic_load_n(&e->policy_to_restore, __ATOMIC_ACQUIRE);
        if (starttime_of(s->procdir, e->pid) != e->starttime)
            continue;
        if (policy != SFT_GUARD_POLICY_KEPT) {
            struct sched_param normal;
            memset(&normal, 0, sizeof normal);
            sched_setscheduler(e->pid, policy, &normal);
        }
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
static void tidy_descriptors(int *fds, int nfds)
{
    int null = open("/dev/null", O_RDWR), i;
    struct rlimit rl;

    for (i = 0; i < nfds; i++)
        if (dup2(fds[i], 20 + i) < 0)
            _exit(1);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    for (i = 0; i < nfds; i++) {
        dup2(20 + i, 3 + i);
        fds[i] = 3 + i;
    }
    if (syscall(SYS_close_range, (unsigned)(3 + nfds), ~0U, 0) != 0) {
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
        int fd;
        for (fd = 3 + nfds; fd < max; fd++)
            close(fd);
    }
}

/* What the guard holds for the ptrace method. */
struct held {
    struct sft_tracees tracees;
    struct sft_token fallback;    /* stopped with signals */
};

static void copy_notes(struct sft_note *to, size_t *count, const struct sft_notes *from)
{
    size_t i;

    *count = from->n;
    for (i = 0; i < from->n && i < SHARED_NOTES; i++)
        to[i] = from->v[i];
}

/* The ptrace freeze, run in the guard on the caller's request: seize what
 * can be seized, stop the rest with signals (parents first), publish the
 * token, the report and any error in the mapping. */
static void ptrace_freeze(struct sft_guard_shared *s, struct held *h)
{
    struct sft_freeze_opts o;
    struct sft_token token;
    struct sft_proclist unseized;
    struct sft_freeze_stats stats, fstats;
    struct sft_error err;
    sigset_t abort_on;
    pid_t *exclude;
    size_t i, n, k;
    int rc;

    sigemptyset(&abort_on);
    sigaddset(&abort_on, SIGUSR1);      /* the caller's way to abort */
    memset(&stats, 0, sizeof stats);
    memset(&fstats, 0, sizeof fstats);
    memset(&o, 0, sizeof o);
    o.timeout = s->timeout;
    o.partial_ok = s->partial_ok;
    o.load = s->load;
    o.no_pidfd = s->no_pidfd;
    /* A thread started in the child of a threaded caller could wait
     * forever on a lock another thread of the caller held at the fork
     * (glibc resets malloc's and stdio's in the child, not every lock
     * pthread_create may take): then one tracer, this thread.  The guard
     * program forked itself, single-threaded: it holds no such lock. */
    o.tracers = s->own_program || s->caller_threads == 1 ? s->tracers : 1;
    o.unstarted_helpers = s->unstarted_helpers;
    o.procdir = s->procdir;
    o.abort_on = &abort_on;
    exclude = malloc((s->nexclude + SHARED_NOTES + 2) * sizeof *exclude);
    for (i = 0; exclude && i < s->nexclude; i++)
        exclude[i] = s->entries[i].pid;
    o.exclude = exclude;
    o.nexclude = exclude ? s->nexclude : 0;
    if (exclude)
        exclude[o.nexclude++] = s->caller;
    if (exclude && getppid() == s->middle)
        exclude[o.nexclude++] = s->middle;     /* still exiting */

    sft_token_init(&token);
    sft_proclist_init(&unseized);
    sft_error_init(&err);
    rc = exclude ? sft_ptrace_freeze(&o, &token, &h->tracees, &unseized, &stats, &err)
                 : sft_error_set(&err, SFT_E_NOMEM, ENOMEM, "out of memory");
    if (rc == 0 && unseized.n) {
        /* The rest with signals.  What ptrace holds is frozen: it is not
         * signalled again (one may be in D with its trap pending), and a
         * tracee of one of them is as frozen as its tracer. */
        pid_t *include = malloc(unseized.n * sizeof *include);
        for (i = 0; include && i < unseized.n; i++)
            include[i] = unseized.v[i].pid;
        o.include = include;
        o.ninclude = include ? unseized.n : 0;
        o.held = token.pids;
        o.nheld = token.npids;
        rc = sft_freeze(&o, &h->fallback, &fstats, &err);
        free(include);
        stats.stat_reads += fstats.stat_reads;
        sft_freeze_stats_free(&fstats);
        if (rc != 0) {
            sft_ptrace_thaw(&h->tracees);
            sft_tracees_free(&h->tracees);
        }
    }
    free(exclude);

    /* Publish: the seized passes, then the signal-stopped ones. */
    n = 0;
    for (k = 0; rc == 0 && k < token.npasses; k++)
        for (i = sft_token_pass_start(&token, k); i < token.pass_end[k] && n < s->cap; i++, n++) {
            s->entries[n].pid = token.pids[i];
            s->entries[n].pass = (unsigned)k;
            s->entries[n].starttime = token.starttimes ? token.starttimes[i] : 0;
            s->entries[n].policy_to_restore = SFT_GUARD_POLICY_KEPT;
        }
    for (k = 0; rc == 0 && k < h->fallback.npasses; k++)
        for (i = sft_token_pass_start(&h->fallback, k); i < h->fallback.pass_end[k] && n < s->cap; i++, n++) {
            s->entries[n].pid = h->fallback.pids[i];
            s->entries[n].pass = (unsigned)(token.npasses + k);
            s->entries[n].starttime = h->fallback.starttimes ? h->fallback.starttimes[i] : 0;
            s->entries[n].policy_to_restore = SFT_GUARD_POLICY_KEPT;
        }
    __atomic_store_n(&s->count, n, __ATOMIC_RELEASE);   /* after the entries: see continue_all */
    s->err_code = rc == 0 ? SFT_OK : err.code;
    s->err_errno = err.err;
    copy_notes(s->err_notes, &s->err_nnotes, &err.notes);
    copy_notes(s->counted, &s->ncounted, &stats.counted_frozen);
    s->nfallback = unseized.n;
    for (i = 0; i < unseized.n && i < SHARED_NOTES; i++)
        s->fallback[i] = unseized.v[i].pid;
    s->stats = stats;
    s->stats.processes = n;
    s->stats.passes = token.npasses + h->fallback.npasses;
    memset(&s->stats.counted_frozen, 0, sizeof s->stats.counted_frozen);
    sft_freeze_stats_free(&stats);
    sft_error_free(&err);
    sft_token_free(&token);
    sft_proclist_free(&unseized);
}

/* Ends the ptrace method's window: the signal-stopped ones first
 * (children first), then every tracee. */
static void ptrace_thaw(struct held *h)
{
    struct sft_error ignored;

    sft_error_init(&ignored);
    (void)sft_thaw(&h->fallback, NULL, NULL, &ignored);
    sft_error_free(&ignored);
    sft_token_free(&h->fallback);
    sft_ptrace_thaw(&h->tracees);
    sft_tracees_free(&h->tracees);
}

/* Everything the guard must undo when the caller dies or MAX_FROZEN
 * passes: what the caller recorded (signal method), or what the guard
 * holds itself (ptrace method; the tracees would also be detached by the
 * kernel when the guard exits). */
static void undo_all(struct sft_guard_shared *s, struct held *h)
{
    if (s->ptrace_method)
        ptrace_thaw(h);
    else
        continue_all(s);
}

/* How long to wait for a lock held for holder_caller (see LOCK_WAIT_S).
 * A guard on its way out of its caller's last freeze holds it for a tick;
 * one whose caller died holds it while it continues everything. */
static double lock_wait(const struct sft_guard_shared *s, pid_t holder_caller)
{
    if (holder_caller == s->caller || sft_lock_holder_gone(s->procdir, holder_caller))
        return LOCK_WAIT_S;
    return LOCK_HANDOVER_WAIT_S;
}

/* The caller has thawed: the guard's work is done. */
static void released(const struct sft_guard_shared *s)
{
    test_stall(s, 'R');   /* t/40 only: slow to go */
    _exit(0);
}

/* Carries out the caller's command ('F' freeze, 'T' thaw) and replies. */
static void run_command(struct sft_guard_shared *s, struct held *h, char cmd, int reply_fd)
{
    char reply = cmd == 'F' ? 'f' : 't';
    struct sft_boost cmd_boost;

    /* Until the reply is written: at normal priority the reply to a thaw
     * waited half a second behind the busy processes woken. */
    sft_boost_begin(&cmd_boost, 0);
    /* t/50 only: stuck holding everything, or before letting go, deaf to
     * SIGUSR1, which stays blocked; or slow to start the freeze ('f'),
     * until the caller's SIGUSR1 comes, which the freeze then obeys. */
    if (cmd == 'T')
        test_stall(s, 'T');
    if (s->stall_cmd == 'f' && cmd == 'F') {
        sigset_t usr1;
        long slept;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        for (slept = 0; slept < s->stall_ms && !sft_pending_signal(&usr1); slept += 10)
            sft_sleep_us(10000);
    }
    if (cmd == 'F') {
        s->ptrace_method = 1;
        ptrace_freeze(s, h);
    } else if (cmd == 'T') {
        ptrace_thaw(h);
    }
    if (cmd == 'F')
        test_stall(s, 'F');
    if (write(reply_fd, &reply, 1) < 0) {
        /* the caller is gone: its loop sees it */
    }
    sft_boost_end(&cmd_boost);
}

static void guard_main(struct sft_guard_shared *s, struct sft_boost *boost, int release_fd,
                       int ready_fd, int cmd_fd, int reply_fd)
{
    struct held h;
    static const int ignored[] = { SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN,
                                   SIGTTOU, SIGUSR2, SIGALRM };
    struct sft_error err;
    sigset_t none;
    size_t i;
    double lock_since;
    int cfd, lock_fd, sfd;
    char one = 'r';

    /* Forked from a caller with threads: no thread of its own (see
     * ptrace_freeze's tracers), whatever spreads over the CPUs. */
    if (!s->own_program && s->caller_threads != 1)
        sft_spread_alone();
    /* Signals as a plain process has them: the caller's handlers are not
     * ours, and the caller may have blocked some while freezing. */
    for (i = 1; i < 32; i++)
        if (i != SIGKILL && i != SIGSTOP)
            signal((int)i, SIG_DFL);
    for (i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        signal(ignored[i], SIG_IGN);
    sigemptyset(&none);
    sigaddset(&none, SIGUSR1);   /* held: the caller's request to abort */
    sigaddset(&none, SIGCHLD);   /* read through a signalfd: tracees that die */
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    prctl(PR_SET_NAME, "freezethaw-grd", 0, 0, 0);
    {
        int fds[4] = { release_fd, ready_fd, cmd_fd, reply_fd };
        tidy_descriptors(fds, 4);
        release_fd = fds[0];
        ready_fd = fds[1];
        cmd_fd = fds[2];
        reply_fd = fds[3];
    }
    memset(&h, 0, sizeof h);
    sft_token_init(&h.fallback);
    s->guard_pid = getpid();
    test_stall(s, 'S');   /* t/40 only: a guard that never arms */

    for (lock_since = sft_now();;) {
        sft_error_init(&err);
        lock_fd = sft_lock_take(s->procdir, s->caller, &err);
        if (lock_fd >= 0 || err.notes.n != 2 || sft_now() - lock_since >= lock_wait(s, err.notes.v[0].pid))
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
    {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    s->started = sft_now();
    __atomic_store_n(&s->state, G_ARMED, __ATOMIC_SEQ_CST);
    if (write(ready_fd, &one, 1) != 1)
        _exit(1);
    close(ready_fd);
    /* The guard keeps the priority it inherited for its whole life: it
     * sleeps in poll() and, woken, must act at once.  A dead man's switch
     * that waits for the CPU behind busy processes reacts late, and a guard
     * slow to exit after a thaw kept the lock from the next freeze. */
    sft_boost_child_keep(boost);
    /* Asked for with the start: the round trip of a command (the ready
     * byte read, 'F' written, poll() woken) cost 0.1-0.2 ms before the
     * first seizure. */
    if (s->freeze_at_once) {
        for (i = 0; getppid() == s->middle && i < MIDDLE_WAITS; i++)
            sft_sleep_us(20);
        run_command(s, &h, 'F', reply_fd);
    }

    for (;;) {
        struct pollfd pf[4];
        int timeout = GUARD_TICK_MS, state = load_state(s), gone = 0, n;
        char buf[16];

        if (state == G_RELEASED)
            released(s);
        if (s->max_frozen > 0 && state == G_ARMED) {
            double left = s->started + s->max_frozen - sft_now();
            if (left <= 0) {
                if (cas_state(s, G_ARMED, G_CUT))
                    undo_all(s, &h);
                continue;
            }
            if (left * 1000 < timeout)
                timeout = (int)(left * 1000) + 1;
        }
        pf[0].fd = release_fd;
        pf[0].events = POLLIN;
        pf[1].fd = cmd_fd;
        pf[1].events = POLLIN;
        pf[2].fd = sfd;
        pf[2].events = POLLIN;
        pf[3].fd = cfd;
        pf[3].events = POLLIN;
        n = poll(pf, cfd >= 0 ? 4 : 3, timeout);
        if (n < 0 && errno != EINTR)
            _exit(1);
        if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP)))
            gone = read(release_fd, buf, sizeof buf) == 0;   /* every writer closed */
        if (n > 0 && (pf[1].revents & POLLIN) && read(cmd_fd, buf, 1) == 1)
            run_command(s, &h, buf[0], reply_fd);
        if (n > 0 && (pf[2].revents & POLLIN)) {
            /* A tracee died: its death is reported to us first; reaping it
             * passes it on to its real parent, whose wait() would hang. */
            struct signalfd_siginfo si;
            int st;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                ;
            while (waitpid(-1, &st, WNOHANG | __WALL) > 0)
                ;
        }
        if (n > 0 && cfd >= 0 && (pf[3].revents & POLLIN))
            gone = 1;                                           /* the caller exited */
        if (cfd < 0 && !caller_alive(s))
            gone = 1;
        state = load_state(s);
        if (state == G_RELEASED)
            released(s);
        if (gone) {
            /* The caller died, or exec'd, without releasing: nobody else
             * will thaw (or finish thawing). */
            test_stall(s, 'U');   /* t/40 only: slow to recover */
            if (cas_state(s, G_ARMED, G_FIRED) || cas_state(s, G_THAWING, G_FIRED))
                undo_all(s, &h);
            if (s->record_path[0])
                unlink(s->record_path);   /* done: nothing left to recover */
            _exit(0);   /* the kernel detaches any tracee left */
        }
    }
}

/* The caller's start time, and its threads just before the fork. */
static void note_caller(struct sft_guard_shared *s, const char *procdir)
{
    char path[256];
    struct sft_stat st;

    snprintf(path, sizeof path, "%s/%ld/stat", procdir, (long)s->caller);
    if (sft_stat_read(path, &st) == 0) {
        s->caller_starttime = st.starttime;
        s->caller_threads = st.num_threads;
    }
}

/* The ptrace method's request, in the shared mapping for the guard. */
static int request_ptrace(struct sft_guard_shared *s, const struct sft_freeze_opts *o,
                          struct sft_error *err)
{
    size_t i;

    if (o->nexclude > s->cap)
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "too many exclusions");
    s->timeout = o->timeout;
    s->partial_ok = o->partial_ok;
    s->no_pidfd = o->no_pidfd;
    s->tracers = o->tracers;
    s->load = o->load;
    s->nexclude = o->nexclude;
    for (i = 0; i < o->nexclude; i++)
        s->entries[i].pid = o->exclude[i];
    return 0;
}

/* Room for every possible pid; only the pages written are ever used. */
#define SHARED_CAP SFT_PID_MAX
#define SHARED_LEN (sizeof(struct sft_guard_shared) + SHARED_CAP * sizeof(struct sft_guard_entry))

/* What the caller and its guard program must agree on: the library's
 * version and the mapping's layout. */
#ifndef VERSION
#define VERSION "unknown"
#endif
static void build_id(char *id, size_t len)
{
    snprintf(id, len, "%s:%zu:%zu:%zu", VERSION, sizeof(struct sft_guard_shared),
             sizeof(struct sft_guard_entry), (size_t)SHARED_CAP);
}

/* The guard program's main: descriptor 3 is the shared mapping's file, 4
 * to 7 the release, ready, command and reply pipes; argv[1] says whether
 * it inherited the caller's boost, argv[2] the caller's build_id, which
 * must be this program's (a program of another version of the library
 * would read another layout).  It forks the guard and exits, as the
 * forked middle process does, so that the caller's wait() never sees the
 * guard. */
int sft_guard_program_main(int argc, char **argv)
{
    struct sft_guard_shared *s;
    struct sft_boost boost;
    struct stat st;
    pid_t guard;
    char id[96];

    build_id(id, sizeof id);
    if (argc != 3 || strcmp(argv[2], id) != 0 || fstat(3, &st) != 0
        || (size_t)st.st_size != SHARED_LEN)
        return 2;
    s = mmap(NULL, SHARED_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, 3, 0);
    if (s == MAP_FAILED)
        return 2;
    close(3);
    memset(&boost, 0, sizeof boost);
    boost.active = argv[1][0] == '1';
    s->own_program = 1;
    s->middle = getpid();
    guard = fork();
    if (guard == 0)
        guard_main(s, &boost, 4, 5, 6, 7);
    if (s->linger_ms > 0 && guard > 0)
        sft_sleep_us(s->linger_ms * 1000L);
    return guard < 0 ? 1 : 0;
}

/* The tests' knobs, read by the caller only and passed in the mapping:
 * the guard and its program read no environment. */
static void read_test_knobs(struct sft_guard_shared *s)
{
    const char *stall = getenv("FREEZETHAW_TEST_GUARD_STALL");   /* "S:ms", "F:ms", "f:ms", "T:ms", "U:ms", "R:ms": t/40, t/50 */
    const char *linger = getenv("FREEZETHAW_TEST_MIDDLE_LINGER_MS");   /* t/46 */
    const char *unstarted = getenv("FREEZETHAW_TEST_UNSTARTED_HELPERS");   /* t/51 */

    if (stall && stall[0] && strchr("SFfTUR", stall[0]) && stall[1] == ':') {
        s->stall_cmd = stall[0];
        s->stall_ms = atol(stall + 2);
    }
    if (linger)
        s->linger_ms = atol(linger);
    if (unstarted)
        s->unstarted_helpers = atoi(unstarted);
}

/* Reaps the middle process mid and reads the guard's ready byte into
 * *one.  Returns what the read returned (1, or 0 if the guard exited
 * first), or -2 if the two did not both come within GUARD_START_WAIT_S:
 * then the middle and the guard are killed (the guard's end of the
 * ready pipe is still open, so s->guard_pid, if set, is still its pid).
 * Without a pidfd (Linux before 5.3) it waits as long as it takes. */
static ssize_t await_armed(struct sft_guard_shared *s, pid_t mid, int ready_fd, char *one)
{
    double deadline = sft_now() + GUARD_START_WAIT_S;
    int mid_fd = sft_pidfd_open(mid), st, reaped = 0;
    ssize_t n = -1;

    while (mid_fd >= 0 && (!reaped || n < 0)) {
        struct pollfd pf[2] = { { ready_fd, POLLIN, 0 }, { mid_fd, POLLIN, 0 } };
        int left = (int)((deadline - sft_now()) * 1000) + 1;

        if (left <= 0) {
            pid_t guard = __atomic_load_n(&s->guard_pid, __ATOMIC_ACQUIRE);
            if (!reaped) {
                kill(mid, SIGKILL);
                while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
                    ;
            }
            if (n < 0 && guard > 0 && guard != mid)
                kill(guard, SIGKILL);
            close(mid_fd);
            return -2;
        }
        if (poll(pf, reaped ? 1 : 2, left) < 0 && errno != EINTR) {
            close(mid_fd);
            mid_fd = -1;   /* wait as below */
            break;
        }
        if (!reaped && (pf[1].revents & POLLIN) && waitpid(mid, &st, WNOHANG) == mid)
            reaped = 1;
        if (n < 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
            n = read(ready_fd, one, 1);
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                n = 0;
        }
    }
    if (mid_fd >= 0) {
        close(mid_fd);
        return n;
    }
    /* No pidfd: block, as before the bound existed. */
    if (!reaped)
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
            ;
    while (n < 0) {
        n = read(ready_fd, one, 1);
        if (n < 0 && errno != EINTR)
            n = 0;
    }
    return n;
}

/* Starts the middle process: the guard program, or a fork of the caller.
 * Returns its pid, or -1. */
static pid_t start_middle(struct sft_guard_shared *s, const char *program, int map_fd,
                          struct sft_boost *boost, const int fds[4])
{
    pid_t mid;

    if (program) {
        char boosted[2] = { boost->active ? '1' : '0', 0 }, id[96];
        char *argv[] = { (char *)program, boosted, id, NULL };
        int all[5] = { map_fd, fds[0], fds[1], fds[2], fds[3] };

        build_id(id, sizeof id);
        return sft_spawn(program, argv, all, 5);
    }
    mid = fork();
    if (mid == 0) {
        pid_t guard;
        s->middle = getpid();
        guard = fork();
        if (guard == 0)
            guard_main(s, boost, fds[0], fds[1], fds[2], fds[3]);
        _exit(guard < 0 ? 1 : 0);
    }
    return mid;
}

/* Empties g: no mapping, every descriptor -1 (it closes nothing). */
static void guard_clear(struct sft_guard *g)
{
    memset(g, 0, sizeof *g);
    g->release_fd = g->cmd_fd = g->reply_fd = g->record_fd = g->ready_fd = -1;
}

/* Starts the middle process, which starts the guard, and returns without
 * waiting for either: arm_guard waits.  Returns 0 (g->starting set), 1 if
 * the guard program could not be started (fork instead), or -1 with err
 * set. */
static int launch_guard(struct sft_guard *g, double max_frozen, const char *procdir,
                        const struct sft_freeze_opts *ptrace_now, const char *program,
                        struct sft_error *err)
{
    size_t cap = SHARED_CAP, len = SHARED_LEN;
    struct sft_guard_shared *s;
    struct sft_boost boost;
    int release[2], ready[2], cmd[2], reply[2], map_fd = -1, saved;
    pid_t mid;

    guard_clear(g);
    if (!procdir)
        procdir = "/proc";
    if (program) {
        s = sft_spawn_shared_map(len, &map_fd);
        if (!s)
            return 1;   /* fork instead */
    } else {
        s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    if (s == MAP_FAILED)
        return sft_error_set(err, SFT_E_GUARD, errno, "cannot start the guard process: mmap");
    s->state = G_STARTING;
    s->caller = getpid();
    note_caller(s, procdir);
    s->max_frozen = max_frozen;
    s->cap = cap;
    read_test_knobs(s);
    snprintf(s->procdir, sizeof s->procdir, "%s", procdir);
    if (ptrace_now) {
        if (request_ptrace(s, ptrace_now, err) != 0) {
            if (map_fd >= 0)
                close(map_fd);
            munmap(s, len);
            return -1;
        }
        s->freeze_at_once = 1;
    }

    if (pipe2(release, O_CLOEXEC) != 0) {
        saved = errno;
        if (map_fd >= 0)
            close(map_fd);
        munmap(s, len);
        return sft_error_set(err, SFT_E_GUARD, saved, "cannot start the guard process: pipe");
    }
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(cmd, O_CLOEXEC) != 0 || pipe2(reply, O_CLOEXEC) != 0) {
        saved = errno;
        close(release[0]);
        close(release[1]);
        if (map_fd >= 0)
            close(map_fd);
        munmap(s, len);
        return sft_error_set(err, SFT_E_GUARD, saved, "cannot start the guard process: pipe");
    }
    /* On a machine full of busy processes, a guard at normal priority
     * waits hundreds of milliseconds for each turn to start, and the
     * caller waits for it: it inherits the caller's boost, which it takes
     * at its fork. */
    sft_boost_begin(&boost, SFT_BOOST_INHERIT);
    {
        int fds[4] = { release[0], ready[1], cmd[0], reply[1] };
        mid = start_middle(s, program, map_fd, &boost, fds);
    }
    saved = errno;
    sft_boost_end(&boost);
    if (map_fd >= 0)
        close(map_fd);
    close(release[0]);
    close(ready[1]);
    close(cmd[0]);
    close(reply[1]);
    if (mid <= 0) {
        close(release[1]);
        close(ready[0]);
        close(cmd[1]);
        close(reply[0]);
        munmap(s, len);
        if (program)
            return 1;   /* fork instead */
        return sft_error_set(err, SFT_E_GUARD, saved, "cannot start the guard process");
    }
    g->starting = s;
    g->map_len = len;
    g->middle = mid;
    g->ready_fd = ready[0];
    g->release_fd = release[1];
    g->cmd_fd = cmd[1];
    g->reply_fd = reply[0];
    g->from_program = program != NULL;
    g->max_frozen = max_frozen;
    g->procdir = procdir;
    g->ptrace_now = ptrace_now;
    return 0;
}

/* Gives up a guard launch_guard started and arm_guard saw fail: the guard,
 * if it runs, sees its pipes closed and exits. */
static void drop_launch(struct sft_guard *g)
{
    if (g->ready_fd >= 0)
        close(g->ready_fd);
    close(g->release_fd);
    close(g->cmd_fd);
    close(g->reply_fd);
    munmap(g->starting, g->map_len);
    guard_clear(g);
}

/* Waits for the guard launch_guard started to arm.  Returns 0 (g->shared
 * set), 1 if the guard program did not start or is of another build (fork
 * instead), or -1 with err set. */
static int arm_guard(struct sft_guard *g, struct sft_error *err)
{
    struct sft_guard_shared *s = g->starting;
    const char *procdir = g->procdir;
    ssize_t n;
    int state;
    char one;

    n = await_armed(s, g->middle, g->ready_fd, &one);
    close(g->ready_fd);
    g->ready_fd = -1;
    state = load_state(s);
    if (n == -2) {
        drop_launch(g);
        return sft_error_set(err, SFT_E_GUARD, 0,
                             "cannot start the guard process: it did not answer within 5 seconds, and was killed");
    }
    if (n == 1 && state == G_ARMED) {
        g->record_fd = -1;
        if (sft_lock_record_path(procdir, s->caller, s->record_path, sizeof s->record_path) == 0) {
            struct record_header h;
            memset(&h, 0, sizeof h);
            memcpy(h.magic, RECORD_MAGIC, sizeof h.magic);
            h.caller = s->caller;
            h.caller_starttime = s->caller_starttime;
            g->record_fd = open(s->record_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (g->record_fd >= 0 && pwrite(g->record_fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
                close(g->record_fd);
                g->record_fd = -1;
            }
            if (g->record_fd < 0) {
                unlink(s->record_path);
                s->record_path[0] = 0;
            }
        }
        g->shared = s;
        g->starting = NULL;
        g->pid = s->guard_pid;
        return 0;
    }
    if (g->from_program && state == G_STARTING) {
        drop_launch(g);   /* the program did not start, or is of another build */
        return 1;
    }
    if (state == G_BUSY) {
        sft_error_note(err, s->holder_caller, NULL, 0, 0, 0);
        sft_error_note(err, s->holder, NULL, 0, 0, 0);
        sft_error_set(err, SFT_E_LOCKED, EAGAIN, SFT_LOCK_HELD);
    } else {
        sft_error_set(err, state == G_FAILED ? SFT_E_LOCKED : SFT_E_GUARD,
                      state == G_FAILED ? s->lock_errno : ECHILD,
                      state == G_FAILED ? "cannot make a lock file" : "cannot start the guard process");
    }
    drop_launch(g);
    return -1;
}

int sft_guard_launch(struct sft_guard *g, double max_frozen, const char *procdir,
                     const char *program, const struct sft_freeze_opts *ptrace_now,
                     struct sft_error *err)
{
    if (program && *program) {
        int rc = launch_guard(g, max_frozen, procdir, ptrace_now, program, err);
        if (rc != 1)
            return rc;
    }
    return launch_guard(g, max_frozen, procdir, ptrace_now, NULL, err);
}

int sft_guard_arm(struct sft_guard *g, struct sft_error *err)
{
    double max_frozen = g->max_frozen;
    const char *procdir = g->procdir;
    const struct sft_freeze_opts *ptrace_now = g->ptrace_now;
    int rc;

    if (g->shared)
        return 0;
    if (!g->starting)
        return sft_error_set(err, SFT_E_GUARD, ECHILD, "cannot start the guard process");
    rc = arm_guard(g, err);
    if (rc == 1) {
        rc = launch_guard(g, max_frozen, procdir, ptrace_now, NULL, err);
        if (rc == 0)
            rc = arm_guard(g, err);
    }
    return rc;
}

int sft_guard_answered(const struct sft_guard *g)
{
    struct pollfd pf;

    if (g->shared || !g->starting || g->ready_fd < 0)
        return 1;
    pf.fd = g->ready_fd;
    pf.events = POLLIN;
    pf.revents = 0;
    return poll(&pf, 1, 0) != 0;   /* an answer, a hang-up, or an error to report */
}

int sft_guard_start(struct sft_guard *g, double max_frozen, const char *procdir,
                    const char *program, const struct sft_freeze_opts *ptrace_now,
                    struct sft_error *err)
{
    if (sft_guard_launch(g, max_frozen, procdir, program, ptrace_now, err) != 0)
        return -1;
    return sft_guard_arm(g, err);
}

long sft_guard_note(struct sft_guard *g, pid_t pid, unsigned long long starttime)
{
    struct sft_guard_shared *s = g->shared;
    size_t n = s->count;

    if (n >= s->cap)
        return -1;
    s->entries[n].pid = pid;
    s->entries[n].starttime = starttime;
    s->entries[n].policy_to_restore = SFT_GUARD_POLICY_KEPT;
    __atomic_store_n(&s->count, n + 1, __ATOMIC_RELEASE);
    return (long)n;
}

void sft_guard_flush(struct sft_guard *g, long from, long to)
{
    if (g && g->shared && from >= 0 && to > from)
        record_write(g->record_fd, from, &g->shared->entries[from], (size_t)(to - from));
}

void sft_guard_policy(struct sft_guard *g, long ix, int policy)
{
    if (g && g->shared && ix >= 0 && (size_t)ix < g->shared->count) {
        __atomic_store_n(&g->shared->entries[ix].policy_to_restore, policy, __ATOMIC_SEQ_CST);
        record_write(g->record_fd, ix, &g->shared->entries[ix], 1);
    }
}

int sft_guard_begin_thaw(struct sft_guard *g)
{
    if (!g->shared || cas_state(g->shared, G_ARMED, G_THAWING))
        return 0;
    return load_state(g->shared) == G_CUT;
}

void sft_guard_release(struct sft_guard *g)
{
    if (g->starting) {
        /* Never armed: wait for it (and reap the middle process) first. */
        struct sft_error ignored;
        sft_error_init(&ignored);
        (void)sft_guard_arm(g, &ignored);
        sft_error_free(&ignored);
    }
    if (!g->shared)
        return;
    if (g->record_fd >= 0) {
        close(g->record_fd);
        unlink(g->shared->record_path);
    }
    __atomic_store_n(&g->shared->state, G_RELEASED, __ATOMIC_SEQ_CST);
    close(g->release_fd);
    close(g->cmd_fd);
    close(g->reply_fd);
    munmap(g->shared, g->map_len);
    guard_clear(g);
}

/* What await_reply saw besides the answer. */
enum { REPLY_KILLED = -2 };

/* Waits for the guard's one-byte answer.  While waiting, a signal of
 * abort_on pending for the caller is passed on to the guard as SIGUSR1,
 * which ends its freeze.  Returns 0, that signal, -1 if the guard died,
 * or REPLY_KILLED if it did not answer within wait_s seconds and
 * GUARD_KILL_AFTER_S more after a SIGUSR1 (see GUARD_GRACE_S).  *late
 * says that SIGUSR1 was sent: an answer after it is the guard giving up. */
static int await_reply(struct sft_guard *g, const sigset_t *abort_on, double wait_s, int *late)
{
    double deadline = sft_now() + wait_s;
    char reply;
    int aborted = 0;

    *late = 0;
    for (;;) {
        struct pollfd pf = { g->reply_fd, POLLIN, 0 };
        int n = poll(&pf, 1, 10);
        if (n > 0) {
            if (read(g->reply_fd, &reply, 1) != 1)
                return aborted ? aborted : -1;   /* the guard died */
            return aborted;
        }
        if (!aborted && (aborted = sft_pending_signal(abort_on)) != 0)
            kill(g->pid, SIGUSR1);
        /* Its end of the pipe is open, so the guard is alive: g->pid is
         * still the guard's. */
        if (sft_now() >= deadline) {
            if (*late) {
                kill(g->pid, SIGKILL);
                return REPLY_KILLED;
            }
            kill(g->pid, SIGUSR1);
            *late = 1;
            deadline = sft_now() + GUARD_KILL_AFTER_S;
        }
    }
}

/* Sends a one-byte command and waits for the answer (see await_reply). */
static int command(struct sft_guard *g, char cmd, const sigset_t *abort_on, double wait_s, int *late)
{
    if (write(g->cmd_fd, &cmd, 1) != 1)
        return -1;
    return await_reply(g, abort_on, wait_s, late);
}

int sft_guard_ptrace_freeze(struct sft_guard *g, const struct sft_freeze_opts *o,
                            struct sft_token *token, struct sft_freeze_stats *stats,
                            pid_t *fallback, size_t *nfallback, struct sft_error *err)
{
    struct sft_guard_shared *s = g->shared;
    size_t i, k;
    int aborted, late;

    if (!s->freeze_at_once)   /* the request goes with the start */
        return sft_error_set(err, SFT_E_GUARD, EINVAL, "the guard was not started for ptrace");
    aborted = await_reply(g, o->abort_on, o->timeout + GUARD_GRACE_S, &late);
    if (aborted == REPLY_KILLED) {
        /* The kernel lets go of its tracees.  Had it published its result,
         * what it stopped with signals is continued from here. */
        continue_all(s);
        return sft_error_set(err, SFT_E_GUARD, 0,
                             "the guard process did not answer within the timeout and 4 seconds more: it "
                             "was killed, and the kernel let go of every process it had seized");
    }
    if (aborted < 0)
        return sft_error_set(err, SFT_E_GUARD, ECHILD, "the guard process died");

    memset(stats, 0, sizeof *stats);
    *stats = s->stats;
    memset(&stats->counted_frozen, 0, sizeof stats->counted_frozen);
    for (i = 0; i < s->ncounted && i < SHARED_NOTES; i++)
        sft_notes_add(&stats->counted_frozen, s->counted[i].pid, s->counted[i].comm,
                      s->counted[i].state, s->counted[i].reason, s->counted[i].err);
    for (i = 0; i < s->err_nnotes && i < SHARED_NOTES; i++)
        sft_error_note(err, s->err_notes[i].pid, s->err_notes[i].comm, s->err_notes[i].state,
                       s->err_notes[i].reason, s->err_notes[i].err);
    if (s->err_nnotes > SHARED_NOTES)
        err->notes.unpassed += s->err_nnotes - SHARED_NOTES;
    *nfallback = s->nfallback;
    if (*nfallback > SHARED_NOTES)
        *nfallback = SHARED_NOTES;
    for (i = 0; i < *nfallback; i++)
        fallback[i] = s->fallback[i];
    if (s->err_code != SFT_OK) {
        if (late)
            return sft_error_set(err, SFT_E_GUARD, 0,
                                 "the guard process did not finish the freeze within the timeout and 3 "
                                 "seconds more: told to give up, it continued every process it had stopped");
        if (s->err_code == SFT_E_INTERRUPTED && aborted)
            return sft_error_set(err, SFT_E_INTERRUPTED, aborted, "freeze interrupted by a signal");
        return sft_error_set(err, s->err_code, s->err_errno, "unable to stop some processes");
    }
    for (i = 0, k = (size_t)-1; i < s->count; i++) {
        if (s->entries[i].pass != k) {
            if (sft_token_new_pass(token) != 0)
                return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
            k = s->entries[i].pass;
        }
        if (sft_token_add(token, s->entries[i].pid) != 0)
            return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    }
    return 0;
}

int sft_guard_ptrace_thaw(struct sft_guard *g)
{
    int late;

    if (command(g, 'T', NULL, GUARD_GRACE_S, &late) != REPLY_KILLED)
        return 0;
    /* Killed: the kernel has let go of its tracees; what it stopped with
     * signals is continued here, children first. */
    continue_all(g->shared);
    return -1;
}

int sft_guard_is_tracer(const struct sft_guard *g)
{
    return g->shared && g->shared->ptrace_method;
}

struct recover_ctx {
    const char *procdir;
    struct sft_recovery *out;
};

static void recover_one(const char *path, void *arg)
{
    struct recover_ctx *c = arg;
    struct record_header h;
    struct sft_guard_entry e;
    off_t off = sizeof h;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return;
    if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h.magic, RECORD_MAGIC, sizeof h.magic) != 0) {
        close(fd);
        return;   /* not ours: leave it */
    }
    if (starttime_of(c->procdir, h.caller) == h.caller_starttime) {
        close(fd);
        c->out->skipped_live++;   /* its caller runs: its window is not ours to end */
        return;
    }
    c->out->records++;
    for (; pread(fd, &e, sizeof e, off) == (ssize_t)sizeof e; off += (off_t)sizeof e) {
        if (e.pid <= 1)
            continue;   /* a hole: never written */
        c->out->recorded++;
        if (starttime_of(c->procdir, e.pid) != e.starttime)
            continue;   /* exited; the pid may name a newcomer */
        if (e.policy_to_restore != SFT_GUARD_POLICY_KEPT) {
            struct sched_param normal;
            memset(&normal, 0, sizeof normal);
            sched_setscheduler(e.pid, e.policy_to_restore, &normal);
        }
        c->out->continued += kill(e.pid, SIGCONT) == 0;
    }
    close(fd);
    unlink(path);
}

int sft_guard_recover(const char *procdir, struct sft_recovery *out, struct sft_error *err)
{
    struct recover_ctx c;
    int lock_fd;

    memset(out, 0, sizeof *out);
    if (!procdir)
        procdir = "/proc";
    if (sft_proc_is_ours(procdir, err) != 0)
        return -1;
    lock_fd = sft_lock_take(procdir, getpid(), err);
    if (lock_fd < 0)
        return -1;   /* a freeze is in progress: its guard is alive */
    c.procdir = procdir;
    c.out = out;
    sft_lock_each_record(procdir, recover_one, &c);
    close(lock_fd);
    return 0;
}
