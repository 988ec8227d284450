/* sft_pidset.c - the pid bitmap and the pid map. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_pidset.h"
#include "sft_grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PIDSET_BYTES ((SFT_PID_MAX / 64 + 1) * sizeof(uint64_t))

/* mmap, not calloc: glibc raises its mmap threshold when a mapped block is
 * freed, so from the second freeze on calloc() took these from the heap
 * and cleared all 512 KiB, faulting in every page (here 400-950 page
 * faults per freeze).  A fresh mapping reads as zeros and only the pages
 * holding members are ever touched. */
int sft_pidset_init(struct sft_pidset *s)
{
    void *p = mmap(NULL, PIDSET_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    s->bits = p == MAP_FAILED ? NULL : p;
    return s->bits ? 0 : -1;
}

void sft_pidset_free(struct sft_pidset *s)
{
    if (s->bits)
        munmap(s->bits, PIDSET_BYTES);
    s->bits = NULL;
}

void sft_pidmap_init(struct sft_pidmap *m)
{
    memset(m, 0, sizeof *m);
}

void sft_pidmap_free(struct sft_pidmap *m)
{
    free(m->keys);
    free(m->values);
    sft_pidmap_init(m);
}

static size_t slot_of(const struct sft_pidmap *m, pid_t pid)
{
    size_t h = (size_t)((uint32_t)pid * 2654435761u) & m->mask;
    while (m->keys[h] && m->keys[h] != pid)
        h = (h + 1) & m->mask;
    return h;
}

int sft_pidmap_put(struct sft_pidmap *m, pid_t pid, size_t value)
{
    size_t h;

    if (!m->keys || 2 * (m->used + 1) > m->mask + 1) {
        struct sft_pidmap bigger;
        size_t size = m->keys ? 2 * (m->mask + 1) : 256, i;
        bigger.keys = calloc(size, sizeof *bigger.keys);
        bigger.values = malloc(size * sizeof *bigger.values);
        if (!bigger.keys || !bigger.values) {
            free(bigger.keys);
            free(bigger.values);
            return -1;
        }
        bigger.mask = size - 1;
        bigger.used = 0;
        for (i = 0; m->keys && i <= m->mask; i++)
            if (m->keys[i]) {
                size_t s = slot_of(&bigger, m->keys[i]);
                bigger.keys[s] = m->keys[i];
                bigger.values[s] = m->values[i];
                bigger.used++;
            }
        sft_pidmap_free(m);
        *m = bigger;
    }
    h = slot_of(m, pid);
    if (!m->keys[h])
        m->used++;
    m->keys[h] = pid;
    m->values[h] = value;
    return 0;
}

int sft_pidmap_get(const struct sft_pidmap *m, pid_t pid, size_t *value)
{
    size_t h;

    if (!m->keys || pid <= 0)
        return 0;
    h = slot_of(m, pid);
    if (!m->keys[h])
        return 0;
    *value = m->values[h];
    return 1;
}

int sft_pidlist_push(struct sft_pidlist *l, pid_t pid)
{
    int failed;

    l->v = sft_grow(l->v, &l->cap, l->n, sizeof *l->v, 256, &failed);
    if (failed)
        return -1;
    l->v[l->n++] = pid;
    return 0;
}

void sft_pidlist_free(struct sft_pidlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
