/* sft_order.c - breadth-first levels of the process forest. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_order.h"

#include <stdint.h>
#include <stdlib.h>

/* An open-addressing map from pid to index, sized to a power of two at
 * least twice the count so probes stay short. */
struct pidmap {
    size_t mask;
    size_t *slot;   /* index + 1; 0 is empty */
};

static size_t pid_hash(pid_t pid)
{
    uint32_t h = (uint32_t)pid * 2654435761u;   /* Knuth's multiplicative hash */
    return h;
}

static int pidmap_build(struct pidmap *m, const struct sft_proc *procs, size_t n)
{
    size_t size = 16, i;

    while (size < 2 * n)
        size *= 2;
    m->mask = size - 1;
    m->slot = calloc(size, sizeof *m->slot);
    if (!m->slot)
        return -1;
    for (i = 0; i < n; i++) {
        size_t h = pid_hash(procs[i].pid) & m->mask;
        while (m->slot[h])
            h = (h + 1) & m->mask;
        m->slot[h] = i + 1;
    }
    return 0;
}

/* Index of pid among procs, or (size_t)-1. */
static size_t pidmap_find(const struct pidmap *m, const struct sft_proc *procs, pid_t pid)
{
    size_t h = pid_hash(pid) & m->mask;

    for (; m->slot[h]; h = (h + 1) & m->mask)
        if (procs[m->slot[h] - 1].pid == pid)
            return m->slot[h] - 1;
    return (size_t)-1;
}

long sft_order(const struct sft_proc *procs, size_t n, size_t *order,
               size_t *pass_end)
{
    struct pidmap map;
    size_t *parent, *first_child, *kids, *fill;
    size_t i, head, tail;
    long passes = 0;

    if (n == 0)
        return 0;
    if (pidmap_build(&map, procs, n) != 0)
        return -1;
    parent = malloc(n * sizeof *parent);
    first_child = calloc(n + 1, sizeof *first_child);
    kids = malloc(n * sizeof *kids);
    fill = malloc(n * sizeof *fill);
    if (!parent || !first_child || !kids || !fill) {
        free(map.slot); free(parent); free(first_child); free(kids); free(fill);
        return -1;
    }

    /* Children lists in one array (compressed rows): count, prefix-sum, fill. */
    for (i = 0; i < n; i++) {
        parent[i] = procs[i].ppid == procs[i].pid ? (size_t)-1
                  : pidmap_find(&map, procs, procs[i].ppid);
        if (parent[i] != (size_t)-1)
            first_child[parent[i] + 1]++;
    }
    for (i = 0; i < n; i++)
        first_child[i + 1] += first_child[i];
    for (i = 0; i < n; i++)
        fill[i] = first_child[i];
    for (i = 0; i < n; i++)
        if (parent[i] != (size_t)-1)
            kids[fill[parent[i]]++] = i;

    /* Breadth first from the roots: the queue is the output order. */
    tail = 0;
    for (i = 0; i < n; i++)
        if (parent[i] == (size_t)-1)
            order[tail++] = i;
    head = 0;
    while (head < tail) {
        size_t level_end = tail;
        for (; head < level_end; head++) {
            size_t p = order[head], k;
            for (k = first_child[p]; k < first_child[p + 1]; k++)
                order[tail++] = kids[k];
        }
        pass_end[passes++] = level_end;
    }

    /* Whatever no root reaches sits on a cycle: one last pass. */
    if (tail < n) {
        char *placed = calloc(n, 1);
        if (!placed) {
            passes = -1;
        } else {
            for (i = 0; i < tail; i++)
                placed[order[i]] = 1;
            for (i = 0; i < n; i++)
                if (!placed[i])
                    order[tail++] = i;
            pass_end[passes++] = tail;
            free(placed);
        }
    }

    free(map.slot); free(parent); free(first_child); free(kids); free(fill);
    return passes;
}
