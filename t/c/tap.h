/* tap.h - a minimal Test Anything Protocol emitter for the C unit tests. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        printf("#   Failed at %s line %d\n", file, line);
        tap_failed++;
    }
    return pass;
}

#define is_str(got, want, name) tap_is_str((got), (want), (name), __FILE__, __LINE__)

static __attribute__((unused)) int tap_is_str(const char *got, const char *want, const char *name, const char *file, int line)
{
    int pass = got && strcmp(got, want) == 0;

    tap_ok(pass, file, line, "%s", name);
    if (!pass)
        printf("#   got:  \"%s\"\n#   want: \"%s\"\n", got ? got : "(null)", want);
    return pass;
}

static int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
