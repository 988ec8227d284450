/* sft_scan.c - enumerate /proc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_scan.h"
#include "sft_grow.h"
#include "sft_procstat.h"
#include "sft_spread.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sft_proclist_init(struct sft_proclist *l)
{
    memset(l, 0, sizeof *l);
}

void sft_proclist_free(struct sft_proclist *l)
{
    free(l->v);
    sft_proclist_init(l);
}

struct sft_proc *sft_proclist_push(struct sft_proclist *l)
{
    int failed;

    l->v = sft_grow(l->v, &l->cap, l->n, sizeof *l->v, 256, &failed);
    if (failed)
        return NULL;
    return &l->v[l->n++];
}

/* The pid a /proc entry names, or -1 if the name is not all digits. */
static long long entry_pid(const char *name)
{
    long long pid = 0;

    if (!*name)
        return -1;
    for (; *name; name++) {
        if (*name < '0' || *name > '9' || pid > SFT_PID_MAX)
            return -1;
        pid = pid * 10 + (*name - '0');
    }
    return pid;
}

int sft_proc_is_ours(const char *procdir, struct sft_error *err)
{
    char path[256], target[64];
    ssize_t n;

    snprintf(path, sizeof path, "%s/self", procdir);
    n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return sft_error_set(err, SFT_E_PROC, errno, "cannot read /proc: /proc/self");
    target[n] = 0;
    if (entry_pid(target) != (long long)getpid())
        return sft_error_set(err, SFT_E_PROCNS, 0,
                             "/proc belongs to another PID namespace: /proc/self does not name this process");
    return 0;
}

/* The value of option name= in a comma-separated option list, copied to
 * out; 0 if found. */
static int mount_option(const char *opts, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = opts;

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            if (vlen >= outlen)
                vlen = outlen - 1;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = 0;
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return -1;
}

static int in_group(gid_t gid)
{
    gid_t groups[256];
    int i, n = getgroups(256, groups);

    if (getegid() == gid)
        return 1;
    for (i = 0; i < n; i++)
        if (groups[i] == gid)
            return 1;
    return 0;
}

int sft_proc_shows_all(const char *procdir, struct sft_error *err)
{
    char path[256], line[4096], super[4096] = "", hidepid[32], gid[32];
    FILE *f;

    if (geteuid() == 0)
        return 0;   /* root passes the hidepid check (ptrace access) */
    snprintf(path, sizeof path, "%s/self/mountinfo", procdir);
    f = fopen(path, "re");
    if (!f)
        return 0;   /* no mountinfo: nothing to tell; the scan will see */
    while (fgets(line, sizeof line, f)) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPER */
        char mnt[256], fstype[32], src[64], sup[4096];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
            continue;
        if (sscanf(dash + 3, "%31s %63s %4095s", fstype, src, sup) != 3)
            continue;
        if (strcmp(mnt, procdir) == 0 && strcmp(fstype, "proc") == 0)
            snprintf(super, sizeof super, "%s", sup);   /* the last one listed is on top */
    }
    fclose(f);
    if (mount_option(super, "hidepid", hidepid, sizeof hidepid) != 0
        || strcmp(hidepid, "0") == 0 || strcmp(hidepid, "off") == 0)
        return 0;
    if (mount_option(super, "gid", gid, sizeof gid) == 0 && in_group((gid_t)atol(gid)))
        return 0;
    return sft_error_set(err, SFT_E_HIDDEN, 0,
                         "/proc is mounted with hidepid, which hides other users' processes from this caller");
}

/* Whether a process in a ptrace stop (t) may be resumed at any moment: its
 * tracer is one the freeze never stops (pid 1, the caller, an exclusion),
 * other than this process itself.  Such a process is not "already
 * stopped"; one held by a tracer the freeze stops, or by a tracer outside
 * this namespace (TracerPid 0), is. */
static int resumable(const char *procdir, long long pid, const struct sft_pidset *skip)
{
    char path[256];
    struct sft_status ss;

    snprintf(path, sizeof path, "%s/%lld/status", procdir, pid);
    if (sft_status_read(path, &ss) != 0)
        return 0;
    return ss.tracer > 0 && ss.tracer != getpid() && sft_pidset_has(skip, ss.tracer);
}

int sft_scan(const char *procdir, const struct sft_pidset *skip,
             const struct sft_pidset *held, struct sft_proclist *out,
             struct sft_proclist *zombies, struct sft_scan_counts *counts,
             struct sft_error *err)
{
    return sft_scan_with(procdir, skip, held, out, zombies, counts, NULL, err);
}

