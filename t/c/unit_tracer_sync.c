/* unit_tracer_sync.c - the ptrace method's tracer threads wait for one
 * another's first read of /proc before interrupting anything, and that
 * wait is bounded: by the time the waiter's own read took, the deadline,
 * and the quit flag.  A part that never arrives (its thread starved of
 * its CPU) must not hold the others for longer. */
#include "tap.h"
#include "sft_clock.h"
#include "sft_tracer.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

static struct tracer part(struct sft_tracer_sync *sync, int *quit, double deadline)
{
    struct tracer t;

    memset(&t, 0, sizeof t);
    t.sync = sync;
    t.quit = quit;
    t.deadline = deadline;
    return t;
}

/* How long the wait lasted, in seconds. */
static double timed_wait(struct tracer *t, double took)
{
    double t0 = sft_now();

    sft_tracer_wait_for_parts(t, took);
    return sft_now() - t0;
}

struct late {
    struct tracer t;
    double after;       /* seconds before it arrives */
};

static void *arrive_late(void *arg)
{
    struct late *l = arg;

    usleep((useconds_t)(l->after * 1e6));
    sft_tracer_wait_for_parts(&l->t, 1.0);
    return NULL;
}

int main(void)
{
    struct sft_tracer_sync sync;
    struct tracer t;
    int quit = 0;
    double w, far = sft_now() + 60;

    memset(&sync, 0, sizeof sync);
    sync.parts = 1;
    t = part(&sync, &quit, far);
    w = timed_wait(&t, 0.5);
    ok(w < 0.05, "a freeze of one part does not wait (%.3f s)", w);
    ok(sync.read == 1, "the part is counted as read");

    memset(&sync, 0, sizeof sync);
    sync.parts = 2;
    t = part(&sync, &quit, far);
    w = timed_wait(&t, 0.2);
    ok(w >= 0.19 && w < 1.0, "a part that never arrives is waited for as long as this one's read took (%.3f s)", w);

    memset(&sync, 0, sizeof sync);   /* the helpers not counted yet */
    t = part(&sync, &quit, far);
    w = timed_wait(&t, 0.1);
    ok(w >= 0.09 && w < 1.0, "so is a count of parts not yet known (%.3f s)", w);

    memset(&sync, 0, sizeof sync);
    sync.parts = 2;
    t = part(&sync, &quit, sft_now() + 0.1);
    w = timed_wait(&t, 5.0);
    ok(w >= 0.09 && w < 1.0, "but not past the deadline (%.3f s)", w);

    memset(&sync, 0, sizeof sync);
    sync.parts = 2;
    quit = 1;
    t = part(&sync, &quit, far);
    w = timed_wait(&t, 5.0);
    ok(w < 0.05, "nor once another part has failed (%.3f s)", w);
    quit = 0;

    {
        struct late other;
        pthread_t th;

        memset(&sync, 0, sizeof sync);
        sync.parts = 2;
        other.t = part(&sync, &quit, far);
        other.after = 0.1;
        t = part(&sync, &quit, far);
        pthread_create(&th, NULL, arrive_late, &other);
        w = timed_wait(&t, 5.0);
        pthread_join(th, NULL);
        ok(w >= 0.09 && w < 1.0, "a part waits for the other's read, and goes on once it is done (%.3f s)", w);
        ok(sync.read == 2, "both parts are counted");
    }
    return done_testing();
}
