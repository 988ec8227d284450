use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use List::Util qw(min);
use POSIX ();
use Sys::FreezeThaw;

# With several CPUs the ptrace method seizes from several threads of the
# guard at once, each taking the pids of its part.  The kernel says which
# thread holds each tracee: TracerPid in /proc/TID/status.

# "pid/tid" => TracerPid, for every thread of the given processes.
sub tracers_of {
    my %tr;
    for my $p (@_) {
        for my $dir (glob "/proc/$p/task/[0-9]*") {
            my ($tid) = $dir =~ m{(\d+)\z};
            my $t = status_field($tid, 'TracerPid');
            $tr{"$p/$tid"} = $t if defined $t;
        }
    }
    return %tr;
}

sub cpus_allowed {
    my $list = status_field('self', 'Cpus_allowed_list') // '0';
    my $n = 0;
    for (split /,/, $list) {
        my ($a, $b) = split /-/;
        $n += defined $b ? $b - $a + 1 : 1;
    }
    return $n;
}

# Which tracer thread's part a pid falls in: sft_pid_part() in
# src/sft_pidset.h, a multiplicative hash.
sub pid_part {
    my ($pid, $parts) = @_;
    return ((($pid * 2654435761) & 0xffffffff) >> 16) % $parts;
}

sub ppid_of {
    open my $f, '<', "/proc/$_[0]/stat" or return 0;
    my $s = <$f> // return 0;
    return $s =~ /\) \S (\d+)/ ? $1 : 0;
}

my @work = (spawn_workload({ ready => 40 }, 'tree', 1, 39, 'idle'), spawn_workload('threads', 4, 'idle'),
            spawn_workload({ ready => 13 }, 'tree', 2, 3, 'idle'));
my $threads = 40 + 4 + 13;

# A ptrace freeze of everything, checked against /proc: every thread
# stopped and held by one of $want tracer threads, the report counting
# each, no pid twice in the token.  Returns the token, the report and
# "pid/tid" => TracerPid.
sub freeze_held_by {
    my ($what, $want) = @_;
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
    my $r = Sys::FreezeThaw::last_freeze();
    frozen_ok("$what: every thread stopped");
    my %tr = tracers_of(map { @$_ } @$t);
    my %tracers = map { $_ => 1 } values %tr;
    is(scalar(keys %tracers), $want, "$what: held by $want tracer threads")
        or diag(join ' ', map { "$_:$tr{$_}" } sort keys %tr);
    is_deeply([ grep { !$tr{$_} } sort keys %tr ], [], "$what: every thread held by a tracer");
    is($r->{threads}, $threads, "$what: the report counts every thread");
    my %seen;
    is_deeply([ grep { $seen{$_}++ } map { @$_ } @$t ], [], "$what: no pid twice in the token");
    return ($t, $r, %tr);
}

# Thaws $t: nothing of it stays stopped or traced.
sub thaw_let_go {
    my ($t, $what) = @_;
    Sys::FreezeThaw::thaw($t);
    thawed_ok($t, "$what: thawed");
    ok(wait_until(sub { my %now = tracers_of(map { @$_ } @$t); !grep { $_ } values %now }, 3),
       "$what: no thread is traced after the thaw");
}

