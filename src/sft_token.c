/* sft_token.c - growing the passes of a freeze. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_token.h"
#include "sft_fds.h"
#include "sft_grow.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sft_token_init(struct sft_token *t)
{
    memset(t, 0, sizeof *t);
}

void sft_token_free(struct sft_token *t)
{
    sft_token_close_pidfds(t);
    free(t->pids);
    free(t->pass_end);
    free(t->starttimes);
    free(t->pidfds);
    sft_token_init(t);
}

void sft_token_close_pidfds(struct sft_token *t)
{
    if (t->pidfds)
        sft_close_fds(t->pidfds, t->npids);
}

int sft_token_new_pass(struct sft_token *t)
{
    int failed;

    t->pass_end = sft_grow(t->pass_end, &t->passes_cap, t->npasses, sizeof *t->pass_end, 8, &failed);
    if (failed)
        return -1;
    t->pass_end[t->npasses++] = t->npids;
    return 0;
}

/* Makes room for one more pid in every array the token has. */
static int grow(struct sft_token *t, int known)
{
    size_t cap = t->pids_cap ? 2 * t->pids_cap : 64;
    pid_t *v;

    if (t->npids < t->pids_cap && (!known || t->starttimes))
        return 0;
    if (t->npids == t->pids_cap) {
        v = realloc(t->pids, cap * sizeof *v);
        if (!v)
            return -1;
        t->pids = v;
    } else {
        cap = t->pids_cap;
    }
    if (cap == 0)
        return -1;   /* cannot happen: a token that holds a pid has room */
    if (known || t->starttimes) {
        int fresh = !t->starttimes;
        unsigned long long *s = realloc(t->starttimes, cap * sizeof *s);
        int *fds;
        size_t i;
        if (!s)
            return -1;
        t->starttimes = s;
        fds = realloc(t->pidfds, cap * sizeof *fds);
        if (!fds)
            return -1;
        t->pidfds = fds;
        for (i = 0; fresh && i < t->npids; i++) {   /* earlier plain entries */
            t->starttimes[i] = 0;
            t->pidfds[i] = -1;
        }
    }
    t->pids_cap = cap;
    return 0;
}

static int append(struct sft_token *t, pid_t pid, int known,
                  unsigned long long starttime, int pidfd)
{
    if (!t->npasses && sft_token_new_pass(t) != 0)
        return -1;
    if (grow(t, known) != 0)
        return -1;
    if (t->starttimes) {
        t->starttimes[t->npids] = known ? starttime : 0;
        t->pidfds[t->npids] = known ? pidfd : -1;
    }
    t->pids[t->npids++] = pid;
    t->pass_end[t->npasses - 1] = t->npids;
    return 0;
}

int sft_token_add(struct sft_token *t, pid_t pid)
{
    return append(t, pid, 0, 0, -1);
}

int sft_token_add_known(struct sft_token *t, pid_t pid,
                        unsigned long long starttime, int pidfd)
{
    return append(t, pid, 1, starttime, pidfd);
}

void sft_token_drop_last(struct sft_token *t)
{
    if (t->npids) {
        t->npids--;
        if (t->pidfds && t->pidfds[t->npids] >= 0)
            close(t->pidfds[t->npids]);
        t->pass_end[t->npasses - 1] = t->npids;
    }
}

void sft_token_trim(struct sft_token *t)
{
    while (t->npasses && sft_token_pass_start(t, t->npasses - 1) == t->npids)
        t->npasses--;
}

void sft_token_forget(struct sft_token *t, size_t i)
{
    if (!t->starttimes || i >= t->npids)
        return;
    if (t->pidfds[i] >= 0) {
        close(t->pidfds[i]);
        t->pidfds[i] = -1;
    }
    t->starttimes[i] = SFT_TOKEN_FORGOTTEN;
}

void sft_token_compact(struct sft_token *t)
{
    size_t k, i, from = 0, kept = 0, passes = 0;

    for (k = 0; k < t->npasses; k++) {
        for (i = from; i < t->pass_end[k]; i++) {
            if (t->starttimes && t->starttimes[i] == SFT_TOKEN_FORGOTTEN)
                continue;
            t->pids[kept] = t->pids[i];
            if (t->starttimes) {
                t->starttimes[kept] = t->starttimes[i];
                t->pidfds[kept] = t->pidfds[i];
            }
            kept++;
        }
        from = t->pass_end[k];
        if (kept > (passes ? t->pass_end[passes - 1] : 0))
            t->pass_end[passes++] = kept;
    }
    t->npids = kept;
    t->npasses = passes;
}
