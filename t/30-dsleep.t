use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# Uninterruptible sleep.  A vfork parent sits in D until its child execs or
# exits, and a stop sent to it takes effect only then.  It cannot run user
# code before it stops, so it counts as frozen (the original module failed
# here) and the report says so.  Its child is then stopped in the next pass.
# The same through clone() and clone3() with CLONE_VFORK, as posix_spawn
# does: in D inside clone(), the parent is not taken for one that may yet
# make a task (sft_forking.h), for its child exists.

my $CYCLES = 20;

sub state_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return '';
    return scalar(<$fh>) =~ /\) (\S) / ? $1 : '';
}
sub threads_of { my ($pid) = @_; return join '', map { $_->[2] } grep { $_->[0] == $pid } thread_states() }

for my $mode (qw(vfork vforkthread clonevfork clone3vfork)) {
    my $parent = spawn_workload($mode);
    my ($child) = ready_info($parent);
    like(threads_of($parent), qr/D/, "$mode: the vfork parent is in D");

    for my $cycle (1 .. $CYCLES) {
        my $t = eval { Sys::FreezeThaw::freeze() };
        ok($t, "$mode cycle $cycle: freeze succeeds with a vfork parent in D") or diag($@);
        next unless $t;
        my %pass;
        for my $k (0 .. $#$t) { $pass{$_} = $k for @{ $t->[$k] } }
        ok(exists $pass{$parent} && exists $pass{$child} && $pass{$parent} < $pass{$child},
           "$mode cycle $cycle: parent and child in the token, parent first");
        like(state_of($child), qr/^[Tt]$/, "$mode cycle $cycle: the vfork child is stopped");
        frozen_ok("$mode cycle $cycle: everything else stopped", $parent);
        my $r = Sys::FreezeThaw::last_freeze();
        is_deeply([ map { [ $_->{pid}, $_->{state}, $_->{reason} ] } @{ $r->{counted_frozen} } ],
                  [ [ $parent, 'D', 'uninterruptible sleep, stop pending' ] ],
                  "$mode cycle $cycle: the report counts the parent as frozen in D");
        Sys::FreezeThaw::thaw($t);
        thawed_ok($t, "$mode cycle $cycle: thawed");
        like(state_of($child), qr/^[SR]$/, "$mode cycle $cycle: the child runs again");
    }

    # The stop that was pending in the parent was cleared by the thaw: when
    # the child exits the parent returns from vfork and runs, not stops.
    kill KILL => $child;
    ok(wait_until(sub { threads_of($parent) !~ /D/ }, 5), "$mode: the parent leaves D when its child exits");
    select undef, undef, undef, 0.1;
    unlike(threads_of($parent), qr/T/, "$mode: and runs on instead of stopping");
    kill_tree($parent);
}

done_testing;
