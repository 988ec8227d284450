/* unit_crowd.c - which CPU a caller goes back on after a crowded thaw. */
#define _GNU_SOURCE
#include "tap.h"
#include "sft_crowd.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static cpu_set_t cpus(int n)
{
    cpu_set_t s;
    int i;

    CPU_ZERO(&s);
    for (i = 0; i < n; i++)
        CPU_SET((unsigned)i, &s);
    return s;
}

/* A stat line of pid on cpu: 52 fields, as Linux 5.x and later write them;
 * the command name holds spaces and a ')'. */
static void write_stat(const char *dir, int pid, int cpu)
{
    char line[512];

    snprintf(line, sizeof line, "%d (busy ) 1 2) R 1 5 5 0 -1 4194560 10 0 0 0 3 4 0 0 20 0 1 0 987654 1234 56 "
             "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 %d 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
             pid, cpu);
    write_fake_stat(dir, pid, line);
}

int main(void)
{
    cpu_set_t two = cpus(2), four = cpus(4), first = cpus(1), second;
    unsigned lopsided[2] = { 30, 2 }, even[2] = { 16, 16 }, other_way[2] = { 2, 30 };
    unsigned some[4] = { 10, 10, 1, 11 }, close_call[4] = { 9, 9, 2, 3 };
    char dir[] = "/tmp/unit_crowd.XXXXXX";
    pid_t pids[64];
    int i;

    CPU_ZERO(&second);
    CPU_SET(1, &second);
    ok(sft_crowd_pick(lopsided, 2, &two, 0) == 1, "30 wait here, 2 there: go there");
    ok(sft_crowd_pick(even, 2, &two, 0) == -1, "as many on each: stay");
    ok(sft_crowd_pick(other_way, 2, &two, 0) == -1, "here is the least crowded already: stay");
    ok(sft_crowd_pick(lopsided, 2, &first, 0) == -1, "the other CPU is not allowed: stay");
    ok(sft_crowd_pick(lopsided, 2, &two, -1) == -1, "sched_getcpu failed: stay");
    ok(sft_crowd_pick(lopsided, 2, &two, 5) == -1, "here beyond the counts: stay");
    ok(sft_crowd_pick(some, 4, &four, 3) == 2, "four CPUs: the one with fewest");
    ok(sft_crowd_pick(close_call, 4, &four, 3) == -1, "fewest has more than half of here's: stay");
    ok(sft_crowd_pick(close_call, 4, &four, 0) == 2, "from a crowded CPU to the emptiest");

    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    /* 40 processes, 35 of them on CPU 1; 10 more named but gone. */
    for (i = 0; i < 50; i++) {
        pids[i] = 100 + i;
        if (i < 40)
            write_stat(dir, pids[i], i % 8 == 0 ? 0 : 1);
    }
    ok(sft_crowd_least_cpu(pids, 40, dir, &two, 1) == 0, "read from stat files: from CPU 1 to CPU 0");
    ok(sft_crowd_least_cpu(pids, 40, dir, &two, 0) == -1, "on CPU 0 already: stay");
    ok(sft_crowd_least_cpu(pids, 50, dir, &two, 1) == 0, "processes gone are passed over");
    ok(sft_crowd_least_cpu(pids + 40, 10, dir, &two, 1) == -1, "none could be read: stay");
    ok(sft_crowd_least_cpu(pids, 0, dir, &two, 1) == -1, "no processes: stay");
    ok(sft_crowd_least_cpu(pids, 40, dir, &second, 1) == -1, "CPU 1, crowded, is the only one allowed: stay");

    for (i = 0; i < 40; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%d/stat", dir, pids[i]);
        unlink(path);
        snprintf(path, sizeof path, "%s/%d", dir, pids[i]);
        rmdir(path);
    }
    rmdir(dir);

    /* A move itself: from CPU 0 to CPU 1, where nothing keeps the CPU.
     * The watch runs at SCHED_FIFO: without the right to it, no move. */
    {
        cpu_set_t own, now, zero;
        CPU_ZERO(&zero);
        CPU_SET(0, &zero);
        if (sched_getaffinity(0, sizeof own, &own) != 0 || !CPU_ISSET(0, &own) || !CPU_ISSET(1, &own)
            || sched_setaffinity(0, sizeof zero, &zero) != 0) {
            ok(1, "# SKIP needs CPUs 0 and 1");
        } else {
            int moved = sft_crowd_move(1, &own);
            int cpu = sched_getcpu();
            if (moved) {
                ok(cpu == 1, "moved onto CPU 1 (on %d)", cpu);
                ok(sched_getaffinity(0, sizeof now, &now) == 0 && CPU_COUNT(&now) == 1 && CPU_ISSET(1, &now),
                   "pinned there until given its CPUs back");
            } else {
                ok(geteuid() != 0, "no move only without the right to SCHED_FIFO");
            }
            ok(sched_setaffinity(0, sizeof own, &own) == 0, "its CPUs given back");
        }
        ok(sft_crowd_move(0, &zero) == 0, "no other CPU: no move");
    }
    return done_testing();
}
