/* FreezeThaw.xs - glue between Perl values and the C core in src/.
 *
 * Thin on purpose: options are checked and documented in
 * lib/Sys/FreezeThaw.pm, the work is done in src/.  This file converts
 * arrays of pids both ways and turns a core error into one croak (with
 * errno in $!).
 */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <signal.h>
#include <stdlib.h>

#include "sft_freeze.h"
#include "sft_plan.h"
#include "sft_ptrace.h"
#include "sft_pidset.h"
#include "sft_thaw.h"
#include "sft_window.h"

/* A live token carries its frozen window (src/sft_window.h) as magic on
 * its outer array: who each pid named, the guard that thaws if this
 * process dies, the caller's signal state to give back.  A copy of the
 * token (or one built by hand) is plain pids without it. */
static void frozen_free(struct sft_window *w)
{
    sft_window_free(w);
    free(w);
}

static int frozen_mg_free(pTHX_ SV *sv, MAGIC *mg)
{
    PERL_UNUSED_ARG(sv);
    if (mg->mg_ptr)
        frozen_free((struct sft_window *)mg->mg_ptr);
    mg->mg_ptr = NULL;
    return 0;
}

/* An ithread's copy of a token is plain pids: only the interpreter that
 * froze owns the guard and the pidfds. */
static int frozen_mg_dup(pTHX_ MAGIC *mg, CLONE_PARAMS *param)
{
    PERL_UNUSED_ARG(param);
    mg->mg_ptr = NULL;
    return 0;
}

static const MGVTBL frozen_vtbl = { NULL, NULL, NULL, NULL, frozen_mg_free, NULL, frozen_mg_dup, NULL };

static struct sft_window *frozen_of(pTHX_ SV *av)
{
    MAGIC *mg;

    if (SvTYPE(av) < SVt_PVMG)
        return NULL;
    for (mg = SvMAGIC(av); mg; mg = mg->mg_moremagic)
        if (mg->mg_type == PERL_MAGIC_ext && mg->mg_virtual == &frozen_vtbl)
            return (struct sft_window *)mg->mg_ptr;
    return NULL;
}

/* The one place a core error becomes a Perl exception. */
static void croak_core(pTHX_ struct sft_error *e)
{
    char *msg = sft_error_format(e);
    SV *sv = sv_2mortal(newSVpv(msg ? msg : "out of memory", 0));
    int err = e->err;

    free(msg);
    sft_error_free(e);
    SETERRNO(err, 0);
    croak("%s", SvPV_nolen(sv));
}

/* A pid from Perl, or 0 (which the core rejects) when it lies outside
 * 2..4194304: a plain cast would turn 4294967295 into -1, "everyone". */
static pid_t sv_to_pid(pTHX_ SV *sv)
{
    IV v = SvIV(sv);
    return sft_pid_valid((long long)v) ? (pid_t)v : 0;
}

/* Whether v reads as a pid to thaw, as the .pm's _is_pid($v, 2) would:
 * defined, not a reference, all decimal digits as a string, and 2 to
 * 4194304 as a number.  Here in C because thaw checks every pid of the
 * token before it sends anything: 1000 pids took 0.22 ms in Perl, a tenth
 * of the whole thaw. */
static int thaw_pid_ok(pTHX_ SV *v)
{
    STRLEN len, i;
    const char *str;
    long long n = 0;

    if (!SvOK(v) || SvROK(v))
        return 0;
    if (SvIOK(v) && !SvNOK(v) && !SvPOK(v))   /* the freeze's own pids */
        return SvIsUV(v) ? SvUVX(v) <= SFT_PID_MAX && sft_pid_valid((long long)SvUVX(v))
                         : sft_pid_valid((long long)SvIVX(v));
    str = SvPV_nomg(v, len);
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        if (str[i] < '0' || str[i] > '9')
            return 0;
        if (n <= SFT_PID_MAX)   /* beyond it, out of range whatever follows */
            n = n * 10 + (str[i] - '0');
    }
    return sft_pid_valid(n);
}

static AV *deref_av(pTHX_ SV *ref, const char *what)
{
    if (!SvROK(ref) || SvTYPE(SvRV(ref)) != SVt_PVAV)
        croak("%s is not an ARRAY reference", what);
    return (AV *)SvRV(ref);
}

