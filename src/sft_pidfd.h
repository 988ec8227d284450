/* sft_pidfd.h - a file descriptor that names one process, not a number.
 *
 * A pid can be taken by a new process once the old one is reaped; a pidfd
 * (Linux 5.3) keeps naming the process it was opened for, and a signal
 * sent through it to a process that has exited fails with ESRCH instead of
 * reaching a newcomer.  glibc before 2.36 has no wrappers: these call the
 * system calls directly.  Each returns -1 with errno ENOSYS where the
 * kernel lacks them; callers then fall back to comparing start times.
 */
#ifndef SFT_PIDFD_H
#define SFT_PIDFD_H

#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static inline int sft_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int sft_pidfd_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

#endif
