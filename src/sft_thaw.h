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
 * or everyone), then sends SIGCONT pass by pass from the last.  A process
 * that is gone (ESRCH) or that the caller may not signal (EPERM: it was
 * never stopped by this caller) is passed over.  Returns 0 or -1. */
int sft_thaw(const struct sft_token *token, struct sft_error *err);

#endif