static SV *token_to_sv(pTHX_ const struct sft_token *t)
{
    AV *passes = newAV();
    size_t k, i;

    av_extend(passes, (SSize_t)t->npasses);
    for (k = 0; k < t->npasses; k++) {
        AV *pass = newAV();
        av_extend(pass, (SSize_t)(t->pass_end[k] - sft_token_pass_start(t, k)));
        for (i = sft_token_pass_start(t, k); i < t->pass_end[k]; i++)
            av_push(pass, newSViv(t->pids[i]));
        av_push(passes, newRV_noinc((SV *)pass));
    }
    return newRV_noinc((SV *)passes);
}

static void hv_store_nv(pTHX_ HV *hv, const char *key, NV v)
{
    (void)hv_store(hv, key, (I32)strlen(key), newSVnv(v), 0);
}

static void hv_store_uv(pTHX_ HV *hv, const char *key, UV v)
{
    (void)hv_store(hv, key, (I32)strlen(key), newSVuv(v), 0);
}

static SV *note_to_sv(pTHX_ const struct sft_note *n)
{
    static const char *const reasons[] = {
        "", "timeout", "permission denied", "uninterruptible sleep, stop pending",
        "in a frozen cgroup"
    };
    HV *hv = newHV();

    hv_store_uv(aTHX_ hv, "pid", (UV)n->pid);
    (void)hv_store(hv, "comm", 4, newSVpv(n->comm, 0), 0);
    (void)hv_store(hv, "state", 5, n->state ? newSVpvn(&n->state, 1) : newSV(0), 0);
    (void)hv_store(hv, "reason", 6,
                   newSVpv(n->reason > 0 && n->reason <= SFT_R_CGROUP ? reasons[n->reason] : "unknown", 0), 0);
    return newRV_noinc((SV *)hv);
}

static SV *notes_to_sv(pTHX_ const struct sft_notes *l)
{
    AV *av = newAV();
    size_t i;

    for (i = 0; i < l->n; i++)
        av_push(av, note_to_sv(aTHX_ &l->v[i]));
    return newRV_noinc((SV *)av);
}

static SV *stats_to_sv(pTHX_ const struct sft_freeze_stats *s, const struct sft_error *partial)
{
    HV *hv = newHV(), *skipped = newHV();
    const struct sft_scan_counts *c = &s->last_scan;

    hv_store_uv(aTHX_ hv, "processes", s->processes);
    hv_store_uv(aTHX_ hv, "threads", s->threads);
    hv_store_uv(aTHX_ hv, "passes", s->passes);
    hv_store_uv(aTHX_ hv, "scans", s->scans);
    hv_store_uv(aTHX_ hv, "stat_reads", s->stat_reads);
    hv_store_uv(aTHX_ hv, "nudged", s->nudged);
    hv_store_uv(aTHX_ hv, "realtime", s->realtime != 0);
    hv_store_nv(aTHX_ hv, "seconds", s->seconds);
    hv_store_nv(aTHX_ hv, "scan_seconds", s->scan_seconds);
    hv_store_nv(aTHX_ hv, "stop_seconds", s->stop_seconds);
    hv_store_uv(aTHX_ skipped, "excluded", c->skipped);
    hv_store_uv(aTHX_ skipped, "kernel_threads", c->kthreads);
    hv_store_uv(aTHX_ skipped, "already_stopped", c->stopped);
    hv_store_uv(aTHX_ skipped, "zombies", c->zombies);
    hv_store_uv(aTHX_ skipped, "vanished", c->vanished);
    (void)hv_store(hv, "skipped", 7, newRV_noinc((SV *)skipped), 0);
    (void)hv_store(hv, "counted_frozen", 14, notes_to_sv(aTHX_ &s->counted_frozen), 0);
    (void)hv_store(hv, "not_stopped", 11, notes_to_sv(aTHX_ &partial->notes), 0);
    return newRV_noinc((SV *)hv);
}

MODULE = Sys::FreezeThaw    PACKAGE = Sys::FreezeThaw

PROTOTYPES: DISABLE

