/* sft_pidset.c - allocation of the pid bitmap. */
#include "sft_pidset.h"

#include <stdlib.h>

int sft_pidset_init(struct sft_pidset *s)
{
    s->bits = calloc(SFT_PID_MAX / 64 + 1, sizeof *s->bits);
    return s->bits ? 0 : -1;
}

void sft_pidset_free(struct sft_pidset *s)
{
    free(s->bits);
    s->bits = NULL;
}
