/* sft_grow.h - room for one more element in a growing array. */
#ifndef SFT_GROW_H
#define SFT_GROW_H

#include <stdlib.h>

/* Returns the array v (of *cap elements of size elem) with room for
 * element n: v itself if it has it, else a copy twice the size (first
 * elements for a new one), *cap updated.  When memory runs out, returns
 * v unchanged and sets *failed.  Used as
 *     l->v = sft_grow(l->v, &l->cap, l->n, sizeof *l->v, 256, &failed);
 * so that the pointer keeps its own type. */
static inline void *sft_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first, int *failed)
{
    size_t want;
    void *nv;

    *failed = 0;
    if (n < *cap)
        return v;
    want = *cap ? 2 * *cap : first;
    nv = realloc(v, want * elem);
    if (!nv) {
        *failed = 1;
        return v;
    }
    *cap = want;
    return nv;
}

#endif