/* One scan's arguments, and what it has met so far. */
struct scan {
    const char *procdir;
    const struct sft_pidset *skip, *held;
    struct sft_proclist *out, *zombies;
    struct sft_scan_counts *counts;
    const struct sft_scan_hook *hook;
    struct sft_statfds *statfds;
    struct sft_error *err;
    int hidden;       /* errno of a process not ours to read            */
    int unreadable;   /* errno of one not read for want of descriptors  */
};

/* Counts a pid listed; 1 if it is to be read. */
static int to_read(struct scan *s, long long pid)
{
    const struct sft_scan_hook *hook = s->hook;

    s->counts->seen++;
    if (sft_pidset_has(s->skip, (pid_t)pid)) {
        s->counts->skipped++;
        return 0;
    }
    if (hook && hook->parts > 1 && sft_pid_part((pid_t)pid, hook->parts) != hook->part) {
        s->counts->others++;
        return 0;
    }
    if (hook && hook->unread && sft_pidset_has(hook->unread, (pid_t)pid)) {
        s->counts->held++;
        s->counts->unread++;
        return 0;
    }
    return 1;
}

/* Looks at one process, read into st, or not read: read_errno says why.
 * Returns -1 when out of memory. */
static int classify(struct scan *s, pid_t pid, int ours, const struct sft_stat *st, int read_errno)
{
    const struct sft_scan_hook *hook = s->hook;
    struct sft_scan_counts *counts = s->counts;
    struct sft_proc *p;

    if (read_errno) {
        if (read_errno == EACCES || read_errno == EPERM) {
            /* Listed but unreadable: hidden from us, not gone. */
            sft_error_note(s->err, pid, NULL, 0, 0, read_errno);
            s->hidden = read_errno;
        } else if (read_errno == EMFILE || read_errno == ENFILE || read_errno == ENOMEM) {
            /* Not looked at, not gone: taking it for gone left it running
             * in a freeze said to be complete. */
            sft_error_note(s->err, pid, NULL, 0, 0, read_errno);
            s->unreadable = read_errno;
        } else {
            counts->vanished++;
        }
        return 0;
    }
    if (st->flags & SFT_PF_KTHREAD) {
        counts->kthreads++;
        return 0;
    }
    if (!ours && (st->state == 'T' || (st->state == 't' && !resumable(s->procdir, st->pid, s->skip)))) {
        if (s->held && sft_pidset_has(s->held, st->pid))
            counts->held++;
        else
            counts->stopped++;
        return 0;
    }
    /* An exiting process cannot run user code again (unless it is a
     * leader whose other threads live on). */
    if ((sft_state_is_dead(st->state) || (st->flags & SFT_PF_EXITING)) && st->num_threads <= 1) {
        counts->zombies++;
        p = s->zombies ? sft_proclist_push(s->zombies) : NULL;
        if (p)
            p->pid = st->pid;
        else if (s->zombies)
            return -1;
        return 0;
    }
    p = sft_proclist_push(s->out);
    if (!p)
        return -1;
    p->pid = st->pid;
    p->ppid = st->ppid;
    p->state = st->state;
    p->nthreads = st->num_threads;
    p->starttime = st->starttime;
    p->cgroup_checked = 0;
    p->niced = 0;
    p->guard_ix = -1;
    memcpy(p->comm, st->comm, sizeof p->comm);
    if (hook && hook->take && !(s->held && sft_pidset_has(s->held, p->pid)) && hook->take(hook->ctx, p))
        s->out->n--;
    return 0;
}

/* Reads one process (offered to before_read first) and looks at it. */
static int read_one(struct scan *s, pid_t pid)
{
    char path[256];
    struct sft_stat st;
    int ours = s->hook && s->hook->before_read && s->hook->before_read(s->hook->ctx, pid);

    snprintf(path, sizeof path, "%s/%ld/stat", s->procdir, (long)pid);
    if (sft_statfds_read(s->statfds, pid, path, &st) != 0)
        return classify(s, pid, ours, &st, errno ? errno : ENOENT);
    return classify(s, pid, ours, &st, 0);
}

/* Reads the pids listed in batches (SFT_READ_BATCH), each spread over the
 * CPUs (sft_statfds_read_many) before its processes are looked at in pid
 * order: a process to stop on sight waits for at most one batch. */
