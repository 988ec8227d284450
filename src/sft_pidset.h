/* sft_pidset.h - the pid range, and a set of pids with O(1) membership.
 *
 * pid_t is a signed int and kill() gives 0, -1 and negative pids special
 * meanings (the caller's group, everyone, a group), so every pid that comes
 * from outside the core is checked with sft_pid_valid() before use.
 */
#ifndef SFT_PIDSET_H
#define SFT_PIDSET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SFT_PID_MIN 2        /* pid 1 is init: never stopped            */
#define SFT_PID_MAX 4194304  /* PID_MAX_LIMIT in include/linux/threads.h */

static inline int sft_pid_valid(long long pid)
{
    return pid >= SFT_PID_MIN && pid <= SFT_PID_MAX;
}

/* A bitmap over 0..SFT_PID_MAX: 512 KiB of its own anonymous mapping, of
 * which only the pages that hold members are ever touched. */
struct sft_pidset {
    uint64_t *bits;
};

int sft_pidset_init(struct sft_pidset *s);   /* 0, or -1 (ENOMEM) */
void sft_pidset_free(struct sft_pidset *s);

static inline int sft_pidset_has(const struct sft_pidset *s, pid_t pid)
{
    return pid >= 0 && pid <= SFT_PID_MAX
        && (s->bits[(size_t)pid >> 6] >> ((size_t)pid & 63) & 1);
}

static inline void sft_pidset_add(struct sft_pidset *s, pid_t pid)
{
    if (pid >= 0 && pid <= SFT_PID_MAX)
        s->bits[(size_t)pid >> 6] |= (uint64_t)1 << ((size_t)pid & 63);
}

static inline void sft_pidset_del(struct sft_pidset *s, pid_t pid)
{
    if (pid >= 0 && pid <= SFT_PID_MAX)
        s->bits[(size_t)pid >> 6] &= ~((uint64_t)1 << ((size_t)pid & 63));
}

/* A growing list of pids. */
struct sft_pidlist {
    pid_t *v;
    size_t n, cap;
};
int sft_pidlist_push(struct sft_pidlist *l, pid_t pid);   /* 0, or -1 (ENOMEM) */
void sft_pidlist_free(struct sft_pidlist *l);

/* A growing map from pid to an index (into a token, say): open addressing,
 * at most half full. */
struct sft_pidmap {
    pid_t *keys;      /* 0: empty slot */
    size_t *values;
    size_t mask, used;
};

void sft_pidmap_init(struct sft_pidmap *m);
void sft_pidmap_free(struct sft_pidmap *m);
int sft_pidmap_put(struct sft_pidmap *m, pid_t pid, size_t value);  /* 0, or -1 ENOMEM */
int sft_pidmap_get(const struct sft_pidmap *m, pid_t pid, size_t *value);  /* 1 if found */

/* Which of parts readers (0..parts-1) pid belongs to.  Spread by a
 * multiplicative hash, not taken modulo parts: a process with threads
 * takes a pid for each, so processes of 8 threads made one after another
 * are 8 pids apart, and modulo 2 every one of 250 fell to one tracer
 * thread while the other had none. */
static inline unsigned sft_pid_part(pid_t pid, unsigned parts)
{
    return ((uint32_t)((uint32_t)pid * 2654435761u) >> 16) % (parts ? parts : 1);
}

#endif
