/* sft_statfd.h - stat files kept open between the reads of one freeze,
 * and how many descriptors a freeze may keep at all.
 *
 * A freeze reads each process two or three times: found, confirmed
 * stopped, and swept once more at the end.  open+read+close of a stat file
 * costs 8-9 us here, a pread() on one already open 4.5 us.  An open stat
 * file names the task it was opened for, not its number: once that task is
 * reaped, pread() fails with ESRCH even if a newcomer has taken the pid,
 * and the read opens the path anew; so a cached read answers exactly what
 * an uncached one would.
 *
 * Descriptors are bounded by RLIMIT_NOFILE (1024 by default): the pidfds
 * of a freeze of more processes than that, and its stat files, must leave
 * room for the reads themselves and for the caller, or the freeze fails
 * with "Too many open files" halfway.
 */
#ifndef SFT_STATFD_H
#define SFT_STATFD_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>
#include "sft_pidset.h"
#include "sft_procstat.h"

/* How many descriptors one kind of kept descriptor (pidfds, stat files)
 * may take in a freeze that starts now: half of what RLIMIT_NOFILE leaves
 * free after the ones open in procdir/self/fd and a reserve. */
size_t sft_fd_allowance(const char *procdir);

struct sft_statfds {
    struct sft_pidmap slot;   /* task id -> its index in fd            */
    int dirfd;                /* dir, open for this freeze, or -1      */
    const char *dir;          /* procdir (the caller's string)         */
    size_t dirlen;
    int *fd;                  /* -1: closed (its task was reaped)      */
    size_t n, cap;
    size_t open, max;         /* kept open now, and at most            */
    size_t reserved;          /* descriptors sft_statfds_reserve made room for */
};

void sft_statfds_init(struct sft_statfds *c, size_t max);
void sft_statfds_free(struct sft_statfds *c);   /* closes every one */

/* Opens procdir for c, so that paths under it are opened relative to it:
 * openat(dir, "PID/stat") cost 7.9 us against 9.0 for the whole path here
 * (the walk from / to /proc is skipped).  Without it, or when it cannot be
 * opened, reads open the whole path.  Per freeze, never cached across
 * calls: the caller may close or reuse any descriptor between them. */
void sft_statfds_open_dir(struct sft_statfds *c, const char *procdir);

/* Makes room in the descriptor table, before threads open files, for
 * what a freeze of nprocs processes keeps (a stat file and a pidfd each)
 * and a batch read at once (sft_fd_table_reserve): once, not again for a
 * later scan of no more processes (the sweep, inside the frozen window). */
void sft_statfds_reserve(struct sft_statfds *c, size_t nprocs);

/* open(path) for reading, relative to c's procdir when path lies under it. */
int sft_statfds_open(const struct sft_statfds *c, const char *path);

/* stat(path) the same way. */
int sft_statfds_stat(const struct sft_statfds *c, const char *path, struct stat *sb);

/* sft_stat_read(path) for task id tid (a pid, or a thread's id with the
 * path of its task directory), through c's open file when c has one, and
 * keeping the file open when c has room.  c may be NULL. */
int sft_statfds_read(struct sft_statfds *c, pid_t tid, const char *path, struct sft_stat *out);

/* Many stat files read at once: at most SFT_READ_BATCH, so that what a
 * freeze holds for them stays the same whatever the number of processes. */
#define SFT_READ_BATCH 512
struct sft_stat_batch {
    pid_t pids[SFT_READ_BATCH];          /* given                        */
    struct sft_stat st[SFT_READ_BATCH];  /* what each read gave          */
    int err[SFT_READ_BATCH];             /* 0, or that read's errno      */
    int fds[SFT_READ_BATCH], opened[SFT_READ_BATCH];   /* scratch        */
};

/* What sft_statfds_read of procdir/PID/stat gives for each of b->pids[0..n-1]
 * (n at most SFT_READ_BATCH), read from a thread per CPU when n is large
 * enough (sft_spread).  The cache is looked up and updated from the calling
 * thread only, before and after, and no more files are kept open than it
 * has room for.  c may be NULL. */
void sft_statfds_read_many(struct sft_statfds *c, const char *procdir, struct sft_stat_batch *b, size_t n);

#endif
