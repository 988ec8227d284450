/* sft_token.c - growing the passes of a freeze. */
#include "sft_token.h"

#include <stdlib.h>
#include <string.h>

void sft_token_init(struct sft_token *t)
{
    memset(t, 0, sizeof *t);
}

void sft_token_free(struct sft_token *t)
{
    free(t->pids);
    free(t->pass_end);
    sft_token_init(t);
}

int sft_token_new_pass(struct sft_token *t)
{
    if (t->npasses == t->passes_cap) {
        size_t cap = t->passes_cap ? 2 * t->passes_cap : 8;
        size_t *v = realloc(t->pass_end, cap * sizeof *v);
        if (!v)
            return -1;
        t->pass_end = v;
        t->passes_cap = cap;
    }
    t->pass_end[t->npasses++] = t->npids;
    return 0;
}

int sft_token_add(struct sft_token *t, pid_t pid)
{
    if (!t->npasses && sft_token_new_pass(t) != 0)
        return -1;
    if (t->npids == t->pids_cap) {
        size_t cap = t->pids_cap ? 2 * t->pids_cap : 64;
        pid_t *v = realloc(t->pids, cap * sizeof *v);
        if (!v)
            return -1;
        t->pids = v;
        t->pids_cap = cap;
    }
    t->pids[t->npids++] = pid;
    t->pass_end[t->npasses - 1] = t->npids;
    return 0;
}

void sft_token_drop_last(struct sft_token *t)
{
    if (t->npids) {
        t->npids--;
        t->pass_end[t->npasses - 1] = t->npids;
    }
}

void sft_token_trim(struct sft_token *t)
{
    while (t->npasses && sft_token_pass_start(t, t->npasses - 1) == t->npids)
        t->npasses--;
}
