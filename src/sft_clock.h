/* sft_clock.h - the monotonic clock the time budget is measured on, and
 * the short sleeps that let the processes being stopped run.
 */
#ifndef SFT_CLOCK_H
#define SFT_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC: immune to changes of the wall clock. */
static inline double sft_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps for the given microseconds; a signal only shortens the sleep. */
static inline void sft_sleep_us(long us)
{
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
}

#endif
