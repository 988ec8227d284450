use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# Threads and names the original module got wrong.

my $CYCLES = 20;

sub cycle_ok {
    my ($name, @except) = @_;
    for my $cycle (1 .. $CYCLES) {
        my $t = eval { Sys::FreezeThaw::freeze() };
        if (!ok($t, "$name, cycle $cycle: freeze succeeds")) {
            diag($@);
            return;
        }
        # A thread in D with the stop pending counts as frozen, and the
        # report says so (counted_frozen): it stops as it leaves D (a
        # thread exiting or starting waits there for its memory map).
        my %counted = map { $_->{pid} => 1 } @{ Sys::FreezeThaw::last_freeze()->{counted_frozen} };
        my @running = not_halted(@except);
        my @in_d = grep { m{^(\d+)/\d+ D } && $counted{$1} } @running;
        @running = grep { !(m{^(\d+)/\d+ D } && $counted{$1}) } @running;
        if (!is_deeply(\@running, [], "$name, cycle $cycle: every thread stopped")) {
            diag("still running: @running");
        }
        if (@in_d) {
            my %d = map { m{^(\d+/\d+)} ? ($1 => 1) : () } @in_d;
            ok(wait_until(sub { !grep { m{^(\d+/\d+)} && $d{$1} } not_halted(@except) }, 2),
               "$name, cycle $cycle: the threads counted frozen in D stop as they leave it")
                or diag("in D: @in_d");
        }
        Sys::FreezeThaw::thaw($t);
        thawed_ok($t, "$name, cycle $cycle: thawed");
    }
    return 1;
}

# A leader that called pthread_exit shows Z, while its threads run on.
{
    my $z = spawn_workload('zombieleader', 4, 'busy');
    ok(wait_until(sub { grep { $_->[0] == $z && $_->[1] == $z && $_->[2] eq 'Z' } thread_states() }),
       'zombie leader: the leader is a zombie');
    cycle_ok('zombie leader with 4 busy threads');
    my $t = Sys::FreezeThaw::freeze();
    ok(grep({ $_ == $z } map { @$_ } @$t), 'zombie leader: the process is in the token');
    Sys::FreezeThaw::thaw($t);
    kill_tree($z);
}

# Many processes with threads, waited for together on an idle machine:
# their other threads are read from a thread per CPU (sft_threadlook.h), a
# zombie leader among them (its threads live on).  Each freeze starts once
# the threads woken by the last thaw sleep again: a freeze that finds the
# CPUs contended runs at SCHED_FIFO, and checks one process at a time.
{
    my @procs = map { spawn_workload('threads', 4, 'idle') } 1 .. 140;
    my $z = spawn_workload('zombieleader', 4, 'idle');
    my ($idle, $quiet) = (0, 0);
    for my $cycle (1 .. 10) {
        $quiet++ if wait_idle(2);
        my $t = Sys::FreezeThaw::freeze();
        my $r = Sys::FreezeThaw::last_freeze();
        $idle++ unless $r->{realtime};
        my @running = not_halted();
        is_deeply(\@running, [], "141 processes of 4 threads, cycle $cycle: every thread stopped")
            or diag("still running: @running");
        # with ptrace, the zombie leader's may be left to signals, uncounted
        cmp_ok($r->{threads}, '>=', 140 * 4, "cycle $cycle: the report counts their threads");
        Sys::FreezeThaw::thaw($t);
        thawed_ok($t, "cycle $cycle: thawed");
    }
    SKIP: {
        skip 'the machine never went idle before a freeze: something else keeps its CPUs busy', 1 unless $quiet;
        cmp_ok($idle, '>', 0, "$idle of 10 freezes found the machine idle (their threads read at once)");
    }
    kill_tree(@procs, $z);
}

# A process with a thousand threads.
{
    my $many = spawn_workload('threads', 1000, 'idle');
    is(scalar(grep { $_->[0] == $many } thread_states()), 1000, 'a process with 1000 threads');
    cycle_ok('1000 threads');
    is(Sys::FreezeThaw::last_freeze()->{threads}, 1000, 'the report counts its 1000 threads');
    kill_tree($many);
}

# Threads created while the freeze runs: a group stop holds back clone().
{
    my $loop = spawn_workload('threadloop');
    cycle_ok('a process creating threads in a loop');
    kill_tree($loop);
}

# Command names that break a parser that splits on white space.
{
    my @names = ('a b', 'x)', '(y', "a\nb", '', ') R 1 2 3', ' 7 (z) S 1 ', 'tab	s', "\x{1}ctl", 'abcdefghijklmnopq');
    my @procs = map { spawn_workload('named', $_, 'busy') } @names;
    my %comm = map { $_->[0] => $_->[3] } grep { $_->[0] == $_->[1] } thread_states();
    is_deeply([ map { $comm{$_} } @procs ], [ @names[0 .. 8], 'abcdefghijklmno' ],
              'the kernel shows the names as set (truncated to 15 bytes)');
    cycle_ok('hostile command names');
    my $t = Sys::FreezeThaw::freeze();
    my %in = map { $_ => 1 } map { @$_ } @$t;
    is(scalar(grep { $in{$_} } @procs), scalar(@procs), 'every process with a hostile name is in the token');
    Sys::FreezeThaw::thaw($t);

    # The error message escapes the name of a process that will not stop.
    my $stubborn = spawn_workload('named', "bad\n\"name\\", 'busy');
    my $tracer = spawn_workload('eatstop', $stubborn);
    ok(!eval { Sys::FreezeThaw::freeze({ exclude => [$tracer], timeout => 0.2 }); 1 }, 'a stubborn process with a hostile name');
    like($@, qr/^unable to stop some processes: $stubborn \($stubborn "bad\\n\\"name\\\\": timed out in state [Rt]\)/,
         'its name is escaped in the message, on one line');
    kill_tree($tracer, $stubborn, @procs);
}

done_testing;
