/* workload.c - the processes the tests freeze.  Built by t/lib/FreezeThawTest.pm.
 *
 *   workload idle | busy                 one thread, pausing or spinning
 *   workload threads N idle|busy         N threads in one process
 *   workload tree DEPTH WIDTH idle|busy  a tree of processes
 *   workload waiter LOG idle|busy [cont] a parent in waitpid(WUNTRACED) on its
 *                                        child (and WCONTINUED with "cont");
 *                                        appends "stopped" (or "continued") to
 *                                        LOG whenever it is told
 *   workload eatstop PID                 traces PID and swallows every SIGSTOP,
 *                                        so PID never stops
 *   workload pty LOG CMD [ARG...]        runs CMD on a new pseudo-terminal as its
 *                                        controlling terminal, copying output to LOG
 *   workload named NAME idle|busy        sets its command name (prctl) to NAME
 *   workload zombieleader N idle|busy    starts N more threads, then its main
 *                                        thread calls pthread_exit: the leader is
 *                                        a zombie (Z) while the others run
 *   workload threadloop                  creates short-lived threads without end
 *   workload threadvforkloop             the same, but each thread vfork()s a child
 *                                        that sleeps 2 ms: the thread spends its
 *                                        life in D
 *   workload forkloop                    forks children that exit at once, without end
 *   workload rtbusy CPU PRIO             spins on CPU at SCHED_FIFO PRIO (exits 3
 *                                        without "ready" where it may not)
 *   workload forkidle N                  forks children that pause, without end:
 *                                        at N of them it kills them all and
 *                                        starts again
 *   workload threadburst                 every 10 to 40 ms, starts a thread that
 *                                        spins for 50 ms, and joins it
 *   workload forkchain                   forks its successor and exits, every
 *                                        generation (reports only the first)
 *   workload hold PID                    traces PID and holds it in a ptrace stop,
 *                                        as a debugger at a breakpoint does
 *   workload sigchld LOG signalfd|siginfo  a parent with a busy child, watching
 *                                        SIGCHLD through signalfd or an SA_SIGINFO
 *                                        handler; appends "code N" to LOG per
 *                                        SIGCHLD (CLD_STOPPED 5, CLD_CONTINUED 6)
 *   workload countcont LOG               appends "cont" to LOG at every SIGCONT
 *   workload vfork                       vfork()s a child that pauses: the parent
 *                                        sits in D until the child exits; the
 *                                        child reports "ready CHILDPID"
 *   workload clonevfork | clone3vfork    as vfork, through clone() or clone3() with
 *                                        CLONE_VFORK (as posix_spawn does): the
 *                                        parent sits in D inside that call
 *   workload vforkthread                 an idle leader and a second thread that
 *                                        vfork()s a child that pauses: that thread
 *                                        sits in uninterruptible sleep (D) until
 *                                        the child exits; the child reports
 *                                        "ready CHILDPID"
 *
 * Every mode writes one line "ready" to standard output per process once it
 * is set up, then points standard output at /dev/null.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(111);
}

static void ready(void)
{
    int null = open("/dev/null", O_WRONLY);

    if (write(1, "ready\n", 6) != 6)
        die("write ready");
    if (null >= 0) {
        dup2(null, 1);
        close(null);
    }
}

static void *spin(void *arg)
{
    volatile unsigned long n = 0;
    (void)arg;
    for (;;)
        n++;
    return NULL;
}

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *(*body(const char *how))(void *)
{
    return strcmp(how, "busy") == 0 ? spin : idle;
}

static int run_threads(int n, const char *how)
{
    pthread_t t;
    int i;

    for (i = 1; i < n; i++)
        if (pthread_create(&t, NULL, body(how), NULL) != 0)
            die("pthread_create");
    ready();
    body(how)(NULL);
    return 0;
}

static void run_tree(int depth, int width, const char *how)
{
    int i;

    for (i = 0; depth > 0 && i < width; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            run_tree(depth - 1, width, how);
            exit(0);
        }
    }
    ready();
    body(how)(NULL);
}

static void log_line(const char *log, const char *line)
{
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        if (write(fd, line, strlen(line)) < 0)
            _exit(111);
        close(fd);
    }
}

static int run_waiter(const char *log, const char *how, int cont)
{
    pid_t child = fork();
    int st;

    if (child < 0)
        die("fork");
    if (child == 0) {
        body(how)(NULL);
        exit(0);
    }
    ready();
    for (;;) {
        pid_t w = waitpid(child, &st, WUNTRACED | (cont ? WCONTINUED : 0));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("waitpid");
        if (WIFSTOPPED(st)) {
            log_line(log, "stopped\n");
        } else if (WIFCONTINUED(st)) {
            log_line(log, "continued\n");
        } else {
            return 0;   /* the child is gone */
        }
    }
}

