use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(time);
use Sys::FreezeThaw;

# A process that never stops: a tracer swallows every SIGSTOP sent to it.
# The tracer itself is excluded, or it would be stopped first.
my $stubborn = spawn_workload('busy');
my $tracer = spawn_workload('eatstop', $stubborn);
my @others = (spawn_workload('idle'), spawn_workload({ ready => 3 }, 'tree', 1, 2, 'busy'));

sub none_stopped {
    my @s = halted_in($stubborn, @others, map { child_pids($_) } @others);
    return !@s;
}
sub child_pids {
    my ($parent) = @_;
    return map { $_->[0] } grep { $_->[0] == $_->[1] && ppid_of($_->[0]) == $parent } thread_states();
}
sub ppid_of {
    open my $fh, '<', "/proc/$_[0]/stat" or return 0;
    return scalar(<$fh>) =~ /\) \S (\d+)/ ? $1 : 0;
}

# 20 rounds: the stubborn process passes through a ptrace stop (t) each time
# its SIGSTOP arrives, and a freeze that counted that as stopped would return
# now and then.
for my $round (1 .. 20) {
    local @Sys::FreezeThaw::EXCLUDE = ($tracer);
    local $Sys::FreezeThaw::TIMEOUT = 0.1;
    my $t0 = time;
    ok(!eval { Sys::FreezeThaw::freeze(); 1 }, "round $round: freeze fails on a process that will not stop");
    my $took = time - $t0;
    like($@, qr/^unable to stop some processes: $stubborn \($stubborn "workload": timed out in state [RSt]\) at \Q$0\E line \d+\.$/,
         "round $round: the message names the pid, its command and why");
    cmp_ok($took, '<', 0.1 + 2, "round $round: gave up after about TIMEOUT");
    cmp_ok($took, '>=', 0.1, "round $round: but not before TIMEOUT");
    ok(wait_until(\&none_stopped, 2), "round $round: every process it had stopped runs again");
}

# freezethaw does not run the block when the freeze fails.
{
    local @Sys::FreezeThaw::EXCLUDE = ($tracer);
    my $ran = 0;
    ok(!eval { local $Sys::FreezeThaw::TIMEOUT = 0.2; Sys::FreezeThaw::freezethaw { $ran = 1 }; 1 },
       'freezethaw dies when the freeze fails');
    like($@, qr/^unable to stop some processes: $stubborn /, '... with the freeze\'s message');
    ok(!$ran, '... without running the block');
    ok(wait_until(\&none_stopped, 2), '... leaving nothing stopped');
}

# PARTIAL_OK: the freeze goes on without it and says so.
for my $how (qw(variable option)) {
    local @Sys::FreezeThaw::EXCLUDE = ($tracer);
    local $Sys::FreezeThaw::TIMEOUT = 0.3;
    local $Sys::FreezeThaw::PARTIAL_OK = $how eq 'variable' ? 1 : 0;
    my $t0 = time;
    my $token = $how eq 'variable' ? Sys::FreezeThaw::freeze() : Sys::FreezeThaw::freeze({ partial_ok => 1 });
    cmp_ok(time - $t0, '<', 0.3 + 2, "PARTIAL_OK ($how): returns within about TIMEOUT");
    frozen_ok("PARTIAL_OK ($how): everything else is stopped", $stubborn, $tracer);
    ok(grep({ $_ == $stubborn } map { @$_ } @$token), "PARTIAL_OK ($how): the stubborn process is kept in the token");
    my $report = Sys::FreezeThaw::last_freeze();
    is_deeply([ map { [ $_->{pid}, $_->{reason}, $_->{comm} ] } @{ $report->{not_stopped} } ],
              [ [ $stubborn, 'timeout', 'workload' ] ],
              "PARTIAL_OK ($how): last_freeze lists it as not stopped");
    Sys::FreezeThaw::thaw($token);
    my @pids = grep { $_ != $stubborn } map { @$_ } @$token;
    is_deeply([ halted_in(@pids) ], [], "PARTIAL_OK ($how): thawed");
    # The traced one passes through a signal-delivery stop (t) while its
    # tracer handles the SIGCONT: give the tracer a moment.
    ok(wait_until(sub { !halted_in($stubborn) }, 2), "PARTIAL_OK ($how): the stubborn one runs");
}

kill_tree($tracer, $stubborn);

