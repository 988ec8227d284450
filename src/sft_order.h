/* sft_order.h - parents before children, in time linear in the count.
 *
 * A stopped parent cannot see its child stop (its wait() does not run), so
 * a freeze stops parents first and a thaw continues children first.  The
 * passes are the levels of the forest formed by the ppid links among the
 * processes given: pass 0 holds those whose parent is not among them, pass
 * k+1 the children of pass k.
 */
#ifndef SFT_ORDER_H
#define SFT_ORDER_H

#include <stddef.h>
#include "sft_scan.h"

/* Writes to order[0..n-1] a permutation of the indices of procs, grouped
 * by pass, and to pass_end[k] the end offset in order of pass k (pass_end
 * needs room for n entries).  Returns the number of passes, or -1
 * (ENOMEM).  Processes on a ppid cycle (impossible in one snapshot, but
 * /proc is read over time) go into one last pass.  O(n) time and memory. */
long sft_order(const struct sft_proc *procs, size_t n, size_t *order,
               size_t *pass_end);

#endif
