/* tap.h - a minimal Test Anything Protocol emitter for the C unit tests,
 * and what more than one of them reads of the kernel. */
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

#include <stdlib.h>

/* The size of this process's descriptor table, as the kernel reports it
 * (FDSize in /proc/self/status), or -1. */
static __attribute__((unused)) long fd_table_size(void)
{
    char line[256];
    long n = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "FDSize:", 7) == 0)
            n = atol(line + 7);
    if (f)
        fclose(f);
    return n;
}

#include <sys/stat.h>

/* Writes text as dir/PID/stat, a stat file of a fake /proc. */
static __attribute__((unused)) void write_fake_stat(const char *dir, int pid, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%d", dir, pid);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%d/stat", dir, pid);
    f = fopen(path, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
