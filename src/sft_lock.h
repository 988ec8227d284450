/* sft_lock.h - one freeze at a time per PID namespace.
 *
 * Two freezers at once stop each other, and each other's guards, for good.
 * The lock is a POSIX record lock on a file named after the PID namespace
 * (its inode), so freezes in separate namespaces do not block each other.
 * A record lock belongs to the process that took it and is not passed on
 * by fork(): the guard takes it and holds it until it exits, so a child the
 * caller forks inside the frozen window never keeps it.
 */
#ifndef SFT_LOCK_H
#define SFT_LOCK_H

#include <sys/types.h>
#include "sft_error.h"

/* The message of SFT_E_LOCKED, whoever finds the lock held. */
#define SFT_LOCK_HELD "another freeze is in progress in this PID namespace"

/* Takes the lock for the PID namespace procdir shows, for the calling
 * process, recording caller as the freezing process.  Returns the open
 * file descriptor holding it, or -1 with err set: SFT_E_LOCKED naming the
 * holder (note: its pid, and its caller's), SFT_E_SYS if no lock file can
 * be made. */
int sft_lock_take(const char *procdir, pid_t caller, struct sft_error *err);

/* Whether the freezing process a holder of the lock names (caller, as
 * sft_lock_take notes it) is gone: no such process in procdir, or one
 * that has exited and waits to be reaped.  Its guard is then continuing
 * what it stopped, and lets go of the lock once done. */
int sft_lock_holder_gone(const char *procdir, pid_t caller);

/* The path, beside the lock, of the record a freeze by caller keeps of the
 * processes it stopped: for recovery should the caller and its guard both
 * die (see sft_guard_recover).  Returns 0, or -1 if no directory for it. */
int sft_lock_record_path(const char *procdir, pid_t caller, char *path, size_t len);

/* Calls fn(path, ctx) for each record file of the PID namespace procdir
 * shows, in every directory a lock may live in. */
void sft_lock_each_record(const char *procdir, void (*fn)(const char *path, void *ctx), void *ctx);

#endif
