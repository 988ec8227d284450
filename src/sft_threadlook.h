/* sft_threadlook.h - the other threads of many processes, looked at from a
 * thread per CPU.
 *
 * A process has stopped only when every one of its threads has: the
 * leader's stat file tells nothing of the others.  Read one process after
 * another from the freezer's thread alone (a listing of PID/task, then a
 * stat file per thread), the other threads of 250 idle processes of 8
 * threads each took 11.8 ms of a 29 ms freeze.  Here they are read as the
 * leaders are (sft_statfds_read_many): from a thread per CPU, each file
 * closed as soon as it is read (a thread is looked at once per check; the
 * final scan reads leaders only).
 *
 * A thread in D or t is not decided here: what it means takes reads of
 * other files (its system call, its tracer), which the caller makes.
 */
#ifndef SFT_THREADLOOK_H
#define SFT_THREADLOOK_H

#include <stddef.h>
#include <sys/types.h>
#include "sft_statfd.h"

struct sft_thread_look {
    int done;          /* 1: every other thread looked at; 0: not (a
                          thread in D or t, or a file that could not be
                          opened for another reason than its thread's
                          end): the caller looks at the process itself */
    char running;      /* the state of the first thread found running
                          (the look stops there), or 0                  */
    size_t stopped;    /* threads in T                                  */
    size_t reads;      /* stat files read                               */
};

/* Looks at every thread but the leader of each of pids[0..n-1] into
 * looks[0..n-1], from a thread per CPU when n is large enough
 * (sft_spread).  Files are opened relative to c's procdir where it has
 * one; c is only read, and may be NULL. */
void sft_threads_look_many(const struct sft_statfds *c, const char *procdir, const pid_t *pids,
                           struct sft_thread_look *looks, size_t n);

#endif
