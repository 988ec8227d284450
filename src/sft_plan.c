/* sft_plan.c - see sft_plan.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_plan.h"
#include "sft_order.h"
#include "sft_pidset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sft_plan_make(struct sft_plan *plan, const char *procdir, const pid_t *exclude,
                  size_t nexclude, struct sft_error *err)
{
    struct sft_pidset skip;
    size_t i;
    int rc;

    memset(plan, 0, sizeof *plan);
    if (!procdir)
        procdir = "/proc";
    if (sft_proc_is_ours(procdir, err) != 0 || sft_proc_shows_all(procdir, err) != 0)
        return -1;
    if (sft_pidset_init(&skip) != 0)
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    sft_pidset_add(&skip, 1);
    sft_pidset_add(&skip, getpid());
    for (i = 0; i < nexclude; i++)
        sft_pidset_add(&skip, exclude[i]);
    rc = sft_scan(procdir, &skip, NULL, &plan->procs, NULL, NULL, err);
    sft_pidset_free(&skip);
    if (rc != 0)
        return -1;
    plan->order = malloc((plan->procs.n + 1) * sizeof *plan->order);
    plan->pass_end = malloc((plan->procs.n + 1) * sizeof *plan->pass_end);
    if (!plan->order || !plan->pass_end
        || (plan->npasses = sft_order(plan->procs.v, plan->procs.n, plan->order, plan->pass_end)) < 0)
        return sft_error_set(err, SFT_E_NOMEM, ENOMEM, "out of memory");
    return 0;
}

void sft_plan_free(struct sft_plan *plan)
{
    sft_proclist_free(&plan->procs);
    free(plan->order);
    free(plan->pass_end);
    memset(plan, 0, sizeof *plan);
}
