/* sft_thaw.c - SIGCONT in reverse pass order. */
#include "sft_thaw.h"
#include "sft_pidset.h"

#include <signal.h>

int sft_thaw(const struct sft_token *t, struct sft_error *err)
{
    size_t i, k;

    for (i = 0; i < t->npids; i++)
        if (!sft_pid_valid(t->pids[i]))
            return sft_error_set(err, SFT_E_BADPID, 0, "pid outside 2..4194304 in token");

    for (k = t->npasses; k-- > 0;)
        for (i = sft_token_pass_start(t, k); i < t->pass_end[k]; i++)
            kill(t->pids[i], SIGCONT);
    return 0;
}
