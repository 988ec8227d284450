/* sft_fds.h - closing many descriptors at once, and room for them.
 *
 * A freeze of 1000 processes keeps about 1000 stat files and 1000 pidfds,
 * each closed when done with: the stat files at the end of the freeze
 * (inside the frozen window), the pidfds at thaw.  close() cost 1.35 us a
 * descriptor here; close_range() over the same 1000, 0.85.  Descriptors
 * opened one after another mostly have consecutive numbers.
 */
#ifndef SFT_FDS_H
#define SFT_FDS_H

#include <stddef.h>

/* Closes fds[0..n-1] (entries below 0 are skipped) and sets each to -1:
 * every run of consecutive numbers in one close_range(), where the kernel
 * has it; a number not in fds is never closed. */
void sft_close_fds(int *fds, size_t n);

/* Grows the process's descriptor table at once to hold `more` descriptors
 * above the lowest free one (at most RLIMIT_NOFILE in all); any_fd is any
 * open descriptor.  The kernel grows the table by doubling as descriptors
 * are opened, and each growth while another thread of the process runs
 * waits for an RCU grace period (expand_fdtable): reads spread over the
 * CPUs did that up to 5 times, and the first freeze of 1000 processes by
 * a process spent 21 ms of its 42 there (later ones, the table grown
 * already, 17).  Never closes a descriptor it did not open: the table
 * grows through fcntl(F_DUPFD), which takes the lowest free number at or
 * above the one asked for. */
void sft_fd_table_reserve(int any_fd, size_t more);

#endif
