/* unit_scan.c - enumeration against a fake /proc tree. */
#include "tap.h"
#include "sft_scan.h"
#include "sft_statfd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static void fake(int pid, const char *comm, const char *state, int ppid, unsigned long flags, int threads)
{
    char line[512];

    snprintf(line, sizeof line, "%d (%s) %s %d 5 5 0 -1 %lu 10 0 0 0 3 4 0 0 20 0 %d 0 %d 1234 56 0\n",
             pid, comm, state, ppid, flags, threads, 1000 + pid);
    write_fake_stat(root, pid, line);
}

static int never_ours(void *ctx, pid_t pid)
{
    (void)ctx;
    (void)pid;
    return 0;
}

/* A take hook that takes every child of pid 1, and a batch_done hook that
 * acts on what was taken since its last call. */
struct taking {
    size_t taken, pending, batches, largest, first_at;
};

static int take_children_of_1(void *ctx, struct sft_proc *p)
{
    struct taking *t = ctx;

    if (p->ppid != 1)
        return 0;
    t->taken++;
    t->pending++;
    return 1;
}

static void act_on_batch(void *ctx)
{
    struct taking *t = ctx;

    if (!t->pending)
        return;
    if (!t->batches++)
        t->first_at = t->taken;
    if (t->pending > t->largest)
        t->largest = t->pending;
    t->pending = 0;
}

static struct sft_proc *find(struct sft_proclist *l, pid_t pid)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (l->v[i].pid == pid)
            return &l->v[i];
    return NULL;
}

