/* unit_token.c - a token's entries forgotten during a freeze (their
 * process exited or was replaced before its stop) are taken out of it
 * when the freeze ends, with the passes they leave empty: the pids the
 * caller gets back are the processes stopped, each once. */
#include "tap.h"
#include "sft_token.h"

#include <fcntl.h>
#include <unistd.h>

/* The token as text: passes between brackets. */
static const char *show(const struct sft_token *t)
{
    static char buf[256];
    size_t k, i, n = 0;

    buf[0] = 0;
    for (k = 0; k < t->npasses && n < sizeof buf - 32; k++) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "[");
        for (i = sft_token_pass_start(t, k); i < t->pass_end[k] && n < sizeof buf - 32; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, i > sft_token_pass_start(t, k) ? " %d" : "%d",
                                  (int)t->pids[i]);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "]");
    }
    return buf;
}

static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

int main(void)
{
    struct sft_token t;
    int fd5, fd6;

    sft_token_init(&t);
    /* [2 3] [4 5 6] [7] [] */
    sft_token_add_known(&t, 2, 100, -1);
    sft_token_add_known(&t, 3, 101, -1);
    sft_token_new_pass(&t);
    sft_token_add_known(&t, 4, 102, -1);
    fd5 = dup(0);
    sft_token_add_known(&t, 5, 103, fd5);
    fd6 = dup(0);
    sft_token_add_known(&t, 6, 104, fd6);
    sft_token_new_pass(&t);
    sft_token_add_known(&t, 7, 105, -1);
    sft_token_new_pass(&t);
    is_str(show(&t), "[2 3][4 5 6][7][]", "the token as built");

    sft_token_forget(&t, 3);   /* pid 5 */
    ok(!is_open(fd5), "forgetting an entry closes its pidfd");
    ok(t.pidfds[3] == -1 && t.starttimes[3] == SFT_TOKEN_FORGOTTEN, "and marks it forgotten");
    is_str(show(&t), "[2 3][4 5 6][7][]", "a forgotten entry stays until the token is compacted");

    sft_token_forget(&t, 5);   /* pid 7: its pass becomes empty */
    sft_token_compact(&t);
    is_str(show(&t), "[2 3][4 6]", "compacting drops the forgotten and every empty pass");
    ok(t.npids == 4 && t.pass_end[0] == 2 && t.pass_end[1] == 4, "counts and pass ends follow (%zu pids)", t.npids);
    ok(t.pids[3] == 6 && t.starttimes[3] == 104 && t.pidfds[3] == fd6 && is_open(fd6),
       "a kept entry keeps its start time and pidfd");

    /* An empty pass in the middle, left by forgetting all of it. */
    sft_token_new_pass(&t);
    sft_token_add_known(&t, 8, 106, -1);
    sft_token_new_pass(&t);
    sft_token_add_known(&t, 9, 107, -1);
    sft_token_forget(&t, 4);   /* pid 8 */
    sft_token_compact(&t);
    is_str(show(&t), "[2 3][4 6][9]", "an emptied pass between two others is dropped");

    /* Everything forgotten. */
    for (size_t i = 0; i < t.npids; i++)
        sft_token_forget(&t, i);
    sft_token_compact(&t);
    ok(t.npids == 0 && t.npasses == 0, "a token of forgotten entries compacts to nothing");
    ok(!is_open(fd6), "every pidfd forgotten is closed");
    sft_token_free(&t);

    /* A token of plain pids (rebuilt for a thaw) has nothing to forget. */
    sft_token_init(&t);
    sft_token_add(&t, 10);
    sft_token_new_pass(&t);
    sft_token_add(&t, 11);
    sft_token_compact(&t);
    is_str(show(&t), "[10][11]", "a plain token is left as it is");
    sft_token_free(&t);

    return done_testing();
}
