/* sft_error.h - how the core reports failure.
 *
 * No function of the core prints or exits.  Each one that can fail takes a
 * struct sft_error, fills in a code, the errno that explains it and, when
 * particular processes are to blame, one note per process (pid, command
 * name, state, reason).  The caller turns the whole struct into one message
 * with sft_error_format(), so a message always names which processes and why.
 */
#ifndef SFT_ERROR_H
#define SFT_ERROR_H

#include <stddef.h>
#include <sys/types.h>

/* Longest command name the kernel reports (TASK_COMM_LEN is 16 for user
 * processes; kernel threads may show up to 64 bytes), plus the NUL. */
#define SFT_COMM_MAX 65

/* Stable error codes; the POD's DIAGNOSTICS lists the message of each. */
enum sft_code {
    SFT_OK = 0,
    SFT_E_PROC,       /* /proc cannot be read: errno says why            */
    SFT_E_NOMEM,      /* out of memory                                   */
    SFT_E_NOTSTOPPED, /* some processes would not stop: see the notes    */
    SFT_E_BADPID,     /* a pid outside 2..SFT_PID_MAX was given          */
    SFT_E_PROCNS,     /* /proc shows another PID namespace than ours     */
    SFT_E_HIDDEN,     /* /proc hides processes from this caller          */
    SFT_E_LOCKED,     /* another freeze holds this PID namespace: notes
                         name its caller and its guard                   */
    SFT_E_GUARD,      /* the guard process could not be started          */
    SFT_E_INTERRUPTED,/* a signal arrived: err is its number             */
    SFT_E_PTRACE      /* ptrace is not allowed here                      */
};

/* Why one process is named in an error or a report. */
enum sft_reason {
    SFT_R_TIMEOUT = 1, /* still not stopped when the time budget ran out  */
    SFT_R_EPERM,       /* kill() was refused: permission denied           */
    SFT_R_DSLEEP,      /* counted as frozen: a thread in uninterruptible
                          sleep with its stop pending                    */
    SFT_R_CGROUP       /* counted as frozen: in a frozen cgroup           */
};

struct sft_note {
    pid_t pid;
    char state;               /* state letter last read, or 0 if unknown  */
    int reason;               /* enum sft_reason                          */
    int err;                  /* errno, where the reason has one          */
    char comm[SFT_COMM_MAX];  /* raw command name: may hold any byte      */
};

/* A growing list of notes, in the order they were made. */
struct sft_notes {
    struct sft_note *v;
    size_t n, cap;
    size_t lost;              /* notes dropped because memory ran out     */
    size_t unpassed;          /* notes the guard made but could not pass
                                 back (its mapping holds 64)              */
};

/* Appends a note about one process; comm may be NULL.  Never fails: when
 * memory runs out the note is counted in lost instead. */
void sft_notes_add(struct sft_notes *l, pid_t pid, const char *comm,
                   char state, int reason, int err);
void sft_notes_free(struct sft_notes *l);

/* Appends copies of every note of from (and its counts of lost and
 * unpassed ones). */
void sft_notes_append(struct sft_notes *to, const struct sft_notes *from);

struct sft_error {
    int code;                 /* enum sft_code                            */
    int err;                  /* errno behind the code, or 0              */
    const char *what;         /* static text: the operation that failed   */
    struct sft_notes notes;   /* processes concerned                      */
};

void sft_error_init(struct sft_error *e);
void sft_error_free(struct sft_error *e);

/* Sets code, errno and the static description; returns -1 so that callers
 * can write "return sft_error_set(...)". */
int sft_error_set(struct sft_error *e, int code, int err, const char *what);

/* Appends a note about one process to e->notes. */
static inline void sft_error_note(struct sft_error *e, pid_t pid, const char *comm,
                                  char state, int reason, int err)
{
    sft_notes_add(&e->notes, pid, comm, state, reason, err);
}

/* Describes the error in one line of text, in a buffer from malloc() (NULL
 * only if memory ran out).  For SFT_E_NOTSTOPPED the message begins, as in
 * Sys::FreezeThaw 0.02, with "unable to stop some processes: PID PID ..."
 * (every pid), followed by details in parentheses (command names escaped,
 * at most SFT_ERROR_DETAILS of them). */
#define SFT_ERROR_DETAILS 20
char *sft_error_format(const struct sft_error *e);

/* Writes name into out (size outlen, NUL-terminated) with every byte that
 * is not printable ASCII, and '"' and '\\', escaped C-style. */
void sft_escape_comm(const char *name, char *out, size_t outlen);

#endif
