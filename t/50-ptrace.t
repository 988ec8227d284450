use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw;

# METHOD 'ptrace': a freeze the frozen do not see.  Each check runs many
# cycles with ptrace, then one with signals as a control that shows the
# check can fail.

my $CYCLES = 30;
my $dir = tempdir(CLEANUP => 1);
my $n = 0;
sub log_of { open my $fh, '<', $_[0] or return ''; local $/; return <$fh> // '' }
sub status_of { return log_of("/proc/$_[0]/status") }

my ($STRACE) = grep { -x } map { "$_/strace" } split /:/, $ENV{PATH};
# Starts strace running a busy workload, its tracee, which a ptrace freeze
# cannot seize and stops with signals; returns strace's pid once the
# tracee runs, or () without strace.
sub strace_busy {
    my ($log) = @_;
    return () unless $STRACE;
    my $tracer = fork // die;
    if (!$tracer) { exec $STRACE, '-f', '-o', $log, workload(), 'busy'; exit 111 }
    wait_until(sub { grep { $_->[3] eq 'workload' && $_->[0] > $tracer && $_->[2] eq 'R' } thread_states() })
        or die "strace's tracee did not start";
    # Seen running, it may still be starting, stopping at each system call
    # for strace: a freeze that stops strace there finds it held (t) and
    # stops it no more (1 freeze in 25-100).  Once its "ready" is written
    # and its output moved to /dev/null (the last calls) it spins and
    # makes none.
    wait_until(sub { open(my $fh, '<', $log) or return; local $/; (<$fh> // '') =~ /write\(1, "ready\\n".*\n.*dup2\(\d+, 1\).*\n.*close\(\d+\)\s+= 0/ })
        or die "strace's tracee did not get ready";
    return $tracer;
}

sub cycles {
    my ($method, $count) = @_;
    for (1 .. $count) {
        my $t = Sys::FreezeThaw::freeze({ method => $method });
        Sys::FreezeThaw::thaw($t);
    }
    sleep 0.2;
}

# The kernel's view: frozen in a ptrace stop, running after thaw.
{
    my @work = (spawn_workload('busy'), spawn_workload('threads', 8, 'busy'),
                spawn_workload({ ready => 13 }, 'tree', 2, 3, 'idle'));
    for my $cycle (1 .. $CYCLES) {
        my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
        frozen_ok("ptrace cycle $cycle: every thread stopped");
        my @states = map { $_->[2] } grep { my $p = $_->[0]; grep { $_ == $p } map { @$_ } @$t } thread_states();
        ok(!grep({ $_ ne 't' } @states), "ptrace cycle $cycle: in ptrace stops (t), not T");
        Sys::FreezeThaw::thaw($t);
        thawed_ok($t, "ptrace cycle $cycle: thawed");
    }
    my $r = Sys::FreezeThaw::last_freeze();
    is($r->{method}, 'ptrace', 'the report names the method');
    is($r->{threads}, 1 + 8 + 13, 'and counts every thread');
    is_deeply($r->{signal_fallback}, [], 'nothing needed signals');
    local $Sys::FreezeThaw::METHOD = 'ptrace';
    my $t = Sys::FreezeThaw::freeze();
    is(Sys::FreezeThaw::last_freeze()->{method}, 'ptrace', '$METHOD works as the option does');
    Sys::FreezeThaw::thaw($t);
    kill_tree(@work);
}

# Parents are told nothing: SIGCHLD through signalfd, or an SA_SIGINFO handler.
for my $how (qw(signalfd siginfo)) {
    my $log = "$dir/sigchld-" . $n++;
    my $p = spawn_workload('sigchld', $log, $how);
    cycles('ptrace', $CYCLES);
    is(log_of($log), '', "$how: no SIGCHLD in $CYCLES ptrace cycles");
    cycles('signal', 1);
    like(log_of($log), qr/code 5/, "$how: control: one signal freeze shows CLD_STOPPED");
    kill_tree($p);
}

# No SIGCONT is delivered.
{
    my $log = "$dir/cont";
    my $p = spawn_workload('countcont', $log);
    cycles('ptrace', $CYCLES);
    is(log_of($log), '', "no SIGCONT in $CYCLES ptrace cycles");
    cycles('signal', 1);
    like(log_of($log), qr/cont/, 'control: a signal freeze delivers one');
    kill_tree($p);
}

# A parent in waitpid(WUNTRACED|WCONTINUED) sees nothing.
{
    my $log = "$dir/waiter";
    my $p = spawn_workload('waiter', $log, 'busy', 'cont');
    cycles('ptrace', $CYCLES);
    is(log_of($log), '', "waitpid(WUNTRACED|WCONTINUED) reports nothing in $CYCLES ptrace cycles");
    cycles('signal', 1);
    like(log_of($log), qr/continued/, 'control: after a signal freeze it reports "continued"');
    kill_tree($p);
}

# Killing the freezing process lets everything go.
{
    my @work = (spawn_workload('busy'), spawn_workload('threads', 4, 'busy'));
    for my $round (1 .. 10) {
        my $pid = frozen_child(method => 'ptrace');
        ok(scalar(halted_in(@work)), "kill round $round: frozen");
        kill KILL => $pid;
        waitpid $pid, 0;
        ok(wait_until(sub { !halted_in(@work) }, 3), "kill round $round: SIGKILL of the freezer: all run again");
    }
    kill_tree(@work);
}

# Fork storms and thread storms converge: the kernel seizes new children.
for my $mode (qw(forkloop forkchain threadloop)) {
    spawn_workload($mode);
    my $frozen = 0;
    for my $cycle (1 .. 10) {
        my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 2 }) };
        if ($t) {
            $frozen++;
            my @running = not_halted();
            is_deeply(\@running, [], "$mode cycle $cycle: frozen completely") or diag("running: @running");
            Sys::FreezeThaw::thaw($t);
        } else {
            fail("$mode cycle $cycle: $@");
        }
    }
    is($frozen, 10, "$mode: frozen in all 10 cycles");
    kill_others();
}

# Thread storms are held by ptrace alone: every thread of the namespace is
# in a ptrace stop, or in D with a tracer (its trap comes before user
# space), and no process is left to signals.  A thread the leader creates
# after its seizure is the tracer's from birth, so PTRACE_SEIZE refuses it
# before its clone event is collected; taken for someone else's, that gave
# the whole process up to SIGSTOP in 2-4% of these freezes.  In
# threadvforkloop the threads spend their lives in D, in vfork().
sub not_held_by_ptrace {
    my ($report) = @_;
    my %skip = map { $_ => 1 } 1, $$, $report->{guard_pid};
    my @loose;
    for my $th (thread_states()) {
        my ($pid, $tid, $state) = @$th;
        next if $skip{$pid} || $state =~ /\A[tZXx]\z/ || FreezeThawTest::_exiting($th);
        my $tracer = status_field($tid, 'TracerPid');
        push @loose, "$pid/$tid $state tracer " . ($tracer // '?') if $state ne 'D' || !$tracer;
    }
    return @loose;
}

for my $mode (qw(threadloop threadvforkloop)) {
    spawn_workload($mode) for 1 .. 2;
    my ($cycles, $held, $signalled) = (300, 0, 0);
    for my $cycle (1 .. $cycles) {
        my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 2 }) };
        if (!$t) {
            fail("$mode held cycle $cycle: $@");
            next;
        }
        my $report = Sys::FreezeThaw::last_freeze();
        my @loose = not_held_by_ptrace($report);
        my @fallback = @{ $report->{signal_fallback} };
        $signalled++ if @fallback;
        if (!@loose && !@fallback) {
            $held++;
        } else {
            diag("$mode cycle $cycle: left to signals: @fallback; not held: @loose[0 .. ($#loose < 9 ? $#loose : 9)]");
        }
        Sys::FreezeThaw::thaw($t);
    }
    is($held, $cycles, "$mode: every thread held by ptrace in all $cycles freezes (left to signals in $signalled)");
    kill_others();
}