# A process whose leader stops at once while another of its threads runs
# on: a tracer, excluded from the freeze, resumes that thread from every
# stop.  The freeze must look at every thread and fail; the leader's state
# alone says T.
{
    my $multi = spawn_workload('threads', 2, 'busy');
    my ($other) = map { $_->[1] } grep { $_->[0] == $multi && $_->[1] != $multi } thread_states();
    my $holder = spawn_workload('eatstop', $other);
    for my $round (1 .. 10) {
        my $t = eval { Sys::FreezeThaw::freeze({ exclude => [$holder], timeout => 0.2 }) };
        my $err = $@;
        my @running = not_halted($holder);
        ok(!$t, "round $round: a process with a thread that runs on is not reported frozen")
            or diag("returned although these run: @running");
        like($err, qr/^unable to stop some processes: $multi \($multi "workload": timed out in state [Rt]\)/,
             "round $round: the message names the process");
        Sys::FreezeThaw::thaw($t) if $t;
        ok(wait_until(sub { !halted_in($multi) }, 2), "round $round: the process runs again");
    }
    kill_tree($holder, $multi);
}

# Permission denied: a freezer without the right to signal the others.
# A child drops to nobody (every other process here belongs to root) and
# freezes without and with partial_ok: a line of what it saw for each.
sub unprivileged_freezes {
    my $pid = open(my $from_child, '-|') // die "fork: $!";
    if (!$pid) {
        POSIX::setgid(65534);
        POSIX::setuid(65534) or do { print "cannot-setuid\n"; POSIX::_exit(0) };
        for my $partial (0, 1) {
            my $t = eval { Sys::FreezeThaw::freeze({ partial_ok => $partial, timeout => 2 }) };
            my $err = $@;
            $err =~ s/\n/\\n/g;
            my $ns = $t ? join(',', map { "$_->{pid}:$_->{reason}" } @{ Sys::FreezeThaw::last_freeze()->{not_stopped} }) : '';
            print "partial=$partial errno=", ($t ? 0 : $! + 0), " token=", ($t ? scalar(map { @$_ } @$t) : 'none'), " err=$err ns=$ns\n";
            Sys::FreezeThaw::thaw($t) if $t;
        }
        POSIX::_exit(0);
    }
    my @lines = <$from_child>;
    close $from_child;
    return @lines;
}

SKIP: {
    my @lines = unprivileged_freezes();
    skip 'cannot change to an unprivileged user in this namespace', 6 if "@lines" =~ /cannot-setuid/;
    my ($strict) = grep { /^partial=0/ } @lines;
    my ($partial) = grep { /^partial=1/ } @lines;
    like($strict, qr/token=none err=unable to stop some processes: [\d ]+ \(.*permission denied/,
         'unprivileged: freeze fails saying permission denied');
    like($strict, qr/errno=@{[ POSIX::EPERM() ]} /, 'unprivileged: $! is EPERM');
    my $idle = $others[0];
    like($strict, qr/processes: (?:\d+ )*$idle[ (]/, 'unprivileged: the message names the processes');
    like($partial, qr/^partial=1 errno=0 token=\d+ err= ns=.*\b$idle:permission denied/,
         'unprivileged with PARTIAL_OK: goes on, keeps them, reports them');
    ok(none_stopped(), 'unprivileged: nothing left stopped');
    is_deeply([ halted_in($$) ], [], 'unprivileged: the caller\'s parent runs');
}

# The same with 150 more: the permission of 128 or more is asked from a
# thread per CPU, and the refused are then named one by one.
SKIP: {
    my $flat = spawn_workload({ ready => 150 }, 'tree', 1, 149, 'idle');
    my @lines = unprivileged_freezes();
    skip 'cannot change to an unprivileged user in this namespace', 3 if "@lines" =~ /cannot-setuid/;
    my ($strict) = grep { /^partial=0/ } @lines;
    # With ptrace the guard passes back 64 notes at most (the message
    # counts the rest): there the first of them is named.
    my ($last) = sort { $b <=> $a } descendants($flat);
    my $named = FreezeThawTest::method() eq 'ptrace' ? $flat : $last;
    like($strict, qr/token=none err=unable to stop some processes: [\d ]+ \(.*permission denied/,
         'unprivileged, 150 more: freeze fails saying permission denied');
    like($strict, qr/processes: (?:\d+ )*$named[ (]/, 'unprivileged, 150 more: the message names them');
    unlike($strict, qr/out of memory/, 'unprivileged, 150 more: and does not blame memory for those it does not list');
    # the DIAGNOSTICS' words for those the guard did not pass back
    if (FreezeThawTest::method() eq 'ptrace') {
        like($strict, qr/; \d+ more not passed back by the guard\)/, 'unprivileged, 150 more: ptrace counts the rest');
    } else {
        unlike($strict, qr/not passed back/, 'unprivileged, 150 more: signals list them all');
    }
    is_deeply([ halted_in($flat, descendants($flat)), grep { !none_stopped() } 1 ], [],
              'unprivileged, 150 more: nothing left stopped');
    kill_tree($flat);
}

kill_tree(@others);
done_testing;
