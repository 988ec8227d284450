/* sft_forking.c - see sft_forking.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_forking.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int sft_syscall_parse(const char *buf, size_t len, long *nr, unsigned long *arg0)
{
    char text[64];
    char *end;

    if (len >= sizeof text)
        len = sizeof text - 1;
    memcpy(text, buf, len);
    text[len] = '\0';
    if (!len || text[0] < '0' || text[0] > '9')
        return -1;   /* "running", "-1 sp pc", or not this file */
    *nr = strtol(text, &end, 10);
    if (*end != ' ' || strncmp(end + 1, "0x", 2) != 0)
        return -1;
    errno = 0;
    *arg0 = strtoul(end + 3, &end, 16);
    return errno || (*end != ' ' && *end != '\n' && *end != '\0') ? -1 : 0;
}

int sft_syscall_forks(long nr, unsigned long arg0, const unsigned long long *flags3)
{
#ifdef SYS_fork
    if (nr == SYS_fork)
        return 1;
#endif
#ifdef SYS_clone3
    if (nr == SYS_clone3)
        return !flags3 || !(*flags3 & CLONE_VFORK);
#else
    (void)flags3;
#endif
    if (nr == SYS_clone)
        return !(arg0 & CLONE_VFORK);
    return 0;   /* vfork() included: its child exists */
}

#ifdef SYS_clone3
/* clone3's flags (the first member of its clone_args), from the memory of
 * task tid at addr.  Returns 0, or -1. */
static int clone3_flags(pid_t tid, unsigned long addr, unsigned long long *flags)
{
    struct iovec here = { flags, sizeof *flags };
    struct iovec there = { (void *)addr, sizeof *flags };

    return process_vm_readv(tid, &here, 1, &there, 1, 0) == (ssize_t)sizeof *flags ? 0 : -1;
}
#endif

int sft_task_forking(const char *path, pid_t tid)
{
    char buf[256];
    unsigned long arg0;
    ssize_t n;
    long nr;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf);
    close(fd);
    /* "running": it woke between the read that saw D and this one (the
     * kernel could not catch it asleep), maybe inside fork: look again. */
    if (n >= 7 && memcmp(buf, "running", 7) == 0)
        return 1;
    if (n <= 0 || sft_syscall_parse(buf, (size_t)n, &nr, &arg0) != 0)
        return 0;
#ifdef SYS_clone3
    if (nr == SYS_clone3) {
        unsigned long long flags3 = 0;
        return sft_syscall_forks(nr, arg0, clone3_flags(tid, arg0, &flags3) == 0 ? &flags3 : NULL);
    }
#endif
    (void)tid;
    return sft_syscall_forks(nr, arg0, NULL);
}