static const char *sig_log;

static void on_sigchld(int sig, siginfo_t *si, void *ctx)
{
    char line[32];
    (void)sig;
    (void)ctx;
    snprintf(line, sizeof line, "code %d\n", si->si_code);
    log_line(sig_log, line);
}

static void on_sigcont(int sig)
{
    (void)sig;
    log_line(sig_log, "cont\n");
}

static int run_sigchld(const char *log, const char *how)
{
    pid_t child;
    sigset_t set;

    sig_log = log;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (!strcmp(how, "signalfd"))
        sigprocmask(SIG_BLOCK, &set, NULL);
    else {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigchld;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGCHLD, &sa, NULL);
    }
    child = fork();
    if (child == 0)
        spin(NULL);
    ready();
    if (!strcmp(how, "signalfd")) {
        int fd = signalfd(-1, &set, 0);
        struct signalfd_siginfo si;
        while (read(fd, &si, sizeof si) == sizeof si) {
            char line[32];
            snprintf(line, sizeof line, "code %d\n", si.ssi_code);
            log_line(log, line);
        }
    }
    for (;;)
        pause();
    return 0;
}

static int run_countcont(const char *log)
{
    sig_log = log;
    signal(SIGCONT, on_sigcont);
    ready();
    spin(NULL);
    return 0;
}

static int run_eatstop(pid_t pid)
{
    int st;

    if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0)
        die("PTRACE_SEIZE");
    ready();
    for (;;) {
        int sig = 0;
        pid_t w = waitpid(pid, &st, __WALL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 || WIFEXITED(st) || WIFSIGNALED(st))
            return 0;
        if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) != SIGSTOP)
            sig = WSTOPSIG(st);        /* pass every other signal on */
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
    }
}

/* A vfork child: reports "ready CHILDPID" and pauses, its parent in D.
 * Only system calls here: the child may borrow the parent's memory. */
static void vfork_child(void)
{
    char line[32];
    int n = snprintf(line, sizeof line, "ready %d\n", (int)getpid());

    if (write(1, line, (size_t)n) != n)
        _exit(111);
    for (;;)
        pause();
}

static void *vfork_and_wait(void *arg)
{
    (void)arg;
    if (vfork() == 0)
        vfork_child();
    return idle(NULL);
}

/* clone_args of clone3(), its first version (include/uapi/linux/sched.h) */
struct clone_args_v0 {
    unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* No new stack and no CLONE_VM: the child returns from the call like a
 * fork()ed one, in a copy of the memory. */
static int run_clonevfork(int three)
{
    long child;

    if (three) {
        struct clone_args_v0 a;
        memset(&a, 0, sizeof a);
        a.flags = CLONE_VFORK;
        a.exit_signal = SIGCHLD;
        child = syscall(SYS_clone3, &a, sizeof a);
    } else {
        child = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    }
    if (child < 0)
        die(three ? "clone3" : "clone");
    if (child == 0)
        vfork_child();
    return idle(NULL) != NULL;
}

static int run_vforkthread(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, vfork_and_wait, NULL) != 0)
        die("pthread_create");
    return idle(NULL) != NULL;
}

static int run_named(const char *name, const char *how)
{
    if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0)
        die("PR_SET_NAME");
    return run_threads(1, how);
}

static int run_zombieleader(int n, const char *how)
{
    pthread_t t;
    int i;

    for (i = 0; i < n; i++)
        if (pthread_create(&t, NULL, body(how), NULL) != 0)
            die("pthread_create");
    ready();
    pthread_exit(NULL);
}

static void *short_life(void *arg)
{
    (void)arg;
    usleep(1000);
    return NULL;
}

static void *vfork_life(void *arg)
{
    pid_t child;

    (void)arg;
    child = vfork();
    if (child == 0) {
        /* Only system calls here: the child borrows the parent's memory. */
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
        _exit(0);
    }
    if (child > 0)
        waitpid(child, NULL, 0);
    return NULL;
}

static int run_threadloop(void *(*life)(void *))
{
    pthread_attr_t a;
    pthread_t t;

    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    ready();
    for (;;)
        if (pthread_create(&t, &a, life, NULL) != 0)
            usleep(100);   /* thread limit reached: let some exit */
    return 0;
}

static void *spin_50ms(void *arg)
{
    struct timespec t0, t;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000000L);
    return NULL;
}

/* Read single-threaded by a scan, then a second thread before the freeze
 * reaches it: a freezer that trusts the scan's count misses a running
 * thread. */