int main(void)
{
    struct sft_pidset skip;
    struct sft_proclist l;
    struct sft_scan_counts c;
    struct sft_error e;
    char path[512];
    int rc;

    snprintf(root, sizeof root, "/tmp/sft-unit-scan-%d", (int)getpid());
    mkdir(root, 0755);
    fake(1, "init", "S", 0, 0x400100, 1);
    fake(2, "kthreadd", "S", 0, 0x208040, 1);
    fake(10, "sleep", "S", 1, 0x400000, 1);
    fake(11, "busy loop", "R", 10, 0x400000, 1);
    fake(12, "stopped", "T", 10, 0x400000, 1);
    fake(13, "traced", "t", 10, 0x400000, 1);
    fake(14, "zombie", "Z", 10, 0x40400c, 1);
    fake(15, "leader exited", "Z", 10, 0x40400c, 4);
    fake(16, "a) R 1 (b", "D", 10, 0x400000, 1);
    fake(17, "excluded", "S", 10, 0x400000, 1);
    fake(18, "exiting", "R", 10, 0x400004, 1);
    fake(19, "leader exiting", "R", 10, 0x400004, 3);
    fake(20, "held by 17", "t", 10, 0x400000, 1);
    {
        /* its tracer is excluded: it may be resumed at any moment */
        FILE *f;
        snprintf(path, sizeof path, "%s/20/status", root);
        f = fopen(path, "w");
        fprintf(f, "Name:\theld by 17\nState:\tt (tracing stop)\nTracerPid:\t17\nShdPnd:\t0000000000000000\n");
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/self", root);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/99", root);   /* vanished: no stat file */
    mkdir(path, 0755);

    sft_pidset_init(&skip);
    sft_pidset_add(&skip, 1);
    sft_pidset_add(&skip, 17);
    sft_proclist_init(&l);
    sft_error_init(&e);
    {
        struct sft_pidset held;
        sft_pidset_init(&held);
        sft_pidset_add(&held, 12);
        {
            struct sft_proclist z;
            sft_proclist_init(&z);
            rc = sft_scan(root, &skip, &held, &l, &z, &c, &e);
            ok(z.n == 2, "zombies and exiting processes are listed apart");
            sft_proclist_free(&z);
        }
        sft_pidset_free(&held);
    }
    ok(rc == 0, "scan of a fake /proc succeeds");
    ok(l.n == 6, "six processes may run (got %zu)", l.n);
    ok(find(&l, 20) != NULL, "a tracee whose tracer is excluded is taken, not passed over as a zombie");
    ok(!find(&l, 18), "an exiting process is passed over");
    ok(find(&l, 19) != NULL, "an exiting leader whose threads live on is taken");
    ok(find(&l, 10) && find(&l, 11) && find(&l, 16), "sleeping, running and D processes are taken");
    ok(find(&l, 15) && find(&l, 15)->nthreads == 4, "a zombie leader with live threads is taken");
    ok(!find(&l, 2), "kernel thread skipped (PF_KTHREAD)");
    ok(!find(&l, 12) && !find(&l, 13), "stopped and traced processes skipped");
    ok(!find(&l, 14), "a plain zombie skipped");
    ok(!find(&l, 1) && !find(&l, 17), "skip set honoured");
    ok(find(&l, 16) && strcmp(find(&l, 16)->comm, "a) R 1 (b") == 0 && find(&l, 16)->ppid == 10,
       "hostile name parsed");
    ok(c.seen == 14 && c.skipped == 2 && c.kthreads == 1 && c.held == 1 && c.stopped == 1
       && c.zombies == 2 && c.vanished == 1,
       "counts: seen %zu skipped %zu kthreads %zu held %zu stopped %zu zombies %zu vanished %zu",
       c.seen, c.skipped, c.kthreads, c.held, c.stopped, c.zombies, c.vanished);

    {
        /* Parts: each reader takes the pids of its part, and only those. */
        struct sft_scan_hook hook = { .parts = 2 };
        struct sft_scan_counts c2;
        size_t total = 0;
        unsigned part;
        for (part = 0; part < 2; part++) {
            size_t i, wrong = 0;
            hook.part = part;
            rc = sft_scan_with(root, &skip, NULL, &l, NULL, &c2, &hook, &e);
            static const pid_t listed[] = { 2, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 99 };
            size_t others = 0;
            for (i = 0; i < l.n; i++)
                wrong += sft_pid_part(l.v[i].pid, 2) != part;
            for (i = 0; i < sizeof listed / sizeof listed[0]; i++)
                others += sft_pid_part(listed[i], 2) != part;
            total += l.n;
            ok(rc == 0 && wrong == 0, "part %u of 2: only its own pids (%zu others)", part, wrong);
            /* the skip set first: 1 and 17 are skipped, not the other part's */
            ok(c2.seen == 14 && c2.others == others && others > 0,
               "part %u of 2: every entry seen, the other part's left unread (%zu of %zu)", part,
               c2.others, others);
        }
        ok(total == 6, "the two parts take what one whole scan does (%zu)", total);
    }

    {
        /* A stat file that cannot be opened for want of a descriptor is not
         * a process gone: the scan fails.  Read as listed (a before_read
         * hook), the listing holds the last descriptor the limit allows. */
        struct sft_scan_hook hook = { .before_read = never_ours };
        struct rlimit rl, low;
        int held[64], nheld = 0;

        sft_error_init(&e);
        rc = sft_scan_with(root, &skip, NULL, &l, NULL, &c, &hook, &e);
        ok(rc == 0, "read as listed, with descriptors to spare: the scan succeeds");
        sft_error_free(&e);
        sft_error_init(&e);
        /* Under a limit of 64, every descriptor taken, then one given back:
         * the listing gets it. */
        getrlimit(RLIMIT_NOFILE, &rl);
        low = rl;
        low.rlim_cur = 64;
        setrlimit(RLIMIT_NOFILE, &low);
        while (nheld < 64 && (held[nheld] = open("/dev/null", O_RDONLY)) >= 0)
            nheld++;
        if (nheld > 0)
            close(held[--nheld]);
        rc = sft_scan_with(root, &skip, NULL, &l, NULL, &c, &hook, &e);
        while (nheld > 0)
            close(held[--nheld]);
        setrlimit(RLIMIT_NOFILE, &rl);
        ok(rc == -1 && e.code == SFT_E_PROC && e.err == EMFILE,
           "no descriptor left to read a stat file with: SFT_E_PROC, EMFILE, not a process gone");
        sft_error_free(&e);
        sft_error_init(&e);
    }

    {
        /* A scan that will read many files at once first grows the
         * descriptor table for them and for what a freeze keeps (see
         * sft_fds.h): 300 processes, 2 * 300 + a batch. */
        struct sft_statfds sf;
        struct sft_scan_hook hook = { .statfds = &sf };
        long before, after;
        int pid;

        for (pid = 1000; pid < 1300; pid++)
            fake(pid, "many", "S", 1, 0x400000, 1);
        sft_statfds_init(&sf, 0);
        sft_statfds_open_dir(&sf, root);
        before = fd_table_size();
        sft_error_init(&e);
        rc = sft_scan_with(root, &skip, NULL, &l, NULL, &c, &hook, &e);
        after = fd_table_size();
        ok(rc == 0 && l.n == 306, "300 more processes read (%zu)", l.n);
        if (before >= 2 * 300 + SFT_READ_BATCH)   /* under valgrind: see unit_fds.c */
            ok(1, "# skip: the descriptor table is large already (FDSize %ld)", before);
        else
            ok(after >= 2 * 300 + SFT_READ_BATCH,
               "the descriptor table grown first (FDSize %ld -> %ld)", before, after);
        sft_statfds_free(&sf);
        sft_error_free(&e);
        sft_error_init(&e);
        for (pid = 1000; pid < 1300; pid++) {
            snprintf(path, sizeof path, "%s/%d/stat", root, pid);
            unlink(path);
            snprintf(path, sizeof path, "%s/%d", root, pid);
            rmdir(path);
        }
    }

    {
        /* What a hook takes is handed to batch_done batch by batch, each
         * batch as soon as it has been looked at, all of it before the
         * scan returns (the signal freeze stops them there, on sight). */
        struct taking t = { 0, 0, 0, 0, 0 };
        struct sft_scan_hook hook = { .take = take_children_of_1, .batch_done = act_on_batch, .ctx = &t };
        int pid, n = 2 * SFT_READ_BATCH + 100;

        for (pid = 1000; pid < 1000 + n; pid++)
            fake(pid, "many", "S", 1, 0x400000, 1);
        sft_error_init(&e);
        rc = sft_scan_with(root, &skip, NULL, &l, NULL, &c, &hook, &e);
        ok(rc == 0 && t.taken == (size_t)n + 1, "the hook took every child of pid 1 (%zu)", t.taken);
        ok(t.pending == 0, "every process taken was handed on before the scan returned");
        ok(t.batches == 3 && t.largest <= SFT_READ_BATCH,
           "a batch at a time (%zu batches, the largest %zu)", t.batches, t.largest);
        ok(t.first_at > 0 && t.first_at <= SFT_READ_BATCH,
           "the first batch handed on before the next was read (%zu taken then)", t.first_at);
        sft_error_free(&e);
        sft_error_init(&e);
        for (pid = 1000; pid < 1000 + n; pid++) {
            snprintf(path, sizeof path, "%s/%d/stat", root, pid);
            unlink(path);
            snprintf(path, sizeof path, "%s/%d", root, pid);
            rmdir(path);
        }
    }

    snprintf(path, sizeof path, "%s/nonexistent", root);
    rc = sft_scan(path, &skip, NULL, &l, NULL, NULL, &e);
    ok(rc == -1 && e.code == SFT_E_PROC && e.err == ENOENT, "a missing /proc is SFT_E_PROC, ENOENT");
    snprintf(path, sizeof path, "%s/self", root);
    rc = sft_scan(path, &skip, NULL, &l, NULL, NULL, &e);
    ok(rc == -1 && e.code == SFT_E_PROC, "a directory without processes is not a /proc");

    /* Whose /proc is it?  Its self link must name this process. */
    snprintf(path, sizeof path, "%s/self", root);
    rmdir(path);
    ok(sft_proc_is_ours(root, &e) == -1 && e.code == SFT_E_PROC && e.err == ENOENT,
       "no self link: cannot read /proc");
    if (symlink("999999", path) != 0)
        printf("# symlink: %s\n", strerror(errno));
    ok(sft_proc_is_ours(root, &e) == -1 && e.code == SFT_E_PROCNS,
       "self names another pid: another namespace's /proc");
    unlink(path);
    {
        char me[32];
        snprintf(me, sizeof me, "%d", (int)getpid());
        if (symlink(me, path) != 0)
            printf("# symlink: %s\n", strerror(errno));
    }
    sft_error_init(&e);
    ok(sft_proc_is_ours(root, &e) == 0, "self names this process: ours");
    ok(sft_proc_is_ours("/proc", &e) == 0, "the real /proc is ours");

    sft_proclist_free(&l);
    sft_pidset_free(&skip);
    sft_error_free(&e);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", root);
    }
    return done_testing();
}
