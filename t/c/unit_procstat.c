/* unit_procstat.c - the /proc/PID/stat parser against hostile command names. */
#define _GNU_SOURCE
#include "tap.h"
#include "sft_procstat.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

/* A stat line with the given pid, comm, state and the fields we read. */
static int parse(const char *pid_and_comm, const char *rest, struct sft_stat *st)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s %s", pid_and_comm, rest);
    return sft_stat_parse(buf, (size_t)n, st);
}

/* After the comm: state ppid pgrp session tty tpgid flags(9) minflt cminflt
 * majflt cmajflt utime stime cutime cstime priority nice num_threads(20)
 * itrealvalue starttime(22) vsize ... */
#define TAIL(state, ppid, flags, nthreads, start) \
    state " " ppid " 5 5 0 -1 " flags " 10 0 0 0 3 4 0 0 20 -5 " nthreads " 0 " start " 1234 56 18446744073709551615 1 1 0\n"

int main(void)
{
    struct sft_stat st;
    static const struct { const char *comm; const char *want; const char *what; } names[] = {
        { "(sleep)",           "sleep",           "plain name" },
        { "(my prog)",         "my prog",         "space" },
        { "(a) R 1 2 (b)",     "a) R 1 2 (b",     "name that looks like fields" },
        { "(x))",              "x)",              "trailing ')'" },
        { "((()",              "((",              "open parentheses" },
        { "(a\nb)",            "a\nb",            "newline" },
        { "()",                "",                "empty name" },
        { "( )",               " ",               "a lone space" },
        { "(12 (34) S 5)",     "12 (34) S 5",     "digits and states inside" },
    };
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char pc[128];
        snprintf(pc, sizeof pc, "4242 %s", names[i].comm);
        ok(parse(pc, TAIL("S", "77", "4194560", "3", "987654"), &st) == 0, "parses: %s", names[i].what);
        is_str(st.comm, names[i].want, "comm kept raw");
        ok(st.pid == 4242 && st.state == 'S' && st.ppid == 77, "%s: pid, state, ppid", names[i].what);
        ok(st.flags == 4194560UL && st.num_threads == 3 && st.starttime == 987654ULL,
           "%s: flags, num_threads, starttime", names[i].what);
    }

    ok(parse("2 (kthreadd)", TAIL("S", "0", "2129984", "1", "3"), &st) == 0
       && (st.flags & SFT_PF_KTHREAD), "kernel thread recognised by PF_KTHREAD");
    ok(parse("9 (zombie)", TAIL("Z", "1", "4194316", "1", "100"), &st) == 0
       && !(st.flags & SFT_PF_KTHREAD) && st.state == 'Z', "a zombie is not a kernel thread");
    ok(parse("9 (leader)", TAIL("Z", "1", "4194316", "5", "100"), &st) == 0
       && st.num_threads == 5, "zombie leader with live threads keeps its thread count");
    {
        /* The longest comm a kernel thread may show: 64 bytes. */
        char pc[128] = "3 (";
        memset(pc + 3, 'k', 64);
        strcpy(pc + 67, ")");
        ok(parse(pc, TAIL("I", "2", "69238880", "1", "4"), &st) == 0 && strlen(st.comm) == 64,
           "64-byte name kept whole");
    }

    /* Malformed text is refused, never misread. */
    {
        static const char *const bad[] = {
            "", "4242", "4242 (name", "4242 name) S 1", "(name) S 1 2",
            "4242 (name) S", "4242 (name) S 1 2 3", "4242 (name) SS 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
            "x42 (name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
            "0 (name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
            "4242 (name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 1x9",
        };
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
            ok(sft_stat_parse(bad[i], strlen(bad[i]), &st) == -1, "refuses malformed line %zu", i);
    }
    {
        /* A line cut short at every length is refused or parsed, never overrun. */
        char line[512];
        int n = snprintf(line, sizeof line, "4242 (x) " TAIL("R", "1", "0", "1", "55"));
        int cut, refused = 0;
        for (cut = 0; cut < n - 1; cut++)
            refused += sft_stat_parse(line, (size_t)cut, &st) == -1;
        ok(refused >= n - 60, "truncated lines refused (%d of %d)", refused, n - 1);
        ok(sft_stat_parse(line, (size_t)n, &st) == 0 && st.starttime == 55, "the whole line parses");
    }

    ok(sft_state_is_halted('T') && sft_state_is_halted('t') && sft_state_is_halted('Z')
       && sft_state_is_halted('X'), "T, t, Z, X are halted");
    ok(!sft_state_is_halted('R') && !sft_state_is_halted('S') && !sft_state_is_halted('D')
       && !sft_state_is_halted('I'), "R, S, D, I are not");

    /* Field 39, the CPU, counted from the last ')'. */
    {
        const char *line = "77 (a) b) c) S 1 5 5 0 -1 4194560 10 0 0 0 3 4 0 0 20 -5 1 0 987654 1234 56 "
                           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        char own[1024];
        FILE *f = fopen("/proc/self/stat", "r");
        size_t n = f ? fread(own, 1, sizeof own, f) : 0;
        if (f)
            fclose(f);
        ok(sft_stat_parse_cpu(line, strlen(line)) == 3, "CPU of a process whose name holds ') '");
        ok(sft_stat_parse_cpu(line, 60) == -1, "a line cut before field 39 has no CPU");
        ok(sft_stat_parse_cpu("77 (a", 5) == -1, "no ')': no CPU");
        ok(n > 0 && sft_stat_parse_cpu(own, n) == sched_getcpu(), "our own CPU, as sched_getcpu says");
        ok(sft_stat_read_cpu("/proc/self/stat") == sched_getcpu(), "read from the file: the same");
        ok(sft_stat_read_cpu("/proc/0/stat") == -1, "a missing file: no CPU");
    }
    /* A real file: our own stat. */
    ok(sft_stat_read("/proc/self/stat", &st) == 0 && st.state == 'R' && st.pid == getpid(),
       "reads /proc/self/stat");
    ok(sft_stat_read("/proc/0/stat", &st) == -1, "a missing file is an error");
    {
        struct sft_status ss;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int rc;
        kill(getpid(), SIGUSR2);          /* blocked: stays pending in ShdPnd */
        memset(&ss, 0xff, sizeof ss);
        rc = sft_status_read("/proc/self/status", &ss);
        ok(rc == 0 && ss.tracer >= 0, "reads TracerPid of /proc/self/status (%d)", (int)ss.tracer);
        ok(ss.shdpnd & (1ULL << (SIGUSR2 - 1)), "ShdPnd shows a pending process signal (%llx)", ss.shdpnd);
        ok(sft_status_read("/proc/self/stat", &ss) == -1, "a file without those fields is an error");
    }
    return done_testing();
}
