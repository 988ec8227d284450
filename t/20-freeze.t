use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use POSIX ();
use Sys::FreezeThaw;

# Freeze and thaw a mixed set of processes; the oracle is /proc.

my @work = (
    spawn_workload('idle'),
    spawn_workload('busy'),
    spawn_workload('threads', 16, 'busy'),   # 16 spinning threads on 2 cores
    spawn_workload('threads', 8, 'idle'),
    spawn_workload({ ready => 1 + 3 + 9 }, 'tree', 2, 3, 'busy'),
    spawn_workload({ ready => 1 + 2 + 4 + 8 }, 'tree', 3, 2, 'idle'),
);
use constant WCONTINUED => 8;   # Linux's; POSIX.pm does not have it
my $prestopped = spawn_workload('busy');
ok(stopped_by_hand($prestopped), 'a process stopped by hand beforehand');
# Its parent (this process) takes the report of that stop now: a freeze
# that made it report a stop again, or continued it, would show in waitpid.
is(waitpid($prestopped, POSIX::WUNTRACED()), $prestopped, 'its stop reported to its parent');

my %ppid;
sub ppid_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return;
    my $s = do { local $/; <$fh> };
    return $s =~ /\) \S (\d+)/s ? $1 : undef;
}

for my $round (1 .. 20) {
    my $token = Sys::FreezeThaw::freeze;

    # The kernel's view first, before anything else can move.
    my @running = not_halted();
    is_deeply(\@running, [], "round $round: every other thread stopped")
        or diag("still running: @running");

    # Token shape: an unblessed ARRAY of non-empty ARRAYs of pids.
    is(ref $token, 'ARRAY', "round $round: token is an ARRAY ref");
    ok(!grep({ ref ne 'ARRAY' || !@$_ } @$token), "round $round: each pass a non-empty ARRAY ref");
    my %pass;
    for my $k (0 .. $#$token) {
        $pass{$_} = $k for @{ $token->[$k] };
    }
    my @pids = map { @$_ } @$token;
    is(scalar(keys %pass), scalar(@pids), "round $round: no pid twice");
    ok(!$pass{1} && !exists $pass{1}, "round $round: pid 1 not in token");
    ok(!exists $pass{$$}, "round $round: caller not in token");
    ok(!exists $pass{$prestopped}, "round $round: already stopped process not in token");
    like(join('', map { $_->[2] } grep { $_->[0] == $prestopped } thread_states()), qr/\AT+\z/,
         "round $round: and left in its own stop (T), not held (t)");

    # Order: every pid in a later pass than its parent, if its parent is in the token.
    my @misordered = grep {
        my $pp = ppid_of($_);
        defined $pp && exists $pass{$pp} && $pass{$pp} >= $pass{$_};
    } @pids;
    is_deeply(\@misordered, [], "round $round: every child after its parent's pass");

    my $guard = Sys::FreezeThaw::last_freeze()->{guard_pid};
    my $expected = grep { $_ != $prestopped && $_ != $guard } map { $_->[0] } grep { $_->[0] == $_->[1] && $_->[0] != 1 && $_->[0] != $$ } thread_states();
    is(scalar @pids, $expected, "round $round: every other process in the token");

    Sys::FreezeThaw::thaw($token);
    thawed_ok($token, "round $round: no thread of the token stopped after thaw");
    like(join('', map { $_->[2] } grep { $_->[0] == $prestopped } thread_states()), qr/\AT+\z/,
         "round $round: the process stopped beforehand is still stopped");
    is(waitpid($prestopped, POSIX::WNOHANG() | POSIX::WUNTRACED() | WCONTINUED), 0,
       "round $round: and its parent was told nothing new");
}

my $report = Sys::FreezeThaw::last_freeze();
is(ref $report, 'HASH', 'last_freeze returns a hash');
cmp_ok($report->{processes}, '>=', 4 + 13 + 15, 'last_freeze counts the processes');
cmp_ok($report->{passes}, '>=', 4, 'last_freeze counts the passes (tree of depth 3 below the harness)');
ok($report->{seconds} > 0 && $report->{seconds} < 5, 'last_freeze measures the time');
is_deeply($report->{not_stopped}, [], 'nothing was left unstopped');
is_deeply($report->{counted_frozen}, [], 'nothing counted frozen outside T');
is($report->{skipped}{already_stopped}, 1, 'the report names the one process stopped beforehand');
cmp_ok($report->{skipped}{excluded}, '>=', 2, 'pid 1 and the caller are excluded');
cmp_ok($report->{threads}, '>=', $report->{processes} + 15 + 7, 'threads counted (16 + 8 in two processes)');
ok($report->{scan_seconds} > 0 && $report->{stop_seconds} > 0
   && $report->{scan_seconds} + $report->{stop_seconds} <= $report->{seconds}, 'phase times add up');
cmp_ok($report->{scans}, '>=', 2, 'at least two reads of /proc: the second finds nothing new');
# Signals read each process at least twice (found, confirmed); ptrace
# once, as the kernel reports each stop to the tracer.
cmp_ok($report->{stat_reads}, '>=', (FreezeThawTest::method() eq 'ptrace' ? 1 : 2) * $report->{processes},
       'stat reads counted');
$report->{processes} = -1;
isnt(Sys::FreezeThaw::last_freeze()->{processes}, -1, 'last_freeze returns a copy');

kill_tree(@work, $prestopped);
done_testing;
