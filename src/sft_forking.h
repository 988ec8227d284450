/* sft_forking.h - whether a task asleep in the kernel may yet create a task.
 *
 * A freeze counts a thread in uninterruptible sleep (D) as frozen: its stop
 * (a pending SIGSTOP, or a ptrace trap) comes before it returns to user
 * space.  That holds for the thread, not for what it is doing: inside
 * fork(), clone() or clone3(), copy_process() can sleep (an allocation,
 * the cgroup threadgroup lock) before the new task is in /proc, and the
 * task it then makes is not stopped (a signal sent to the parent alone is
 * not passed on; a clone that decided before the seizure not to report
 * itself is not traced).  Appearing after the freeze's last look, it
 * would run through the window.  Such a thread is not counted as frozen
 * until it leaves the system call.  A vfork wait (vfork(), or CLONE_VFORK)
 * is: its child exists already. */
#ifndef SFT_FORKING_H
#define SFT_FORKING_H

#include <stddef.h>
#include <sys/types.h>

/* Parses the text of a /proc/PID/task/TID/syscall file (len bytes): the
 * number of the system call the task is blocked in and its first
 * argument.  Returns 0, or -1 if it is in none ("running", or "-1 ..."
 * for a task blocked outside a system call) or the text is not that. */
int sft_syscall_parse(const char *buf, size_t len, long *nr, unsigned long *arg0);

/* Whether system call nr, with first argument arg0, creates a task that
 * may not exist yet.  clone3's flags are in the task's memory, at arg0:
 * flags3 points at them, or is NULL if they could not be read (then it
 * may). */
int sft_syscall_forks(long nr, unsigned long arg0, const unsigned long long *flags3);

/* The same for task tid, read in D a moment before, from the syscall file
 * at path (read under the freeze's rights: it needs those of ptrace) and,
 * for clone3, its memory.  1 if the file says "running": the task woke
 * since, and may be anywhere (55 of the 69 such reads logged in t/32's
 * fork storms, unprivileged).  0 if the file cannot be read (another
 * user's task, Yama): as before this check, the task is then counted as
 * frozen. */
int sft_task_forking(const char *path, pid_t tid);

#endif