# How many hold the processes, who they are, and that the thaw lets all go.
for my $n (1, 2, 3, 0) {
    local $Sys::FreezeThaw::_TRACERS = $n;
    my $want = $n || min(cpus_allowed(), 4);
    my $what = $n ? "$n tracer threads asked" : "the default ($want on this machine)";
    my ($t, $r, %tr) = freeze_held_by($what, $want);
    my %tracers = map { $_ => 1 } values %tr;
    is_deeply([ grep { (status_field($_, 'Tgid') // 0) != $r->{guard_pid} } sort keys %tracers ], [],
              "$what: every one a thread of the guard ($r->{guard_pid})");
    my (%by_process, %by_part);
    for my $thread (keys %tr) {
        my ($pid) = split m{/}, $thread;
        $by_process{$pid}{ $tr{$thread} } = 1;
        $by_part{ pid_part($pid, $want) }{ $tr{$thread} } = 1;
    }
    is_deeply([ grep { keys %{ $by_process{$_} } != 1 } sort keys %by_process ], [],
              "$what: all the threads of a process held by one tracer thread");
    is_deeply([ grep { keys %{ $by_part{$_} } != 1 } sort keys %by_part ], [],
              "$what: one tracer thread for the pids of each part (sft_pid_part)");
    my $in_token = () = map { @$_ } @$t;
    cmp_ok($r->{stat_reads}, '>=', $in_token, "$what: and every tracer's reads (each process read once at least)");
    thaw_let_go($t, $what);
}

# A helper that cannot start (pthread_create failing: no memory, no
# threads left) leaves its part to the guard's own thread, whose last
# reads of /proc take every process: nothing is left running or to
# signals.  (That no part waits for one that never read is by the code:
# the parts counted are those started; only a clock could see it.)
# FREEZETHAW_TEST_UNSTARTED_HELPERS (tests only) has that many helpers,
# the last ones, not started.
for my $case ([ 3, 1, 2 ], [ 3, 2, 1 ], [ 2, 1, 1 ]) {
    my ($asked, $unstarted, $want) = @$case;
    local $Sys::FreezeThaw::_TRACERS = $asked;
    local $ENV{FREEZETHAW_TEST_UNSTARTED_HELPERS} = $unstarted;
    my $what = "$asked tracer threads asked, $unstarted of its helpers not started";
    my ($t, $r) = freeze_held_by($what, $want);
    is_deeply($r->{signal_fallback}, [], "$what: none left to signals");
    thaw_let_go($t, $what);
}

# Processes of 8 threads made one after another take 8 pids each: their
# pids are 8 apart, and taken modulo the number of tracer threads they all
# fell to one.  Shared by a hash of the pid, each tracer has a fair part.
{
    local $Sys::FreezeThaw::_TRACERS = 2;
    my @eight = map { spawn_workload('threads', 8, 'idle') } 1 .. 24;
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
    frozen_ok('24 processes of 8 threads: every thread stopped');
    my %tr = tracers_of(@eight);
    my %per;
    $per{ $tr{"$_/$_"} // 'none' }++ for @eight;
    Sys::FreezeThaw::thaw($t);
    is(scalar(grep { $_ ne 'none' } keys %per), 2, '24 processes of 8 threads: held by both tracer threads')
        or diag(join ' ', map { "$_:$per{$_}" } sort keys %per);
    cmp_ok(List::Util::min(values %per), '>=', 4, 'each holds 4 of them at least')
        or diag(join ' ', map { "$_:$per{$_}" } sort keys %per);
    kill_tree(@eight);
}

# Out of time before anything is seized: with partial_ok every part's
# processes are named once; without, the freeze fails naming them and
# leaves nothing stopped.
{
    local $Sys::FreezeThaw::_TRACERS = 2;
    my @pids = (@work, map { descendants($_) } @work);
    my %ours = map { $_ => 1 } @pids;
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 1e-6, partial_ok => 1 });
    my @named = map { $_->{pid} } @{ Sys::FreezeThaw::last_freeze()->{not_stopped} };
    my %count;
    $count{$_}++ for @named;
    Sys::FreezeThaw::thaw($t);
    is_deeply([ grep { !$count{$_} } sort @pids ], [], 'partial, out of time: every process of both parts named')
        or diag("named: @named");
    is_deeply([ grep { $count{$_} > 1 } sort keys %count ], [], 'partial, out of time: none named twice');
    ok(!eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 1e-6 }); 1 }, 'out of time: the freeze fails');
    my @blamed = $@ =~ /^unable to stop some processes: ([\d ]+)/ ? split(' ', $1) : ();
    ok(@blamed && !grep({ !$ours{$_} } @blamed), 'out of time: the message names our processes') or diag($@);
    ok(wait_until(sub { !halted_in(@pids) }, 3), 'out of time: nothing left stopped');
}

# The token is parents first across the parts: a child in the pass after
# its parent's (chains of three, pids of every parity).
{
    local $Sys::FreezeThaw::_TRACERS = 2;
    my $chain = spawn_workload({ ready => 4 }, 'tree', 3, 1, 'idle');
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
    my %pass;
    for my $k (0 .. $#$t) { $pass{$_} = $k for @{ $t->[$k] } }
    my @late = grep { my $pp = ppid_of($_); exists $pass{$pp} && $pass{$pp} >= $pass{$_} } keys %pass;
    Sys::FreezeThaw::thaw($t);
    is_deeply(\@late, [], 'two tracer threads: every parent in an earlier pass than its children');
    kill_tree($chain);
}

# Children forked while their parent is seized are their parent's tracer
# thread's from birth, whichever part their pid is in: the other thread
# that reads them must not take them for someone else's tracee (that would
# stop them with signals) nor put them twice in the token.
for my $mode ([ 'forkidle', 200 ], ['forkloop'], ['forkchain']) {
    local $Sys::FreezeThaw::_TRACERS = 2;
    my $name = $mode->[0];
    spawn_workload(@$mode) for 1 .. 3;
    my ($frozen, @fallback, @twice) = (0);
    for my $cycle (1 .. 20) {
        my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 5 }) };
        if (!$t) {
            fail("$name cycle $cycle: $@");
            next;
        }
        $frozen++;
        my @running = not_halted(@work);
        is_deeply(\@running, [], "$name cycle $cycle: frozen completely") or diag("running: @running");
        my %seen;
        push @twice, grep { $seen{$_}++ } map { @$_ } @$t;
        push @fallback, @{ Sys::FreezeThaw::last_freeze()->{signal_fallback} };
        Sys::FreezeThaw::thaw($t);
    }
    is($frozen, 20, "$name: frozen in all 20 cycles");
    is_deeply(\@fallback, [], "$name: no process left to signals");
    is_deeply(\@twice, [], "$name: no pid twice in a token");
    kill_others();
    @work = (spawn_workload({ ready => 40 }, 'tree', 1, 39, 'idle'), spawn_workload('threads', 4, 'idle'));
}

