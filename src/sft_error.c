/* sft_error.c - the error struct and its one-line message. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_error.h"
#include "sft_grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

void sft_error_init(struct sft_error *e)
{
    memset(e, 0, sizeof *e);
}

void sft_error_free(struct sft_error *e)
{
    sft_notes_free(&e->notes);
    sft_error_init(e);
}

void sft_notes_free(struct sft_notes *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

void sft_notes_append(struct sft_notes *to, const struct sft_notes *from)
{
    size_t i;

    for (i = 0; i < from->n; i++)
        sft_notes_add(to, from->v[i].pid, from->v[i].comm, from->v[i].state, from->v[i].reason, from->v[i].err);
    to->lost += from->lost;
    to->unpassed += from->unpassed;
}

int sft_error_set(struct sft_error *e, int code, int err, const char *what)
{
    e->code = code;
    e->err = err;
    e->what = what;
    return -1;
}

void sft_notes_add(struct sft_notes *l, pid_t pid, const char *comm,
                   char state, int reason, int err)
{
    struct sft_note *n;
    int failed;

    l->v = sft_grow(l->v, &l->cap, l->n, sizeof *l->v, 16, &failed);
    if (failed) {
        l->lost++;
        return;
    }
    n = &l->v[l->n++];
    n->pid = pid;
    n->state = state;
    n->reason = reason;
    n->err = err;
    n->comm[0] = 0;
    if (comm) {
        strncpy(n->comm, comm, SFT_COMM_MAX - 1);
        n->comm[SFT_COMM_MAX - 1] = 0;
    }
}

void sft_escape_comm(const char *name, char *out, size_t outlen)
{
    size_t o = 0;

    if (!outlen)
        return;
    for (; *name; name++) {
        unsigned char c = (unsigned char)*name;
        char tmp[5];
        size_t k;

        if (c == '\\' || c == '"')
            snprintf(tmp, sizeof tmp, "\\%c", c);
        else if (c == '\n')
            snprintf(tmp, sizeof tmp, "\\n");
        else if (c == '\t')
            snprintf(tmp, sizeof tmp, "\\t");
        else if (c < 0x20 || c >= 0x7f)
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
        else
            snprintf(tmp, sizeof tmp, "%c", c);
        k = strlen(tmp);
        if (o + k >= outlen)
            break;
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = 0;
}

/* The signals that abort a freeze (and a few more), by name. */
static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT:  return "INT";
    case SIGTERM: return "TERM";
    case SIGQUIT: return "QUIT";
    case SIGHUP:  return "HUP";
    case SIGPIPE: return "PIPE";
    case SIGALRM: return "ALRM";
    case SIGUSR1: return "USR1";
    case SIGUSR2: return "USR2";
    }
    return "?";
}

static const char *reason_text(const struct sft_note *n)
{
    switch (n->reason) {
    case SFT_R_TIMEOUT: return "timed out";
    case SFT_R_EPERM:   return "permission denied";
    case SFT_R_DSLEEP:  return "in uninterruptible sleep, stop pending";
    case SFT_R_CGROUP:  return "in a frozen cgroup";
    }
    return "unknown reason";
}

static void format_notes(FILE *f, const struct sft_notes *l)
{
    size_t i, shown = l->n;

    if (shown > SFT_ERROR_DETAILS)
        shown = SFT_ERROR_DETAILS;
    for (i = 0; i < l->n; i++)
        fprintf(f, "%s%ld", i ? " " : "", (long)l->v[i].pid);
    fputs(" (", f);
    for (i = 0; i < shown; i++) {
        const struct sft_note *n = &l->v[i];
        char comm[4 * SFT_COMM_MAX + 1];

        sft_escape_comm(n->comm, comm, sizeof comm);
        fprintf(f, "%s%ld \"%s\": %s", i ? "; " : "", (long)n->pid, comm,
                reason_text(n));
        if (n->reason == SFT_R_TIMEOUT && n->state)
            fprintf(f, " in state %c", n->state);
    }
    if (l->n > shown)
        fprintf(f, "; and %zu more", l->n - shown);
    if (l->unpassed)
        fprintf(f, "; %zu more not passed back by the guard", l->unpassed);
    if (l->lost)
        fprintf(f, "; %zu more not listed: out of memory", l->lost);
    fputc(')', f);
}

char *sft_error_format(const struct sft_error *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    switch (e->code) {
    case SFT_OK:
        fputs("no error", f);
        break;
    case SFT_E_NOTSTOPPED:
        fputs("unable to stop some processes: ", f);
        format_notes(f, &e->notes);
        break;
    case SFT_E_HIDDEN:
        fprintf(f, "cannot see every process: %s", e->what ? e->what : "");
        if (e->notes.n) {
            size_t i;
            fputs(": ", f);
            for (i = 0; i < e->notes.n; i++)
                fprintf(f, "%s%ld", i ? " " : "", (long)e->notes.v[i].pid);
        }
        if (e->err)
            fprintf(f, ": %s", strerror(e->err));
        break;
    case SFT_E_LOCKED:
        fputs(e->what ? e->what : "locked", f);
        if (e->notes.n == 2)
            fprintf(f, " (held by pid %ld, guard pid %ld)", (long)e->notes.v[0].pid,
                    (long)e->notes.v[1].pid);
        else if (e->err)
            fprintf(f, ": %s", strerror(e->err));
        break;
    case SFT_E_PTRACE:
        fputs(e->what ? e->what : "ptrace is not allowed", f);
        break;
    case SFT_E_INTERRUPTED:
        fprintf(f, "freeze interrupted by SIG%s; every process it had stopped was continued",
                signal_name(e->err));
        break;
    default:
        fputs(e->what ? e->what : "error", f);
        if (e->err)
            fprintf(f, ": %s", strerror(e->err));
        break;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
