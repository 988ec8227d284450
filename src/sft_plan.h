/* sft_plan.h - the passes a freeze would make now, without stopping
 * anything: for `freezethaw --list`.
 */
#ifndef SFT_PLAN_H
#define SFT_PLAN_H

#include "sft_error.h"
#include "sft_scan.h"

struct sft_plan {
    struct sft_proclist procs;  /* every process a freeze would stop      */
    size_t *order;              /* indices into procs, pass by pass       */
    size_t *pass_end;           /* end offset in order of each pass       */
    long npasses;
};

/* Reads procdir (NULL: "/proc") as a freeze would, passing over pid 1, the
 * caller and exclude[0..nexclude-1], and orders what it found into passes.
 * Returns 0, or -1 with err set (as sft_freeze would fail on the same
 * /proc).  Free with sft_plan_free() either way. */
int sft_plan_make(struct sft_plan *plan, const char *procdir, const pid_t *exclude,
                  size_t nexclude, struct sft_error *err);
void sft_plan_free(struct sft_plan *plan);

#endif