# The dead man's switch and MAX_FROZEN let go of every tracer thread's
# tracees.
{
    local $Sys::FreezeThaw::_TRACERS = 2;
    my @pids = (@work, map { descendants($_) } @work);
    for my $round (1 .. 5) {
        my $pid = frozen_child(method => 'ptrace');
        my %tr = tracers_of(@pids);
        my %tracers = map { $_ => 1 } grep { $_ } values %tr;
        is(scalar(keys %tracers), 2, "kill round $round: frozen by two tracer threads");
        kill KILL => $pid;
        waitpid $pid, 0;
        ok(wait_until(sub { !halted_in(@pids) }, 3), "kill round $round: SIGKILL of the freezer: all run again");
        ok(wait_until(sub { my %now = tracers_of(@pids); !grep { $_ } values %now }, 3),
           "kill round $round: and none is traced");
    }
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace', max_frozen => 1 });
    ok(scalar(halted_in(@pids)), 'max_frozen: frozen');
    ok(wait_until(sub { !halted_in(@pids) }, 5), 'max_frozen: every tracer thread let go after the limit');
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, @_ };
    Sys::FreezeThaw::thaw($t);
    like("@warn", qr/cut the frozen window short/, 'max_frozen: the later thaw had nothing to do');
}

# A busy real-time process above ours on the CPU a helper starts on: the
# helper is let run elsewhere once the guard's thread has done its part
# (pinned for good, it waited for ever, and the freeze with it).  The
# spinner holds that CPU for well under a second here, 15 at most if the
# freeze hangs; the namespace's end kills it whatever happens.
SKIP: {
    my @cpus = do { my $l = status_field('self', 'Cpus_allowed_list') // ''; $l =~ /^(\d+)-(\d+)$/ ? ($1 .. $2) : () };
    skip 'needs two CPUs', 2 if @cpus < 2;
    my @hogs = map { eval { spawn_workload('rtbusy', $_, 50) } // () } $cpus[1];
    skip 'SCHED_FIFO 50 is not allowed here', 2 unless @hogs;
    local $Sys::FreezeThaw::_TRACERS = 2;
    pipe my $r, my $w or die;
    my $pid = fork // die;
    if (!$pid) {
        close $r;
        my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 5, exclude => [getppid()] }) };
        syswrite $w, $t ? 'frozen ' . scalar(not_halted(getppid())) . "\n" : "failed $@\n";
        Sys::FreezeThaw::thaw($t) if $t;
        POSIX::_exit(0);
    }
    close $w;
    my $rin = '';
    vec($rin, fileno $r, 1) = 1;
    my $line = select($rin, undef, undef, 15) ? <$r> : undef;
    diag("no answer in 15 s; the threads (hog $hogs[0], caller $pid):\n", snapshot()) unless defined $line;
    kill KILL => $pid unless defined $line;
    waitpid $pid, 0;
    is($line, "frozen 0\n", 'a real-time hog on a helper\'s CPU: the freeze ends, everything held');
    kill_tree(@hogs);
    ok(wait_until(sub { !grep { $_->[2] =~ /[Tt]/ } thread_states() }, 5), 'and nothing stays stopped');
}

