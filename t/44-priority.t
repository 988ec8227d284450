use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw;

# The freezer runs at SCHED_FIFO while it stops and continues processes,
# and a process that has not stopped at the first look runs at SCHED_RR
# until it has (see PERFORMANCE in the POD).  Whatever happens, every
# process gets its own policy back: checked here from /proc (field 41 of
# stat is the policy; 0 is SCHED_OTHER), for every thread.

# Root of the machine, not of a user namespace (/proc/self/uid_map maps
# uid 0 onto uid 0 there): only then may the freezer raise priorities.
my $is_root = do {
    open my $fh, '<', '/proc/self/uid_map' or die;
    my $map = <$fh> // '';
    $> == 0 && $map =~ /^\s*0\s+0\s/;
};
my @busy = (spawn_workload({ ready => 21 }, 'tree', 1, 20, 'busy'), spawn_workload('threads', 4, 'busy'));
is_deeply([ not_normal() ], [], 'before: every thread at SCHED_OTHER');

# What of the caller's scheduling a thaw of a crowded machine changes for a
# moment (see SFT_BOOST_SHORT_RETURN in src/sft_boost.h): its slice (0.1 ms
# until it is back at its own policy) and the CPUs it may run on (one, while
# it goes back on the CPU fewest of the processes it woke wait for).  The
# slice shows in /proc/self/sched where the kernel keeps scheduler
# statistics (se.slice, Linux 6.6 and later).
sub caller_scheduling {
    my %s = (nice => getpriority(0, 0), cpus => status_field('self', 'Cpus_allowed_list'));
    if (open my $fh, '<', '/proc/self/sched') {
        while (<$fh>) { $s{slice} = $1 if /^se\.slice\s*:\s*(\d+)/ }
    }
    return \%s;
}
my $own = caller_scheduling();
sub _own_stat { open my $fh, '<', '/proc/self/stat' or return ''; local $/; return <$fh> // '' }

my %nudged;
for my $method (qw(signal ptrace)) {
    my $nudged = 0;
    for my $cycle (1 .. 20) {
        my $t = Sys::FreezeThaw::freeze({ method => $method });
        my $r = Sys::FreezeThaw::last_freeze();
        $nudged += $r->{nudged} // 0;
        my @odd = not_normal($r->{guard_pid});
        Sys::FreezeThaw::thaw($t);
        is_deeply(\@odd, [], "$method cycle $cycle: frozen, every process (the caller too) has its own policy")
            or diag("@odd");
        is_deeply([ not_normal($r->{guard_pid}) ], [], "$method cycle $cycle: thawed, the same (the guard, on its way out, aside)");
        is_deeply(caller_scheduling(), $own, "$method cycle $cycle: the caller's nice, CPUs and slice as they were");
    }
    note("$method: $nudged processes ran at SCHED_RR until they stopped, over 20 cycles");
    $nudged{$method} = $nudged;
}

# The freezing process killed at random points, mid-nudge now and then: the
# guard puts back the policy of a process it held at SCHED_RR.
for my $round (1 .. 30) {
    my $pid = fork // die;
    if (!$pid) {
        Sys::FreezeThaw::freeze();
        sleep 60;
        exit 0;
    }
    sleep rand(0.02);
    kill KILL => $pid;
    waitpid $pid, 0;
    ok(wait_until(sub { !halted_in(@busy, map { $_->[0] } thread_states()) }, 3),
       "kill round $round: everything runs again");
    ok(wait_until(sub { !not_normal() }, 3), "kill round $round: every policy as it was")
        or diag(join ' ', not_normal());
}

SKIP: {
    skip 'only root of the machine may raise priorities', 1 unless $is_root;
    cmp_ok($nudged{signal}, '>', 0, 'as root: the checks above saw processes that had run at SCHED_RR');
}

kill_tree(@busy);

# A thaw of a crowded machine puts the caller back on the CPU where fewest
# of the processes it woke wait, for the moment it goes back to its own
# policy, then gives it back its own CPUs.  Made certain here: every busy
# process may run on one CPU only (the first the test may use), and so may
# the caller while it freezes; before the thaw it may run on all of its
# CPUs again, and stays on that one until the thaw moves it.  Its CPUs
# must be all of its own after (with the mask left as the move set it:
# the CPU it moved to alone).
SKIP: {
    my ($taskset) = grep { -x } map { "$_/taskset" } split /:/, $ENV{PATH} // '';
    # The CPUs this test may use (all of them, unless it was started
    # under taskset), and the first of them for the crowd.
    my $all = status_field('self', 'Cpus_allowed_list') // '';
    my ($first) = $all =~ /^(\d+)/;
    skip 'only root of the machine may raise priorities', 10 unless $is_root;
    skip 'needs 2 CPUs it may run on, and taskset(1)', 10 unless $taskset && $all =~ /[-,]/;
    my $pin = sub {
        my ($list, @pids) = @_;
        for my $pid (@pids) {
            my $said = `$taskset -a -p -c $list $pid 2>&1`;
            return 0 if $?;
        }
        return 1;
    };
    my @crowd = map { spawn_workload('busy') } 1 .. 30;
    ok($pin->($first, @crowd), "the crowd may run on CPU $first only");
    my $before = caller_scheduling();
    for my $method (qw(signal ptrace)) {
        my $elsewhere = 0;
        for my $cycle (1 .. 5) {
            $pin->($first, $$);
            my $t = Sys::FreezeThaw::freeze({ method => $method });
            my $fifo = Sys::FreezeThaw::last_freeze()->{realtime};
            $pin->($all, $$);
            Sys::FreezeThaw::thaw($t);
            my $after = caller_scheduling();
            $elsewhere++ if (split ' ', (_own_stat() =~ /\) (.*)/s)[0])[36] != $first;
            is_deeply($after, $before, "$method, crowd on CPU $first, cycle $cycle: the caller's CPUs, nice and slice as they were")
                or diag("the freeze ran at SCHED_FIFO: $fifo");
        }
        note("$method: the caller ran elsewhere than CPU $first right after $elsewhere of 5 thaws");
    }
    kill_tree(@crowd);
}