void
_freeze(SV *exclude, NV timeout, int partial_ok, NV max_frozen, int no_pidfd, int use_ptrace, int tracers, SV *guard_program, SV *open_token)
  PREINIT:
    AV *ex, *passes, *fb;
    SSize_t i, n;
    pid_t *pids;
    struct sft_freeze_opts opts;
    struct sft_freeze_stats stats;
    struct sft_error err;
    struct sft_window *w;
    SV *token_ref, *stats_ref;
  PPCODE:
    ex = deref_av(aTHX_ exclude, "exclude");
    n = av_len(ex) + 1;
    Newxz(pids, n ? n : 1, pid_t);
    SAVEFREEPV(pids);
    for (i = 0; i < n; i++) {
        SV **e = av_fetch(ex, i, 0);
        pids[i] = e ? sv_to_pid(aTHX_ *e) : 0;
    }
    sft_error_init(&err);
    if (use_ptrace && sft_ptrace_allowed(NULL, &err) != 0)
        croak_core(aTHX_ &err);
    w = (struct sft_window *)calloc(1, sizeof *w);
    if (!w)
        croak("out of memory");
    memset(&opts, 0, sizeof opts);
    opts.timeout = timeout;
    opts.partial_ok = partial_ok;
    opts.exclude = pids;
    opts.nexclude = (size_t)n;
    opts.no_pidfd = no_pidfd;
    opts.tracers = tracers;
    opts.guard_program = SvOK(guard_program) ? SvPV_nolen(guard_program) : NULL;
    if (sft_window_freeze(w, SvROK(open_token) ? frozen_of(aTHX_ SvRV(open_token)) : NULL,
                          &opts, max_frozen, use_ptrace, &stats, &err) != 0) {
        free(w);
        sft_freeze_stats_free(&stats);
        croak_core(aTHX_ &err);
    }

    token_ref = sv_2mortal(token_to_sv(aTHX_ &w->token));
    passes = (AV *)SvRV(token_ref);
    sv_magicext((SV *)passes, NULL, PERL_MAGIC_ext, &frozen_vtbl, (const char *)w, 0)->mg_flags |= MGf_DUP;
    stats_ref = sv_2mortal(stats_to_sv(aTHX_ &stats, &err));
    hv_store_uv(aTHX_ (HV *)SvRV(stats_ref), "guard_pid", (UV)sft_guard_pid(&w->guard));
    (void)hv_store((HV *)SvRV(stats_ref), "method", 6, newSVpv(use_ptrace ? "ptrace" : "signal", 0), 0);
    fb = newAV();
    for (i = 0; i < (SSize_t)w->nfallback; i++)
        av_push(fb, newSViv(w->fallback[i]));
    (void)hv_store((HV *)SvRV(stats_ref), "signal_fallback", 15, newRV_noinc((SV *)fb), 0);
    sft_freeze_stats_free(&stats);
    sft_error_free(&err);
    EXTEND(SP, 2);
    PUSHs(token_ref);
    PUSHs(stats_ref);

SV *
_token_error(SV *token)
  PREINIT:
    AV *passes;
    SSize_t k, i, npasses;
    static const char *prefix = "Sys::FreezeThaw::thaw: malformed token:";
  CODE:
    RETVAL = &PL_sv_undef;
    SvGETMAGIC(token);
    if (!SvROK(token) || SvTYPE(SvRV(token)) != SVt_PVAV || SvOBJECT(SvRV(token))) {
        RETVAL = newSVpvf("%s not an ARRAY reference", prefix);
    } else {
        passes = (AV *)SvRV(token);
        npasses = av_len(passes) + 1;
        for (k = 0; k < npasses && RETVAL == &PL_sv_undef; k++) {
            SV **p = av_fetch(passes, k, 0);
            SV *pass = p ? *p : &PL_sv_undef;
            AV *pids;
            SSize_t n;

            SvGETMAGIC(pass);
            if (!SvROK(pass) || SvTYPE(SvRV(pass)) != SVt_PVAV || SvOBJECT(SvRV(pass))) {
                RETVAL = newSVpvf("%s pass %ld is not an ARRAY reference", prefix, (long)k);
                break;
            }
            pids = (AV *)SvRV(pass);
            n = av_len(pids) + 1;
            for (i = 0; i < n; i++) {
                SV **e = av_fetch(pids, i, 0);
                SV *v = e ? *e : &PL_sv_undef;

                SvGETMAGIC(v);
                if (thaw_pid_ok(aTHX_ v))
                    continue;
                if (SvOK(v))
                    RETVAL = newSVpvf("%s pass %ld entry %ld ('%" SVf "') is not a pid from %d to %d;"
                                      " nothing was continued", prefix, (long)k, (long)i, SVfARG(v),
                                      SFT_PID_MIN, SFT_PID_MAX);
                else
                    RETVAL = newSVpvf("%s pass %ld entry %ld (undef) is not a pid from %d to %d;"
                                      " nothing was continued", prefix, (long)k, (long)i, SFT_PID_MIN, SFT_PID_MAX);
                break;
            }
        }
    }
  OUTPUT:
    RETVAL

