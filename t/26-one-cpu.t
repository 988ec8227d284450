use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest timeout => 120;
use Test::More;
use Time::HiRes qw(time);
use Sys::FreezeThaw;

# On one CPU (a small VM, or a caller pinned to one).  A process that has
# not stopped at the first look runs at a real-time priority until it
# stops ("nudged", t/44).  One that never stops (its tracer swallows every
# SIGSTOP) and spins kept the only CPU from the freezer, which waited
# behind it at the same priority: the freeze never returned, past its
# timeout, and nothing else on the machine ran (2026-12-06).  This file
# re-runs itself under taskset on the first CPU it may use, and the
# processes it starts inherit that.

if (!defined $ENV{FREEZETHAW_TEST_ONE_CPU}) {
    my ($cpu) = (status_field('self', 'Cpus_allowed_list') // '') =~ /^(\d+)/;
    my ($taskset) = grep { -x } map { "$_/taskset" } split /:/, $ENV{PATH} // '';
    plan skip_all => 'taskset is not installed' unless $taskset;
    plan skip_all => 'cannot tell which CPUs this process may use' unless defined $cpu;
    $ENV{FREEZETHAW_TEST_ONE_CPU} = $cpu;
    { no warnings 'exec'; exec $taskset, '-c', $cpu, $^X, $0; }
    plan skip_all => "cannot run taskset: $!";
}
is(status_field('self', 'Cpus_allowed_list'), $ENV{FREEZETHAW_TEST_ONE_CPU}, 'this test runs on one CPU');

my $stubborn = spawn_workload('busy');
my $tracer = spawn_workload('eatstop', $stubborn);
my @others = (spawn_workload('busy'), spawn_workload({ ready => 3 }, 'tree', 1, 2, 'idle'));
my @all = ($stubborn, @others, descendants($others[1]));

for my $method (qw(signal ptrace)) {
    for my $round (1 .. 3) {
        my $t0 = time;
        my $t = eval { Sys::FreezeThaw::freeze({ exclude => [$tracer], timeout => 0.3, method => $method }) };
        my ($err, $took) = ($@, time - $t0);
        my $what = "$method, round $round, a busy process that never stops";
        ok(!$t, "$what: the freeze fails") or Sys::FreezeThaw::thaw($t);
        like($err, qr/^unable to stop some processes: $stubborn \($stubborn "workload"/, '... naming it');
        cmp_ok($took, '<', 0.3 + 3, '... within about its timeout') or diag(sprintf '%.1f s', $took);
        ok(wait_until(sub { !halted_in(@all) }, 3), '... and everything runs again');
        # (the freeze's guard, at SCHED_FIFO 1 for itself, may take a moment to go)
        ok(wait_until(sub { !not_normal() }, 3), '... each at its own scheduling policy')
            or diag(join ', ', not_normal());
    }
}

# And a plain freeze of busy processes, alone on the CPU with them.
kill_tree($tracer, $stubborn);
for my $method (qw(signal ptrace)) {
    my $t = Sys::FreezeThaw::freeze({ method => $method });
    frozen_ok("$method, one CPU, busy processes: every thread stopped");
    Sys::FreezeThaw::thaw($t);
    thawed_ok($t, "$method: thawed");
    ok(wait_until(sub { !not_normal() }, 3), '... each at its own scheduling policy')
        or diag(join ', ', not_normal());
}

kill_tree(@others);
done_testing;
