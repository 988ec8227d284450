/* sft_procstat.h - reading /proc/PID/stat and /proc/PID/task/TID/stat.
 *
 * The command name (field 2) is raw: it may hold spaces, parentheses and
 * newlines, so the line is split at the LAST ')' and never on white space
 * alone; the original module split on white space and misread such
 * processes.  The state letter of /proc/PID/stat is the thread-group
 * leader's only: every other thread has its own in the task directory.
 */
#ifndef SFT_PROCSTAT_H
#define SFT_PROCSTAT_H

#include <stddef.h>
#include <sys/types.h>
#include "sft_error.h"

/* PF_KTHREAD in field 9 (flags) marks a kernel thread (include/linux/sched.h). */
#define SFT_PF_KTHREAD 0x00200000UL
/* PF_EXITING: the task is past the point of no return in exit(). */
#define SFT_PF_EXITING 0x00000004UL

struct sft_stat {
    pid_t pid;
    char comm[SFT_COMM_MAX];
    char state;                   /* field 3                           */
    pid_t ppid;                   /* field 4                           */
    unsigned long flags;          /* field 9                           */
    long num_threads;             /* field 20                          */
    unsigned long long starttime; /* field 22: clock ticks since boot  */
};

/* Parses the text of a stat file (len bytes, need not be NUL-terminated).
 * Returns 0, or -1 if the text is not a stat line. */
int sft_stat_parse(const char *buf, size_t len, struct sft_stat *out);

/* The CPU the task last ran on, or waits for (field 39, processor), from
 * the text of a stat file; -1 if the text has none. */
int sft_stat_parse_cpu(const char *buf, size_t len);

/* The same from the stat file at path: the CPU, or -1 (errno set when the
 * file could not be read). */
int sft_stat_read_cpu(const char *path);

/* Reads and parses the stat file at path.  Returns 0, or -1 with errno set
 * (ENOENT or ESRCH: the process or thread is gone; EINVAL: unparsable). */
int sft_stat_read(const char *path, struct sft_stat *out);

/* The same, from the start of a stat file open on fd. */
int sft_stat_pread(int fd, struct sft_stat *out);

/* The fields of /proc/PID[/task/TID]/status the freeze needs. */
struct sft_status {
    pid_t tracer;                 /* TracerPid: the tracing process, in the
                                     reader's PID namespace; 0 when there is
                                     none or it is not visible from here    */
    unsigned long long shdpnd;    /* ShdPnd: signals pending for the process
                                     (bit N-1 for signal N)                 */
};

/* Reads and parses a status file.  Returns 0, or -1 with errno set. */
int sft_status_read(const char *path, struct sft_status *out);

/* True for the states of a thread that cannot run user code again until it
 * is continued or is gone: stopped (T), traced stop (t), zombie, dead. */
int sft_state_is_halted(char state);

/* Whether state is a zombie's or a dead task's (Z, X, x): one that will
 * never run again, unlike a stopped one (T, t), which may be continued. */
int sft_state_is_dead(char state);

#endif
