/* sft_thaw.h - continue a token's processes, children first.
 *
 * SIGCONT takes effect inside kill(): when kill() returns, every thread of
 * the target is runnable and its stop state is cleared, so no waiting or
 * confirmation pass is needed.  Continuing the last pass first means a
 * parent runs again only after its children have, and never finds a child
 * still reported as stopped.
 */
#ifndef SFT_THAW_H
#define SFT_THAW_H

#include "sft_error.h"
#include "sft_token.h"

/* Checks every pid of the token first (SFT_E_BADPID, nothing sent, if any
 * lies outside 2..SFT_PID_MAX: kill() would read 0 and negatives as groups
 * or everyone), then sends SIGCONT pass by pass from the last, only to the
 * processes the token stopped:
 *  - through the pidfd where the token has one: a process that has exited
 *    is passed over (ESRCH), its pid may name a newcomer;
 *  - else, where the token knows the start time, only if the process now
 *    under that pid started then (procdir/PID/stat is read first);
 *  - else (a token of plain pids: copied, or built by hand) only if the
 *    process is stopped now (T or t).
 * A pass of SFT_SPREAD_MIN_SIGNALS processes or more is sent from a thread per
 * CPU (sft_spread.h), and wholly sent before the next begins.
 * A process the caller may not signal (EPERM) is passed over.  procdir
 * NULL means "/proc".  continued (may be NULL) receives how many SIGCONTs
 * were sent.  Returns 0 or -1. */
int sft_thaw(const struct sft_token *token, const char *procdir,
             size_t *continued, struct sft_error *err);

/* The same, for a token done with: each pidfd is closed (and set to -1)
 * as soon as its SIGCONT is sent, by the thread that sent it. */
int sft_thaw_closing(struct sft_token *token, const char *procdir,
                     size_t *continued, struct sft_error *err);

#endif
