use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Time::HiRes qw(time);
use Sys::FreezeThaw;

# Fork storms.  Each freeze either stops everything (what the POD promises
# and what happens here) or fails within TIMEOUT leaving nothing stopped;
# both are checked, and which one happened is counted.

my $CYCLES = 20;
my $TIMEOUT = 1;

for my $mode (qw(forkloop forkchain threadloop)) {
    spawn_workload($mode);
    my ($frozen, $failed) = (0, 0);
    for my $cycle (1 .. $CYCLES) {
        my $t0 = time;
        my $t = eval { Sys::FreezeThaw::freeze({ timeout => $TIMEOUT }) };
        my $took = time - $t0;
        if ($t) {
            $frozen++;
            # A process caught in D with its stop pending counts as frozen
            # (the report lists it): it stops on its way out of the kernel.
            my $report = Sys::FreezeThaw::last_freeze();
            my @in_d = map { $_->{pid} } @{ $report->{counted_frozen} };
            my @running = not_halted(@in_d);
            # Processes that exited during the freeze (a fork loop's
            # children, a chain's members) leave no pid in the token.
            is_deeply([ token_strays($t, $report) ], [],
                      "$mode cycle $cycle: the token names processes stopped, each once");
            ok(!grep({ my $p = $_; !grep { $_->[0] == $p && $_->[2] =~ /^[DTtZ]$/ } thread_states() } @in_d),
               "$mode cycle $cycle: those counted frozen in D are in D, or stopped by now");
            is_deeply(\@running, [], "$mode cycle $cycle: frozen completely")
                or diag("still running: @running");
            Sys::FreezeThaw::thaw($t);
            thawed_ok($t, "$mode cycle $cycle: thawed");
        } else {
            $failed++;
            like($@, qr/^unable to stop some processes: \d/, "$mode cycle $cycle: failed cleanly");
            cmp_ok($took, '<', $TIMEOUT + 2, "$mode cycle $cycle: within TIMEOUT");
        }
        my @left = map { "$_->[0]/$_->[1] $_->[2]" } grep { $_->[2] eq 'T' && $_->[0] != 1 && $_->[0] != $$ } thread_states();
        is_deeply(\@left, [], "$mode cycle $cycle: nothing left stopped");
    }
    is($frozen, $CYCLES, "$mode: frozen completely in all $CYCLES cycles (failed: $failed)");
    kill_others();
}

done_testing;
