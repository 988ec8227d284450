/* sft_procstat.c - parse /proc stat files from the last ')'. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sft_procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads one unsigned decimal field at *p, then skips the one space after
 * it.  Returns -1 if there is no number or the text ended. */
static int next_field(const char **p, const char *end, unsigned long long *v)
{
    const char *s = *p;
    unsigned long long x = 0;
    int neg = 0, digits = 0;

    if (s < end && *s == '-') {   /* nice, priority and a few others */
        neg = 1;
        s++;
    }
    for (; s < end && *s >= '0' && *s <= '9'; s++, digits++)
        x = x * 10 + (unsigned long long)(*s - '0');
    if (!digits)
        return -1;
    if (s < end && *s != ' ' && *s != '\n')
        return -1;
    *v = neg ? (unsigned long long)-(long long)x : x;
    *p = s < end ? s + 1 : s;
    return 0;
}

int sft_stat_parse(const char *buf, size_t len, struct sft_stat *out)
{
    const char *end = buf + len, *open, *close, *p;
    unsigned long long v;
    size_t clen;
    int field;

    open = memchr(buf, '(', len);
    close = memrchr(buf, ')', len);
    if (!open || !close || close < open || open == buf)
        return -1;

    p = buf;
    if (next_field(&p, open, &v) != 0 || p != open || v == 0 || v > 0x7fffffffULL)
        return -1;
    out->pid = (pid_t)v;

    clen = (size_t)(close - open - 1);
    if (clen >= SFT_COMM_MAX)
        clen = SFT_COMM_MAX - 1;
    memcpy(out->comm, open + 1, clen);
    out->comm[clen] = 0;

    /* ") S ppid ..." */
    p = close + 1;
    if (end - p < 3 || p[0] != ' ' || p[2] != ' ')
        return -1;
    out->state = p[1];
    p += 3;

    for (field = 4; field <= 22; field++) {
        if (next_field(&p, end, &v) != 0)
            return -1;
        switch (field) {
        case 4:  out->ppid = (pid_t)v; break;
        case 9:  out->flags = (unsigned long)v; break;
        case 20: out->num_threads = (long)v; break;
        case 22: out->starttime = v; break;
        }
    }
    return 0;
}

int sft_stat_parse_cpu(const char *buf, size_t len)
{
    const char *end = buf + len, *p = memrchr(buf, ')', len);
    unsigned long long v;
    int field;

    if (!p || end - p < 3 || p[1] != ' ')
        return -1;
    p += 2;                              /* at field 3, the state */
    p = memchr(p, ' ', (size_t)(end - p));
    if (!p)
        return -1;
    p++;
    for (field = 4; field <= 39; field++)
        if (next_field(&p, end, &v) != 0)
            return -1;
    return v <= 0x7fffffffULL ? (int)v : -1;
}

int sft_stat_read_cpu(const char *path)
{
    char buf[2048];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf);
    close(fd);
    return n > 0 ? sft_stat_parse_cpu(buf, (size_t)n) : -1;
}

int sft_stat_pread(int fd, struct sft_stat *out)
{
    char buf[2048];
    ssize_t n = pread(fd, buf, sizeof buf, 0);

    if (n < 0)
        return -1;
    if (n == 0) {            /* the task was reaped between open and read */
        errno = ESRCH;
        return -1;
    }
    if (sft_stat_parse(buf, (size_t)n, out) != 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int sft_stat_read(const char *path, struct sft_stat *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc, saved;

    if (fd < 0)
        return -1;
    rc = sft_stat_pread(fd, out);
    saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* The value after "\nNAME" in a status file, parsed in the given base. */
static int status_field(const char *buf, const char *name, int base, unsigned long long *v)
{
    const char *line = strstr(buf, name);
    char *end;

    if (!line)
        return -1;
    line += strlen(name);
    *v = strtoull(line, &end, base);
    return end == line ? -1 : 0;
}

int sft_status_read(const char *path, struct sft_status *out)
{
    char buf[4096];
    unsigned long long tracer;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    if (n <= 0) {
        int saved = n == 0 ? ESRCH : errno;
        close(fd);
        errno = saved;
        return -1;
    }
    close(fd);
    buf[n] = 0;
    if (status_field(buf, "\nTracerPid:", 10, &tracer) != 0
        || status_field(buf, "\nShdPnd:", 16, &out->shdpnd) != 0) {
        errno = EINVAL;
        return -1;
    }
    out->tracer = (pid_t)tracer;
    return 0;
}

int sft_state_is_dead(char state)
{
    return state == 'Z' || state == 'X' || state == 'x';
}

int sft_state_is_halted(char state)
{
    return state == 'T' || state == 't' || sft_state_is_dead(state);
}
