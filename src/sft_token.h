/* sft_token.h - the passes of a freeze: what thaw needs to undo it.
 *
 * A flat array of pids cut into passes.  Pass k holds pids[pass_end[k-1]]
 * up to pids[pass_end[k] - 1]; every process comes after its parent's
 * pass, so thaw walks the passes backwards.  The freeze appends each pass
 * BEFORE signalling it: whatever was sent a SIGSTOP is in the token, and
 * the failure path can continue it.
 */
#ifndef SFT_TOKEN_H
#define SFT_TOKEN_H

#include <stddef.h>
#include <sys/types.h>

struct sft_token {
    pid_t *pids;
    size_t npids, pids_cap;
    size_t *pass_end;
    size_t npasses, passes_cap;
    /* Who each pid named when it was stopped, parallel to pids; NULL in a
     * token rebuilt from plain pids.  pidfd is -1 where none could be
     * opened (old kernel, no descriptors left): the start time (clock
     * ticks since boot, from /proc/PID/stat) is compared instead. */
    unsigned long long *starttimes;
    int *pidfds;
};

void sft_token_init(struct sft_token *t);
void sft_token_free(struct sft_token *t);

/* Opens a new, empty pass.  Returns 0, or -1 (ENOMEM). */
int sft_token_new_pass(struct sft_token *t);

/* Appends pid to the last pass (opening one if there is none).  Returns 0,
 * or -1 (ENOMEM). */
int sft_token_add(struct sft_token *t, pid_t pid);

/* The same, with the process's identity: its start time and a pidfd (or
 * -1), which the token then owns and closes. */
int sft_token_add_known(struct sft_token *t, pid_t pid,
                        unsigned long long starttime, int pidfd);

/* Closes the pidfds (thaw is done with them); the pids stay. */
void sft_token_close_pidfds(struct sft_token *t);

/* Takes back the pid added last (it was never signalled after all), and
 * closes its pidfd. */
void sft_token_drop_last(struct sft_token *t);

/* Drops trailing empty passes. */
void sft_token_trim(struct sft_token *t);

/* The start time of an entry that names no process any more: its process
 * exited or was replaced before its stop.  A thaw passes over it (no
 * process starts at this tick), and its pid may be a newcomer's. */
#define SFT_TOKEN_FORGOTTEN ((unsigned long long)-1)

/* Marks entry i forgotten and closes its pidfd (a token with identities
 * only). */
void sft_token_forget(struct sft_token *t, size_t i);

/* Takes the forgotten entries out, and every pass left empty: what a
 * finished freeze hands back names each process stopped, once.  Only
 * once the freeze is done: the entries move, and an index into the token
 * (the freezer's map of pids to entries) no longer holds. */
void sft_token_compact(struct sft_token *t);

static inline size_t sft_token_pass_start(const struct sft_token *t, size_t k)
{
    return k ? t->pass_end[k - 1] : 0;
}

#endif