int
_thaw(SV *token_sv)
  PREINIT:
    AV *passes;
    SSize_t k, i, npasses;
    struct sft_token token;
    struct sft_error err;
    struct sft_window *w;
  CODE:
    passes = deref_av(aTHX_ token_sv, "token");
    w = frozen_of(aTHX_ (SV *)passes);
    if (w) {
        RETVAL = sft_window_thaw(w);
    } else {
        /* Plain pids (a copy, or built by hand): only processes that are
         * stopped now are continued.  Every croak comes before the first
         * allocation. */
        npasses = av_len(passes) + 1;
        for (k = 0; k < npasses; k++) {
            SV **p = av_fetch(passes, k, 0);
            (void)deref_av(aTHX_ p ? *p : &PL_sv_undef, "token pass");
        }
        sft_token_init(&token);
        sft_error_init(&err);
        for (k = 0; k < npasses; k++) {
            AV *pass = (AV *)SvRV(*av_fetch(passes, k, 0));
            SSize_t n = av_len(pass) + 1;
            int failed = sft_token_new_pass(&token) != 0;

            for (i = 0; !failed && i < n; i++) {
                SV **e = av_fetch(pass, i, 0);
                failed = sft_token_add(&token, e ? sv_to_pid(aTHX_ *e) : 0) != 0;
            }
            if (failed) {
                sft_token_free(&token);
                sft_error_set(&err, SFT_E_NOMEM, ENOMEM, "out of memory");
                croak_core(aTHX_ &err);
            }
        }
        if (sft_thaw(&token, NULL, NULL, &err) != 0) {
            sft_token_free(&token);
            croak_core(aTHX_ &err);
        }
        sft_token_free(&token);
        RETVAL = 1;
    }
  OUTPUT:
    RETVAL

int
_is_live(SV *token_sv)
  CODE:
    RETVAL = SvROK(token_sv) && SvTYPE(SvRV(token_sv)) == SVt_PVAV
             && frozen_of(aTHX_ SvRV(token_sv)) && !frozen_of(aTHX_ SvRV(token_sv))->thawed;
  OUTPUT:
    RETVAL

SV *
_plan(SV *exclude)
  PREINIT:
    AV *ex, *passes;
    SSize_t i, n;
    pid_t *pids;
    struct sft_plan plan;
    struct sft_error err;
    long k;
  CODE:
    ex = deref_av(aTHX_ exclude, "exclude");
    n = av_len(ex) + 1;
    Newxz(pids, n ? n : 1, pid_t);
    SAVEFREEPV(pids);
    for (i = 0; i < n; i++) {
        SV **e = av_fetch(ex, i, 0);
        pids[i] = e ? sv_to_pid(aTHX_ *e) : 0;
    }
    sft_error_init(&err);
    if (sft_plan_make(&plan, NULL, pids, (size_t)n, &err) != 0) {
        sft_plan_free(&plan);
        croak_core(aTHX_ &err);
    }
    /* [ [ [pid, ppid, state, comm, threads], ... ], ... ] */
    passes = newAV();
    for (k = 0; k < plan.npasses; k++) {
        AV *pass = newAV();
        size_t j;
        for (j = k ? plan.pass_end[k - 1] : 0; j < plan.pass_end[k]; j++) {
            const struct sft_proc *p = &plan.procs.v[plan.order[j]];
            AV *row = newAV();
            av_push(row, newSViv(p->pid));
            av_push(row, newSViv(p->ppid));
            av_push(row, newSVpvn(&p->state, 1));
            av_push(row, newSVpv(p->comm, 0));
            av_push(row, newSViv(p->nthreads));
            av_push(pass, newRV_noinc((SV *)row));
        }
        av_push(passes, newRV_noinc((SV *)pass));
    }
    sft_plan_free(&plan);
    sft_error_free(&err);
    RETVAL = newRV_noinc((SV *)passes);
  OUTPUT:
    RETVAL

SV *
_recover()
  PREINIT:
    struct sft_recovery r;
    struct sft_error err;
    HV *hv;
  CODE:
    sft_error_init(&err);
    if (sft_guard_recover(NULL, &r, &err) != 0)
        croak_core(aTHX_ &err);
    sft_error_free(&err);
    hv = newHV();
    hv_store_uv(aTHX_ hv, "found", r.records);
    hv_store_uv(aTHX_ hv, "recorded", r.recorded);
    hv_store_uv(aTHX_ hv, "continued", r.continued);
    hv_store_uv(aTHX_ hv, "skipped_live", r.skipped_live);
    RETVAL = newRV_noinc((SV *)hv);
  OUTPUT:
    RETVAL
