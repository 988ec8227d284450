/* unit_pidset.c - pid sets: empty when made (also after one was freed,
 * which is when calloc() took them from the heap), the whole pid range,
 * and only the pages holding members are touched. */
#include "tap.h"
#include "sft_pidset.h"

#include <stdint.h>

#include <sys/mman.h>
#include <unistd.h>

/* How many pages of the set's 512 KiB are resident. */
static size_t resident_pages(const struct sft_pidset *s)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)s->bits & ~(uintptr_t)(page - 1);
    uintptr_t end = (uintptr_t)s->bits + (SFT_PID_MAX / 64 + 1) * sizeof(uint64_t);
    size_t pages = (end - start + page - 1) / page, i, n = 0;
    unsigned char vec[(4194304 / 64 + 1) * 8 / 4096 + 2];

    if (pages > sizeof vec || mincore((void *)start, end - start, vec) != 0)
        return (size_t)-1;
    for (i = 0; i < pages; i++)
        n += vec[i] & 1;
    return n;
}

int main(void)
{
    struct sft_pidset s;
    pid_t p;
    int empty = 1, round;

    for (round = 0; round < 3; round++) {
        /* Pages are counted before anything reads the set: a read maps
         * the zero page, which counts as resident. */
        ok(sft_pidset_init(&s) == 0, "round %d: a set is made", round);
        ok(resident_pages(&s) == 0, "round %d: none of its pages is touched yet (%zu, after %d freed)",
           round, resident_pages(&s), round);
        sft_pidset_add(&s, 2);
        sft_pidset_add(&s, 3000);
        sft_pidset_add(&s, SFT_PID_MAX);
        ok(resident_pages(&s) <= 2, "round %d: adding touches only the pages of the members (%zu)",
           round, resident_pages(&s));
        ok(sft_pidset_has(&s, 2) && sft_pidset_has(&s, 3000) && sft_pidset_has(&s, SFT_PID_MAX)
           && !sft_pidset_has(&s, -1) && !sft_pidset_has(&s, SFT_PID_MAX + 1),
           "round %d: members over the whole range, nothing outside it", round);
        empty = 1;
        for (p = 0; p < SFT_PID_MAX; p += 4093)
            if (p != 2 && p != 3000)
                empty &= !sft_pidset_has(&s, p);
        empty &= !sft_pidset_has(&s, 3001) && !sft_pidset_has(&s, SFT_PID_MAX - 1);
        ok(empty, "round %d: every other pid is absent", round);
        sft_pidset_del(&s, 3000);
        ok(!sft_pidset_has(&s, 3000) && sft_pidset_has(&s, 2), "round %d: a member removed", round);
        sft_pidset_free(&s);
        ok(s.bits == NULL, "round %d: freed", round);
    }
    return done_testing();
}
