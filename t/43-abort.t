use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw;

# INT, TERM, QUIT, HUP, PIPE, ALRM, USR1 and USR2 arriving while freeze
# itself runs end it cleanly: everything stopped so far is continued, the
# error says why, and the signal then reaches the caller's handler.
# A process that will not stop (its SIGSTOPs are swallowed by a tracer)
# keeps the freeze busy; an excluded helper sends the signal meanwhile.

my $stubborn = spawn_workload('busy');
my $tracer = spawn_workload('eatstop', $stubborn);
my @others = (spawn_workload('idle'), spawn_workload({ ready => 3 }, 'tree', 1, 2, 'busy'));

for my $sig (qw(INT TERM QUIT HUP PIPE ALRM USR1 USR2)) {
    my $handled = 0;
    local $SIG{$sig} = sub { $handled++ };
    my $parent = $$;
    my $helper = fork // die;
    if (!$helper) {
        sleep 0.3;
        kill $sig => $parent;
        exit 0;
    }
    my $t0 = time;
    my $t = eval { Sys::FreezeThaw::freeze({ exclude => [$tracer, $helper], timeout => 5 }) };
    my ($err, $took) = ($@, time - $t0);
    waitpid $helper, 0;
    ok(!$t, "SIG$sig during freeze: the freeze ends");
    like($err, qr/^freeze interrupted by SIG$sig; every process it had stopped was continued at \Q$0\E line \d+\.$/,
         "SIG$sig: the error says why");
    cmp_ok($took, '<', 2, "SIG$sig: promptly, not at TIMEOUT");
    ok(wait_until(sub { !halted_in(@others) }, 2), "SIG$sig: everything it stopped runs again");
    select undef, undef, undef, 0.05;
    is($handled, 1, "SIG$sig: then the caller's handler ran once");
}

# The stubborn process runs at SCHED_FIFO for its first 2 ms of not
# stopping (as root).  A signal at a random point of those, or later: the
# abort puts its policy back (and every other one) before it returns.
my %ours = map { $_ => 1 } grep { $_ != $$ } descendants($$);
cmp_ok(scalar(keys %ours), '>=', 6, 'the workload: ' . join(' ', sort keys %ours));
sub odd_in_workload { return grep { m{^(\d+)/} && $ours{$1} } not_normal() }
for my $round (1 .. 20) {
    local $SIG{USR1} = sub { };
    my $parent = $$;
    my $helper = fork // die;
    if (!$helper) {
        sleep rand 0.004;
        kill USR1 => $parent;
        exit 0;
    }
    my $t = eval { Sys::FreezeThaw::freeze({ exclude => [$tracer, $helper], timeout => 5 }) };
    waitpid $helper, 0;
    Sys::FreezeThaw::thaw($t) if $t;
    is_deeply([ odd_in_workload() ], [], "abort round $round: every thread has its own policy back");
}

kill_tree($tracer, $stubborn, @others);
done_testing;
