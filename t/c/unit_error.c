/* unit_error.c - the one-line messages of the core. */
#include "tap.h"
#include "sft_error.h"

#include <errno.h>
#include <stdlib.h>

int main(void)
{
    struct sft_error e;
    char out[300];
    char *msg;
    int i;

    sft_escape_comm("a b\n\"c\"\\\t\x01\xff", out, sizeof out);
    is_str(out, "a b\\n\\\"c\\\"\\\\\\t\\x01\\xff", "escapes newline, quote, backslash, tab and bytes");
    sft_escape_comm("abcdef", out, 4);
    is_str(out, "abc", "escape truncates to the buffer");
    sft_escape_comm("a\nb", out, 3);
    is_str(out, "a", "escape never cuts an escape sequence in half");

    sft_error_init(&e);
    sft_error_set(&e, SFT_E_PROC, ENOENT, "cannot read /proc");
    msg = sft_error_format(&e);
    is_str(msg, "cannot read /proc: No such file or directory", "a system error with errno");
    free(msg);
    sft_error_free(&e);

    sft_error_init(&e);
    sft_error_note(&e, 12, "sl ep", 'R', SFT_R_TIMEOUT, 0);
    sft_error_note(&e, 345, "a\nb)", 'D', SFT_R_TIMEOUT, 0);
    sft_error_note(&e, 6789, "root", 'S', SFT_R_EPERM, EPERM);
    sft_error_set(&e, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
    msg = sft_error_format(&e);
    is_str(msg, "unable to stop some processes: 12 345 6789 (12 \"sl ep\": timed out in state R; "
                "345 \"a\\nb)\": timed out in state D; 6789 \"root\": permission denied)",
           "pids first, as 0.02 did, then details");
    free(msg);
    sft_error_free(&e);

    sft_error_init(&e);
    for (i = 0; i < 25; i++)
        sft_error_note(&e, 100 + i, "w", 'R', SFT_R_TIMEOUT, 0);
    sft_error_set(&e, SFT_E_NOTSTOPPED, 0, "unable to stop some processes");
    msg = sft_error_format(&e);
    ok(strncmp(msg, "unable to stop some processes: 100 101 102", 42) == 0
       && strstr(msg, " 124 (100 \"w\"") != NULL, "every pid listed");
    ok(strstr(msg, "119 \"w\": timed out in state R; and 5 more)") != NULL, "details capped at 20");
    ok(strstr(msg, "120 \"w\"") == NULL, "no details past the cap");
    free(msg);
    e.notes.unpassed = 91;
    msg = sft_error_format(&e);
    ok(strstr(msg, "; and 5 more; 91 more not passed back by the guard)") != NULL
       && strstr(msg, "out of memory") == NULL, "notes the guard could not pass back: counted, not blamed on memory");
    free(msg);
    e.notes.lost = 2;
    msg = sft_error_format(&e);
    ok(strstr(msg, "; 2 more not listed: out of memory)") != NULL, "notes lost to memory: said so");
    free(msg);
    sft_error_free(&e);
    ok(e.notes.v == NULL && e.notes.n == 0 && e.notes.unpassed == 0, "free resets the struct");

    {
        struct sft_notes a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        sft_notes_add(&a, 7, "seven", 'R', SFT_R_TIMEOUT, 0);
        sft_notes_add(&b, 8, "eight", 'D', SFT_R_DSLEEP, 0);
        sft_notes_add(&b, 9, NULL, 0, SFT_R_EPERM, 1);
        b.lost = 3;
        b.unpassed = 4;
        sft_notes_append(&a, &b);
        ok(a.n == 3 && a.v[0].pid == 7 && a.v[1].pid == 8 && a.v[2].pid == 9, "append: the other's notes after ours");
        ok(strcmp(a.v[1].comm, "eight") == 0 && a.v[1].state == 'D' && a.v[1].reason == SFT_R_DSLEEP
           && a.v[2].reason == SFT_R_EPERM && a.v[2].err == 1, "append: each note whole");
        ok(a.lost == 3 && a.unpassed == 4 && b.n == 2, "append: the lost and unpassed counts added, the other untouched");
        sft_notes_free(&a);
        sft_notes_free(&b);
    }
    return done_testing();
}