# A process the scan reads with one thread may start another before it is
# seized: its thread count is taken again once its leader has trapped.  The
# bursting processes come first in /proc, so a whole scan of the idle ones
# lies between their read and their seizure.
{
    my @burst = map { spawn_workload('threadburst') } 1 .. 20;
    my @idle = spawn_workload({ ready => 600 }, 'tree', 1, 599, 'idle');
    for my $cycle (1 .. 15) {
        my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 5 }) };
        ok($t, "threadburst cycle $cycle: freeze succeeds") or diag($@);
        next unless $t;
        my @running = not_halted();
        is_deeply(\@running, [], "threadburst cycle $cycle: no thread started since the scan runs")
            or diag("running: @running");
        Sys::FreezeThaw::thaw($t);
    }
    kill_others();
}

# A vfork parent (D until its child is released) is counted as frozen.
{
    my $parent = spawn_workload('vfork');
    my ($child) = ready_info($parent);
    for my $cycle (1 .. 10) {
        my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace' }) };
        ok($t, "vfork cycle $cycle: freeze succeeds") or diag($@);
        next unless $t;
        frozen_ok("vfork cycle $cycle: everything stopped", $parent);
        is_deeply([ map { $_->{pid} } @{ Sys::FreezeThaw::last_freeze()->{counted_frozen} } ], [$parent],
                  "vfork cycle $cycle: the parent counted as frozen in D");
        Sys::FreezeThaw::thaw($t);
        thawed_ok($t, "vfork cycle $cycle: thawed");
    }
    kill KILL => $child;
    ok(wait_until(sub { !grep { $_->[0] == $parent && $_->[2] =~ /[DTt]/ } thread_states() }, 3),
       'vfork: after its child exits the parent runs on');
    kill_tree($parent);
}

