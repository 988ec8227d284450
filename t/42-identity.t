use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# Pid identity: thaw continues only the processes this freeze stopped.  A
# frozen process is killed and a newcomer takes its pid (through
# /proc/sys/kernel/ns_last_pid); the newcomer, stopped by hand, must stay
# stopped after thaw.  Both ways of naming a process are tested: pidfd, and
# the start time where pidfd is not used.

my $ns_last_pid = '/proc/sys/kernel/ns_last_pid';
my $CYCLES = 10;

sub state_of {
    open my $fh, '<', "/proc/$_[0]/stat" or return '';
    return scalar(<$fh>) =~ /\) (\S) / ? $1 : '';
}

# Starts a workload whose pid is exactly $pid.
sub spawn_with_pid {
    my ($pid) = @_;
    for (1 .. 5) {
        open my $fh, '>', $ns_last_pid or return;
        print $fh $pid - 1;
        close $fh or return;
        my $got = spawn_workload('busy');
        return $got if $got == $pid;
        kill_tree($got);
    }
    return;
}

SKIP: {
    skip "cannot write $ns_last_pid here", 1 unless -w $ns_last_pid;
    for my $how (qw(pidfd starttime)) {
        local $Sys::FreezeThaw::_NO_PIDFD = $how eq 'starttime';
        for my $cycle (1 .. $CYCLES) {
            my $victim = spawn_workload('busy');
            my $other = spawn_workload('idle');
            my $t = Sys::FreezeThaw::freeze();
            ok(grep({ $_ == $victim } map { @$_ } @$t), "$how $cycle: the victim is frozen");

            # The victim dies while frozen; a newcomer takes its pid.  Start
            # times count clock ticks (10 ms): a newcomer in the same tick
            # would look alike, which is why pidfd is preferred.
            kill_tree($victim);
            select undef, undef, undef, 0.03 if $how eq 'starttime';
            my $newcomer = spawn_with_pid($victim);
            if (!ok($newcomer, "$how $cycle: a newcomer took pid $victim")) {
                Sys::FreezeThaw::thaw($t);
                kill_tree($other);
                next;
            }
            ok(stopped_by_hand($newcomer), "$how $cycle: the newcomer is stopped by someone else");

            Sys::FreezeThaw::thaw($t);
            is(state_of($newcomer), 'T', "$how $cycle: thaw did not continue the newcomer");
            like(state_of($other), qr/^[RS]$/, "$how $cycle: it continued the rest");
            kill_tree($newcomer, $other);
        }
    }
}

# A copied or hand-built token of plain pids still thaws, continuing only
# the processes that are stopped now (with signals: a SIGCONT does not end a
# ptrace stop, so with ptrace only the token itself thaws).
if (FreezeThawTest::method() eq 'signal') {
    my @work = map { spawn_workload('busy') } 1 .. 3;
    my $t = Sys::FreezeThaw::freeze();
    my $copy = [ map { [@$_] } @$t ];
    ok(!Sys::FreezeThaw::_is_live($copy), 'a copy of the token is plain pids');
    ok(Sys::FreezeThaw::_is_live($t), 'the token itself carries the identities');
    Sys::FreezeThaw::thaw($copy);
    is_deeply([ halted_in(@work) ], [], 'the plain copy continues the stopped processes');
    Sys::FreezeThaw::thaw($t);   # nothing left to do: harmless
    is_deeply([ halted_in(@work) ], [], 'thawing the original afterwards is harmless');

    # Plain pids of running processes are not sent a SIGCONT at all: a
    # process counting SIGCONTs would see none.  Checked by strace-free
    # means: a process stopped by hand after the freeze stays stopped when
    # a plain token that names it is thawed only if it is ... stopped now.
    my $t2 = Sys::FreezeThaw::freeze();
    Sys::FreezeThaw::thaw($t2);
    Sys::FreezeThaw::thaw([ map { [@$_] } @$t2 ]);
    is_deeply([ halted_in(@work) ], [], 'a plain token of running processes changes nothing');
    kill_tree(@work);
}

# A child forked inside the window inherits a copy of the token; when it
# exits, the window (and the guard's watch) stays its parent's.
{
    my $w = spawn_workload('busy');
    my $t = Sys::FreezeThaw::freeze();
    my $guard = Sys::FreezeThaw::last_freeze()->{guard_pid};
    my $child = fork // die;
    if (!$child) { exit 0 }          # global destruction frees its copy of $t
    waitpid $child, 0;
    select undef, undef, undef, 0.2;
    ok(scalar(halted_in($w)), 'a child forked while frozen exits: the machine stays frozen');
    ok(kill(0, $guard), 'and the guard still watches');
    Sys::FreezeThaw::thaw($t);
    is_deeply([ halted_in($w) ], [], 'the parent thaws as usual');
    kill_tree($w);
}

# A live token that is dropped without a thaw thaws itself.
{
    my $w = spawn_workload('busy');
    {
        my $t = Sys::FreezeThaw::freeze();
        ok(scalar(halted_in($w)), 'frozen');
    }
    is_deeply([ halted_in($w) ], [], 'a token dropped unthawed thaws itself when freed');
    kill_tree($w);
}

done_testing;