static int read_listed(struct scan *s, const struct sft_pidlist *pids)
{
    struct sft_stat_batch *b = pids->n >= SFT_SPREAD_MIN_READS ? malloc(sizeof *b) : NULL;
    size_t at, k, m;
    int rc = 0;

    for (at = 0; rc == 0 && !s->unreadable && at < pids->n; at += m) {
        m = pids->n - at;
        if (m > SFT_READ_BATCH)
            m = SFT_READ_BATCH;
        if (b && m >= SFT_SPREAD_MIN_READS) {
            memcpy(b->pids, pids->v + at, m * sizeof *b->pids);
            sft_statfds_read_many(s->statfds, s->procdir, b, m);
            for (k = 0; rc == 0 && !s->unreadable && k < m; k++)
                rc = classify(s, b->pids[k], 0, &b->st[k], b->err[k]);
        } else {   /* a few, or no memory for a batch */
            for (k = 0; rc == 0 && !s->unreadable && k < m; k++)
                rc = read_one(s, pids->v[at + k]);
        }
        if (rc == 0 && !s->unreadable && s->hook && s->hook->batch_done)
            s->hook->batch_done(s->hook->ctx);
    }
    free(b);
    return rc;
}

int sft_scan_with(const char *procdir, const struct sft_pidset *skip,
                  const struct sft_pidset *held, struct sft_proclist *out,
                  struct sft_proclist *zombies, struct sft_scan_counts *counts,
                  const struct sft_scan_hook *hook, struct sft_error *err)
{
    struct sft_scan_counts dummy;
    struct sft_pidlist pids = { NULL, 0, 0 };
    struct scan s;
    DIR *d;
    /* A process seized before its read is read by its seizer, right after
     * its entry is listed, as before the reads were spread: the ptrace
     * method's timing is left as it was measured. */
    int stream = hook && hook->before_read;
    int rc = 0, listing = 0;

    if (!counts)
        counts = &dummy;
    memset(counts, 0, sizeof *counts);
    out->n = 0;
    if (zombies)
        zombies->n = 0;
    s = (struct scan){ procdir, skip, held, out, zombies, counts, hook, hook ? hook->statfds : NULL, err, 0, 0 };

    d = opendir(procdir);
    if (!d)
        return sft_error_set(err, SFT_E_PROC, errno, "cannot read /proc");
    while (rc == 0 && !s.unreadable) {
        struct dirent *de;
        long long pid;

        errno = 0;
        if (!(de = readdir(d))) {
            listing = errno;
            break;
        }
        if ((pid = entry_pid(de->d_name)) < 0 || !to_read(&s, pid))
            continue;
        if (stream)
            rc = read_one(&s, (pid_t)pid);
        else if (sft_pidlist_push(&pids, (pid_t)pid) != 0)
            rc = -1;
    }
    closedir(d);
    if (s.statfds && pids.n >= SFT_SPREAD_MIN_READS)
        sft_statfds_reserve(s.statfds, pids.n);
    if (rc == 0 && !listing && !s.unreadable && !stream)
        rc = read_listed(&s, &pids);
    sft_pidlist_free(&pids);
    if (listing)
        return sft_error_set(err, SFT_E_PROC, listing, "cannot read /proc");
    if (s.unreadable)
        return sft_error_set(err, SFT_E_PROC, s.unreadable, "cannot read /proc");
    if (rc != 0)
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    if (s.hidden)
        return sft_error_set(err, SFT_E_HIDDEN, s.hidden, "some processes cannot be read");
    if (counts->seen == 0)   /* an empty directory is not a procfs */
        return sft_error_set(err, SFT_E_PROC, ENOENT, "cannot read /proc: no processes listed");
    if (hook && hook->batch_done)
        hook->batch_done(hook->ctx);   /* a stream has no batches */
    return 0;
}

int sft_scan_saw_deaths(const struct sft_scan_counts *counts,
                        const struct sft_proclist *zombies, struct sft_pidset *dead_before,
                        const struct sft_proclist *dead_list)
{
    size_t i;
    int fresh_deaths = counts->vanished > 0;

    for (i = 0; i < zombies->n; i++)
        if (!sft_pidset_has(dead_before, zombies->v[i].pid))
            fresh_deaths = 1;
    for (i = 0; i < dead_list->n; i++)
        sft_pidset_del(dead_before, dead_list->v[i].pid);
    for (i = 0; i < zombies->n; i++)
        sft_pidset_add(dead_before, zombies->v[i].pid);
    return fresh_deaths;
}