# A process traced by someone else cannot be seized: it is stopped with
# signals, parents first, and the report says so.
SKIP: {
    skip 'strace is not installed', 5 unless $STRACE;
    my $tracer = strace_busy("$dir/strace.log");
    # The tracee: the process whose TracerPid is strace, once it runs the workload.
    my $traced_by_strace = sub {
        map { $_->[0] } grep {
            $_->[0] == $_->[1] && $_->[3] eq 'workload'
            && (status_field($_->[0], 'TracerPid') // -1) == $tracer   # -1: gone since listed
        } thread_states();
    };
    ok(wait_until(sub { $traced_by_strace->() }), 'strace runs its tracee');
    my ($tracee) = $traced_by_strace->();
    # Once it spins (R) it makes no system call: strace holds it in no stop.
    ok(wait_until(sub { grep { $_->[0] == $tracee && $_->[2] eq 'R' } thread_states() }), '... which spins')
        or diag(status_of($tracee));
    my $state_before = join ' ', map { $_->[2] } grep { $_->[0] == $tracee } thread_states();
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
    frozen_ok('strace and its tracee are frozen');
    my $report = Sys::FreezeThaw::last_freeze();
    is_deeply($report->{signal_fallback}, [$tracee], 'the tracee was stopped with signals')
        or diag("tracee $tracee in state $state_before just before the freeze; in the token: "
                . (grep({ $_ == $tracee } map { @$_ } @$t) ? 'yes' : 'no') . '; skipped: '
                . join(', ', map { "$_ $report->{skipped}{$_}" } sort keys %{ $report->{skipped} }));
    Sys::FreezeThaw::thaw($t);
    ok(wait_until(sub { !halted_in($tracee) }, 3), 'and runs again, still traced');
    kill_tree($tracer);
}

# A guard that stops answering (starved, or a bug) must not keep the
# caller waiting, and the machine frozen, for ever: 3 s after the timeout
# it is told to give up, a second later killed, and the kernel lets go of
# its tracees.  FREEZETHAW_TEST_GUARD_STALL makes the guard sleep, deaf to
# the request, after seizing everything ("F:ms") or before letting go
# ("T:ms").
sub guards { return grep { $_->[0] == $_->[1] && $_->[3] eq 'freezethaw-grd' } thread_states() }
# A ptrace freeze with a 0.5 s timeout and the guard stalled as $stall
# says: returns (token or undef, error, seconds it took).
sub stalled_freeze {
    my ($stall) = @_;
    local $ENV{FREEZETHAW_TEST_GUARD_STALL} = $stall;
    my $t0 = time;
    my $t = eval { Sys::FreezeThaw::freeze({ method => 'ptrace', timeout => 0.5 }) };
    return ($t, $@, time - $t0);
}
{
    my @work = (spawn_workload('busy'), spawn_workload('threads', 4, 'busy'),
                spawn_workload({ ready => 4 }, 'tree', 1, 3, 'idle'));
    my @strace = strace_busy("$dir/strace1.log");   # strace's tracee is a descendant
    my @pids = (@work, @strace, map { descendants($_) } @work, @strace);
    my ($t, $err, $took) = stalled_freeze('F:60000');
    ok(!$t, 'a guard stuck once all is seized: the freeze fails');
    like($err, qr/^the guard process did not answer within the timeout and 4 seconds more: it was killed, and the kernel let go of every process it had seized/,
         '... and says why');
    cmp_ok($took, '>=', 4.4, '... once the timeout and 4 s have passed');
    cmp_ok($took, '<', 10, '... not much later (not the 60 s the guard sleeps)');
    ok(wait_until(sub { !halted_in(@pids) }, 3),
       '... every process runs again' . (@strace ? ", strace's tracee (stopped with signals) too" : ''))
        or diag(snapshot());
    my %tr = map { $_ => status_field($_, 'TracerPid') // 0 } @pids;
    is_deeply([ grep { $tr{$_} && $tr{$_} != ($strace[0] // 0) } @pids ], [], '... and none is traced but by strace');
    ok(wait_until(sub { !guards() }, 3), '... the guard is gone');
    $t = freeze_when_free({ method => 'ptrace' });
    frozen_ok('the next freeze works (the lock went with the guard)');
    Sys::FreezeThaw::thaw($t);
    kill_tree(@work, @strace);
}

# The same at thaw: the guard is killed 4 s after the thaw's request; the
# kernel lets go of its tracees, and the caller continues itself what the
# guard had stopped with signals (strace's tracee, which cannot be seized).
SKIP: {
    skip 'strace is not installed', 5 unless $STRACE;
    my $busy = spawn_workload('busy');
    my $tracer = strace_busy("$dir/strace2.log");
    my $t;
    {
        local $ENV{FREEZETHAW_TEST_GUARD_STALL} = 'T:60000';
        $t = Sys::FreezeThaw::freeze({ method => 'ptrace' });
    }
    my @fallback = @{ Sys::FreezeThaw::last_freeze()->{signal_fallback} };
    is(scalar(@fallback), 1, 'frozen, strace\'s tracee with signals');
    my @warn;
    my $t0 = time;
    {
        local $SIG{__WARN__} = sub { push @warn, @_ };
        Sys::FreezeThaw::thaw($t);
    }
    my $took = time - $t0;
    cmp_ok($took, '<', 10, 'a guard stuck before the thaw: the thaw returns (in ' . sprintf('%.1f', $took) . ' s)');
    like("@warn", qr/^Sys::FreezeThaw::thaw: the guard process did not answer within 4 seconds and was killed; every process was continued all the same/,
         '... and warns that it had to kill the guard');
    ok(wait_until(sub { !halted_in($busy, $tracer, @fallback) }, 3),
       '... every process runs again, the one stopped with signals too')
        or diag(snapshot());
    ok(wait_until(sub { !guards() }, 3), '... and the guard is gone');
    kill_tree($tracer, $busy);
}

# freezethaw's thaw warns the same.
{
    my $busy = spawn_workload('busy');
    local $Sys::FreezeThaw::METHOD = 'ptrace';
    local $ENV{FREEZETHAW_TEST_GUARD_STALL} = 'T:60000';
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, @_ };
    my $r = Sys::FreezeThaw::freezethaw { scalar halted_in($busy) };
    ok($r, 'freezethaw with a guard stuck before the thaw: the block ran frozen');
    like("@warn", qr/^Sys::FreezeThaw::thaw: the guard process did not answer within 4 seconds and was killed/,
         '... and the thaw warns that it had to kill the guard');
    ok(wait_until(sub { !halted_in($busy) && !guards() }, 3), '... everything runs, the guard is gone');
    kill_tree($busy);
}

# A guard slow to start the freeze, but that hears the caller: told to
# give up 3 s after the timeout, it does, and the freeze says so.
{
    my @work = (spawn_workload('busy'), spawn_workload({ ready => 4 }, 'tree', 1, 3, 'idle'));
    my @pids = (@work, map { descendants($_) } @work);
    my ($t, $err, $took) = stalled_freeze('f:60000');
    ok(!$t, 'a guard slow to freeze: the freeze fails');
    like($err, qr/^the guard process did not finish the freeze within the timeout and 3 seconds more: told to give up, it continued every process it had stopped/,
         '... and says why');
    cmp_ok($took, '>=', 3.4, '... once the timeout and 3 s have passed');
    cmp_ok($took, '<', 4.4, '... before it would have been killed');
    ok(wait_until(sub { !halted_in(@pids) }, 3), '... nothing stays stopped');
    ok(wait_until(sub { !guards() }, 3), '... the guard is gone');
    kill_tree(@work);
}

# MAX_FROZEN and the lock hold with ptrace too.
{
    my $w = spawn_workload('busy');
    my $t = Sys::FreezeThaw::freeze({ method => 'ptrace', max_frozen => 1 });
    ok(scalar(halted_in($w)), 'max_frozen: frozen');
    ok(wait_until(sub { !halted_in($w) }, 5), 'max_frozen: let go after the limit');
    my @warn;
    local $SIG{__WARN__} = sub { push @warn, @_ };
    Sys::FreezeThaw::thaw($t);
    like("@warn", qr/cut the frozen window short/, 'max_frozen: the later thaw says it had nothing to do');
    kill_tree($w);
}

ok(!eval { Sys::FreezeThaw::freeze({ method => 'magic' }); 1 }, 'an unknown method is refused');
like($@, qr/method must be 'signal' or 'ptrace', not 'magic'/, '... clearly');

done_testing;