# Whether the freezer runs at SCHED_FIFO is decided from the machine as
# the freeze finds it, before its guard starts: the guard's own start is
# not load.  One busy process fewer than there are CPUs leaves a CPU to
# the freezer (normal priority); one more than there are CPUs does not
# (SCHED_FIFO, the control: it shows that the report can say so here).
# Counting the guard's start as load made every freeze of the first kind
# run at SCHED_FIFO.  /proc/loadavg counts the whole machine (a container
# shares its host's): the first case needs a machine idle without us.

SKIP: {
    skip 'only root of the machine may raise priorities', 4 unless $is_root;
    my $cpus = cpus_online() or skip 'no /sys/devices/system/cpu/online', 4;
    for my $case ([ 'fewer busy processes than CPUs', $cpus - 1, 0 ], [ 'more busy processes than CPUs', $cpus + 1, 1 ]) {
        my ($what, $n, $want) = @$case;
        SKIP: {
            if (!$want) {
                my $busy = grep { my $others = (runnable_threads() // 99) > 1; sleep 0.01; $others } 1 .. 10;
                skip "$what: the machine is not idle without us ($busy of 10 looks)", 2 if $busy > 2;
            }
            my @load = map { spawn_workload('busy') } 1 .. $n;
            sleep 0.2;
            for my $method (qw(signal ptrace)) {
                my @fifo;
                for (1 .. 10) {
                    Sys::FreezeThaw::thaw(Sys::FreezeThaw::freeze({ method => $method }));
                    push @fifo, Sys::FreezeThaw::last_freeze()->{realtime};
                    sleep 0.02;
                }
                my $hits = grep { $_ == $want } @fifo;
                # A thread of the kernel's or of the harness may be runnable
                # at the moment the freeze looks: most, not all (counting
                # the guard's start, 10 of 10 ran at SCHED_FIFO).
                cmp_ok($hits, '>=', 6, "$what ($n): realtime is $want in most of 10 $method freezes")
                    or diag("realtime: @fifo");
            }
            kill_tree(@load);
        }
    }
}
done_testing;
