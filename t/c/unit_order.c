/* unit_order.c - passes: parents first, every process once, linear time. */
#include "tap.h"
#include "sft_order.h"

#include <stdlib.h>

static struct sft_proc procs[300000];
static size_t order[300000], pass_end[300000];

/* Checks that order is a permutation and each process comes in a later pass
 * than its parent, when its parent is in the set. */
static int valid(size_t n, long passes)
{
    static long pass_of_index[300000];
    static char seen[300000];
    long k;
    size_t i, j;

    memset(seen, 0, n);
    for (k = 0, i = 0; k < passes; k++) {
        if (pass_end[k] <= i && !(k == 0 && n == 0))
            return 0;   /* empty or unordered pass */
        for (; i < pass_end[k]; i++) {
            if (order[i] >= n || seen[order[i]]++)
                return 0;
            pass_of_index[order[i]] = k;
        }
    }
    if (i != n)
        return 0;
    for (i = 0; i < n; i++)
        for (j = 0; j < n && n <= 2000; j++)
            if (procs[j].pid == procs[i].ppid && procs[i].ppid != procs[i].pid
                && pass_of_index[j] >= pass_of_index[i])
                return 0;
    return 1;
}

static void set(size_t i, pid_t pid, pid_t ppid)
{
    procs[i].pid = pid;
    procs[i].ppid = ppid;
}

int main(void)
{
    long passes;
    size_t i, n;

    ok(sft_order(procs, 0, order, pass_end) == 0, "no processes: no passes");

    /* Flat: all children of pid 1 (not in the set): one pass. */
    for (i = 0; i < 1000; i++)
        set(i, (pid_t)(100 + i), 1);
    passes = sft_order(procs, 1000, order, pass_end);
    ok(passes == 1 && valid(1000, passes), "1000 siblings: one pass");

    /* A chain listed child first: 1000 passes of one. */
    for (i = 0; i < 1000; i++)
        set(i, (pid_t)(5000 - i), (pid_t)(5000 - i - 1));
    passes = sft_order(procs, 1000, order, pass_end);
    ok(passes == 1000 && valid(1000, passes), "chain of 1000 in reverse: 1000 passes");
    ok(procs[order[0]].pid == 4001 && procs[order[999]].pid == 5000, "chain: root first, leaf last");

    /* A tree: root 10, children 11..13, grandchildren under each. */
    set(0, 20, 11); set(1, 10, 1); set(2, 11, 10); set(3, 12, 10); set(4, 13, 10);
    set(5, 21, 12); set(6, 22, 13); set(7, 30, 20);
    passes = sft_order(procs, 8, order, pass_end);
    ok(passes == 4 && valid(8, passes), "tree of depth 3: 4 passes");
    ok(pass_end[0] == 1 && procs[order[0]].pid == 10, "tree: the root alone in pass 0");
    ok(pass_end[1] == 4 && pass_end[2] == 7 && pass_end[3] == 8, "tree: pass sizes 1, 3, 3, 1");

    /* Parents outside the set (excluded, stopped, pid 1) make roots. */
    set(0, 50, 49); set(1, 51, 50); set(2, 60, 59);
    passes = sft_order(procs, 3, order, pass_end);
    ok(passes == 2 && valid(3, passes), "parents outside the set: their children are roots");

    /* A ppid cycle (impossible in one instant, possible across reads). */
    set(0, 70, 71); set(1, 71, 70); set(2, 72, 1); set(3, 73, 73);
    passes = sft_order(procs, 4, order, pass_end);
    ok(passes == 2 && pass_end[0] == 2 && pass_end[1] == 4, "a cycle goes into a last pass");
    ok(procs[order[0]].pid + procs[order[1]].pid == 72 + 73, "pass 0: the orphan and the self-parented one");
    ok(procs[order[2]].pid + procs[order[3]].pid == 70 + 71, "last pass: the cycle");

    /* Random forests: every invariant, many shapes. */
    srand(42);
    for (i = 0; i < 50; i++) {
        size_t j;
        n = 1 + (size_t)rand() % 1500;
        for (j = 0; j < n; j++)
            set(j, (pid_t)(1000 + j), (pid_t)(j && rand() % 4 ? 1000 + rand() % j : 1));
        /* shuffle */
        for (j = n - 1; j > 0; j--) {
            size_t r = (size_t)rand() % (j + 1);
            struct sft_proc t = procs[j]; procs[j] = procs[r]; procs[r] = t;
        }
        passes = sft_order(procs, n, order, pass_end);
        if (!valid(n, passes))
            break;
    }
    ok(i == 50, "50 random forests ordered correctly");

    /* Linear time: a chain of 300000 (pids up to PID_MAX_LIMIT).  A
     * passes-times-processes ordering would take 4.5e10 steps here and not
     * finish within the test's time limit; this one takes milliseconds. */
    n = 300000;
    for (i = 0; i < n; i++)
        set(i, (pid_t)(4194304 - i), (pid_t)(4194304 - i - 1));
    passes = sft_order(procs, n, order, pass_end);
    ok(passes == (long)n && valid(n, passes), "chain of 300000: 300000 passes");
    return done_testing();
}
