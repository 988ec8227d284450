/* sft_spawn.h - a helper program started without a copy of the caller.
 *
 * fork() copies the caller's page tables and leaves its memory shared
 * copy-on-write with the child for the child's life: a 1 GB caller took
 * 45 ms to start the guard, and every page it wrote while frozen was
 * copied.  posix_spawn() (vfork and exec) costs the same whatever the
 * caller's size: 0.4 ms for a small static program here.
 */
#ifndef SFT_SPAWN_H
#define SFT_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* A shared mapping of len bytes backed by a memory file that a spawned
 * program can map too; returns the mapping and sets *fd (close-on-exec),
 * or returns NULL with errno set. */
void *sft_spawn_shared_map(size_t len, int *fd);

/* Starts path with argv, and with fds[i] as descriptor 3 + i in it (no
 * other descriptor of the caller's, all being close-on-exec).  Returns its
 * pid, or -1 with errno set (the program missing or not executable). */
pid_t sft_spawn(const char *path, char *const argv[], const int *fds, size_t nfds);

#endif