static int run_threadburst(void)
{
    pthread_t t;

    srand((unsigned)getpid());
    ready();
    for (;;) {
        usleep(10000 + (useconds_t)(rand() % 30000));
        if (pthread_create(&t, NULL, spin_50ms, NULL) == 0)
            pthread_join(t, NULL);
    }
    return 0;
}

static int run_forkloop(void)
{
    ready();
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
}

static int run_forkidle(int most)
{
    pid_t *kids = calloc((size_t)most, sizeof *kids);
    int n = 0, i;

    if (!kids)
        die("calloc");
    ready();
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            for (;;)
                pause();
        if (pid > 0)
            kids[n++] = pid;
        if (n == most || pid < 0) {
            for (i = 0; i < n; i++)
                kill(kids[i], SIGKILL);
            for (i = 0; i < n; i++)
                waitpid(kids[i], NULL, 0);
            n = 0;
        }
    }
}

static int run_rtbusy(int cpu, int prio)
{
    cpu_set_t one;
    struct sched_param sp;

    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    memset(&sp, 0, sizeof sp);
    sp.sched_priority = prio;
    if (sched_setaffinity(0, sizeof one, &one) != 0 || sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
        return 3;
    ready();
    for (;;)
        ;
}

static int run_forkchain(void)
{
    ready();
    for (;;) {
        pid_t pid = fork();
        if (pid < 0)
            continue;
        if (pid > 0)
            _exit(0);   /* the child carries on */
    }
}

static int run_hold(pid_t pid)
{
    int st;

    if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0)
        die("PTRACE_SEIZE/INTERRUPT");
    if (waitpid(pid, &st, __WALL) < 0)
        die("waitpid");
    ready();
    for (;;)
        pause();
    return 0;
}

static int run_pty(const char *log, char **argv)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY), out;
    char buf[4096];
    ssize_t n;
    pid_t child;

    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        die("posix_openpt");
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        int slave;
        setsid();
        slave = open(ptsname(master), O_RDWR);
        if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) != 0)
            die("controlling terminal");
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        close(master);
        if (slave > 2)
            close(slave);
        execvp(argv[0], argv);
        die("exec");
    }
    out = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (out < 0)
        die(log);
    ready();
    while ((n = read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0 && write(out, buf, (size_t)n) != n)
            die("write log");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";

    if (!strcmp(mode, "idle") || !strcmp(mode, "busy"))
        return run_threads(1, mode);
    if (!strcmp(mode, "threads") && argc == 4)
        return run_threads(atoi(argv[2]), argv[3]);
    if (!strcmp(mode, "tree") && argc == 5) {
        run_tree(atoi(argv[2]), atoi(argv[3]), argv[4]);
        return 0;
    }
    if (!strcmp(mode, "waiter") && (argc == 4 || argc == 5))
        return run_waiter(argv[2], argv[3], argc == 5);
    if (!strcmp(mode, "sigchld") && argc == 4)
        return run_sigchld(argv[2], argv[3]);
    if (!strcmp(mode, "countcont") && argc == 3)
        return run_countcont(argv[2]);
    if (!strcmp(mode, "eatstop") && argc == 3)
        return run_eatstop((pid_t)atoi(argv[2]));
    if (!strcmp(mode, "named") && argc == 4)
        return run_named(argv[2], argv[3]);
    if (!strcmp(mode, "zombieleader") && argc == 4)
        return run_zombieleader(atoi(argv[2]), argv[3]);
    if (!strcmp(mode, "threadloop"))
        return run_threadloop(short_life);
    if (!strcmp(mode, "threadvforkloop"))
        return run_threadloop(vfork_life);
    if (!strcmp(mode, "forkloop"))
        return run_forkloop();
    if (!strcmp(mode, "threadburst"))
        return run_threadburst();
    if (!strcmp(mode, "rtbusy") && argc == 4)
        return run_rtbusy(atoi(argv[2]), atoi(argv[3]));
    if (!strcmp(mode, "forkidle") && argc == 3)
        return run_forkidle(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1);
    if (!strcmp(mode, "forkchain"))
        return run_forkchain();
    if (!strcmp(mode, "hold") && argc == 3)
        return run_hold((pid_t)atoi(argv[2]));
    if (!strcmp(mode, "vfork"))
        return vfork_and_wait(NULL) != NULL;
    if (!strcmp(mode, "clonevfork") || !strcmp(mode, "clone3vfork"))
        return run_clonevfork(mode[5] == '3');
    if (!strcmp(mode, "vforkthread"))
        return run_vforkthread();
    if (!strcmp(mode, "pty") && argc >= 4)
        return run_pty(argv[2], argv + 3);
    fprintf(stderr, "usage: see the comment at the top of workload.c\n");
    return 2;
}