# A caller with threads of its own: its guard starts none (a thread of the
# guard could wait forever on a lock held at the fork by one of the
# caller's), and one tracer thread holds everything.
SKIP: {
    skip 'this perl has no ithreads', 8 unless eval { require threads; 1 };
    my @pids = (@work, map { descendants($_) } @work);
    my $thread = threads->create(sub { sleep 6; 1 });
    local $Sys::FreezeThaw::_TRACERS = 2;
    # A guard forked from a threaded caller keeps to one thread; the guard
    # program started fresh may have its tracer threads.
    for my $start ([ 'forked guard', undef, 1 ], [ 'guard program', $Sys::FreezeThaw::_GUARD_PROGRAM, 2 ]) {
        my ($how, $program, $want) = @$start;
        local $Sys::FreezeThaw::_GUARD_PROGRAM = $program;
        my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
        my %tr = tracers_of(@pids);
        my %tracers = map { $_ => 1 } grep { $_ } values %tr;
        frozen_ok("threaded caller, $how: every thread stopped");
        my $guard = Sys::FreezeThaw::last_freeze()->{guard_pid};
        is(scalar(keys %tracers), $want, "threaded caller, $how: $want tracer thread(s)");
        is_deeply([ grep { (status_field($_, 'Tgid') // 0) != $guard } keys %tracers ], [],
                  "threaded caller, $how: all the guard's");
        Sys::FreezeThaw::thaw($t);
        ok(wait_until(sub { !halted_in(@pids) }, 3), "threaded caller, $how: thawed");
    }
    $thread->join;
}

# The same threaded caller, whose forked guard must start no thread at
# all, with 130 processes it cannot seize (strace traces them): they are
# stopped with signals, and their thaw (a pass of 129, enough to spread
# over the CPUs) must run in the guard's one thread too.  The kernel's pid
# numbers tell: a thread takes one, so the pids taken during the freeze
# (the middle's and the guard's besides) and the thaw are the threads the
# guard started.  The guard program may spread: there the same measure
# sees its helpers (on a machine with more than one CPU).
SKIP: {
    my ($strace) = grep { -x } map { "$_/strace" } split /:/, $ENV{PATH};
    skip 'this perl has no ithreads', 11 unless eval { require threads; 1 };
    skip 'strace is not installed', 11 unless $strace;
    kill_others();
    my $tracer = fork // die;
    if (!$tracer) { exec $strace, '-f', '-o', '/dev/null', workload(), 'tree', 1, 129, 'idle'; exit 111 }
    my $traced = sub { grep { (status_field($_, 'TracerPid') // 0) == $tracer } map { $_->[0] } thread_states() };
    ok(wait_until(sub { $traced->() == 130 }, 20), '130 processes traced by strace') or diag(scalar $traced->());
    my @pids = ($tracer, $traced->());
    my $next_pid = sub { my $p = fork // die; POSIX::_exit(0) unless $p; waitpid $p, 0; return $p };
    # strace may still be at its work on the tree: measure once nothing forks.
    ok(wait_until(sub { my $p = $next_pid->(); sleep 0.1; $next_pid->() == $p + 1 }, 10),
       'nothing else makes processes or threads now');
    my $thread = threads->create(sub { sleep 10; 1 });
    for my $start ([ 'forked guard', undef ], [ 'guard program', $Sys::FreezeThaw::_GUARD_PROGRAM ]) {
        my ($how, $program) = @$start;
        local $Sys::FreezeThaw::_GUARD_PROGRAM = $program;
        my $start_pid = $next_pid->();
        my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
        my $during = $next_pid->() - $start_pid - 1;
        is($during, 2, "threaded caller, $how: its freeze took the middle's and the guard's pids, no thread's ($during)")
            unless $program;
        frozen_ok("threaded caller, $how, 130 traced by strace: every thread stopped");
        is(scalar @{ Sys::FreezeThaw::last_freeze()->{signal_fallback} }, 64,
           "threaded caller, $how: stopped with signals (64 listed)");
        my $contended = Sys::FreezeThaw::last_freeze()->{realtime};
        my $before = $next_pid->();
        Sys::FreezeThaw::thaw($t);
        my $taken = $next_pid->() - $before - 1;
        if ($program) {
          SKIP: {
                skip 'one CPU: nothing to spread over', 1 unless cpus_allowed() > 1;
                cmp_ok($taken, '>=', 1, "threaded caller, $how: its thaw spread (pids taken: $taken)");
            }
        } else {
          SKIP: {
                # After a freeze that found the CPUs contended, the caller's
                # own thaw may start a thread to find itself a CPU (sft_crowd).
                skip 'the CPUs were contended: the caller\'s thaw may start a thread of its own', 1
                    if $contended;
                is($taken, 0, "threaded caller, $how: its thaw started no thread (pids taken: $taken)");
            }
        }
        ok(wait_until(sub { !halted_in(@pids) }, 3), "threaded caller, $how: thawed");
    }
    $thread->join;
    kill_tree($tracer);
}

kill_others();
done_testing;
