/* unit_forking.c - telling a thread asleep inside fork() or clone() from
 * one in a vfork wait, from the text of /proc/PID/task/TID/syscall. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tap.h"
#include "sft_forking.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse(const char *text, long *nr, unsigned long *arg0)
{
    return sft_syscall_parse(text, strlen(text), nr, arg0);
}

int main(void)
{
    long nr = 0;
    unsigned long arg0 = 0;
    unsigned long long vfork3 = CLONE_VFORK | CLONE_VM, thread3 = CLONE_THREAD | CLONE_VM | CLONE_SIGHAND;
    char path[64];
    int fds[2];
    pid_t child;

    ok(parse("56 0x1200011 0x0 0x0 0x7f2a5c3f7a10 0x0 0x0 0x7ffd1c2b3a40 0x7f2a5c2e4b15\n", &nr, &arg0) == 0
       && nr == 56 && arg0 == 0x1200011UL, "a blocked clone: its number and flags");
    ok(parse("435 0x7ffc1234abcd 0x58 0x0 0x0 0x0 0x0 0x7ffc1234ab00 0x7f00aa\n", &nr, &arg0) == 0
       && nr == 435 && arg0 == 0x7ffc1234abcdUL, "a blocked clone3: the address of its arguments");
    ok(parse("running\n", &nr, &arg0) != 0, "a running task is in no system call here");
    ok(parse("-1 0x7ffd1c2b3a40 0x7f2a5c2e4b15\n", &nr, &arg0) != 0, "blocked outside a system call");
    ok(parse("", &nr, &arg0) != 0 && parse("56", &nr, &arg0) != 0 && parse("56 12", &nr, &arg0) != 0
       && parse("x 0x1", &nr, &arg0) != 0, "not the file's text");

    ok(!sft_syscall_forks(SYS_read, 0, NULL), "read() makes no task");
#ifdef SYS_fork
    ok(sft_syscall_forks(SYS_fork, 0, NULL), "fork() may yet make its child");
#endif
#ifdef SYS_vfork
    ok(!sft_syscall_forks(SYS_vfork, 0, NULL), "vfork(): its child exists while the parent waits");
#endif
    ok(sft_syscall_forks(SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, NULL), "clone() of a thread may yet make it");
    ok(sft_syscall_forks(SYS_clone, SIGCHLD, NULL), "clone() of a process may yet make it");
    ok(!sft_syscall_forks(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL), "clone() with CLONE_VFORK (posix_spawn): its child exists");
#ifdef SYS_clone3
    ok(sft_syscall_forks(SYS_clone3, 0x7ffc0000UL, &thread3), "clone3() of a thread may yet make it");
    ok(!sft_syscall_forks(SYS_clone3, 0x7ffc0000UL, &vfork3), "clone3() with CLONE_VFORK: its child exists");
    ok(sft_syscall_forks(SYS_clone3, 0x7ffc0000UL, NULL), "clone3() whose flags could not be read may");
#endif

    ok(!sft_task_forking("/nonexistent/1/syscall", 1), "an unreadable file: counted as before (not forking)");
    {
        /* the file's text as the kernel may give it, from a file of ours;
         * %ld is the system call's number on this machine */
        static const struct { const char *text; long nr; int want; const char *what; } texts[] = {
            { "running\n", 0, 1, "\"running\": woke since it was seen in D, look again" },
            { "-1 0x7ffd1c2b3a40 0x7f2a5c2e4b15\n", 0, 0, "blocked outside a system call (a page fault)" },
            { "%ld 0x1200011 0x0 0x0 0x7f2a5c3f7a10 0x0 0x0 0x7ffd1c2b3a40 0x7f2a5c2e4b15\n", SYS_clone, 1,
              "inside glibc's fork() (clone)" },
            { "%ld 0x4111 0x0 0x0 0x0 0x0 0x0 0x7ffd1c2b3a40 0x7f2a5c2e4b15\n", SYS_clone, 0,
              "inside clone() with CLONE_VFORK" },
            { "%ld 0x3 0x7ffd1c2b3a40 0x1 0x0 0x0 0x0 0x7ffd1c2b3a40 0x7f2a5c2e4b15\n", SYS_read, 0, "inside read()" },
        };
        char tmp[] = "/tmp/unit_forking.XXXXXX";
        size_t i;
        int fd = mkstemp(tmp);
        for (i = 0; fd >= 0 && i < sizeof texts / sizeof texts[0]; i++) {
            char text[128];
            int len = snprintf(text, sizeof text, texts[i].text, texts[i].nr);
            if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != (ssize_t)len)
                break;
            ok(sft_task_forking(tmp, getpid()) == texts[i].want, "from the file: %s", texts[i].what);
        }
        ok(fd >= 0 && i == sizeof texts / sizeof texts[0], "the made-up files were written");
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
    }
    /* a child blocked in read() on a pipe nobody writes to */
    if (pipe(fds) != 0)
        return 1;
    child = fork();
    if (child == 0) {
        char c;
        close(fds[1]);
        _exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
    }
    close(fds[0]);
    usleep(50000);
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/syscall", (long)child, (long)child);
    {
        char text[256];
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(text, 1, sizeof text, f) : 0;
        if (f)
            fclose(f);
        ok(sft_syscall_parse(text, n, &nr, &arg0) == 0 && nr == SYS_read && arg0 == (unsigned long)fds[0],
           "the kernel's own text: a child blocked in read() on descriptor %d", fds[0]);
    }
    ok(!sft_task_forking(path, child), "a child blocked in read(): not forking");
    close(fds[1]);
    waitpid(child, NULL, 0);

    return done_testing();
}
