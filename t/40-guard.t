use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw;

# The dead man's switch: whatever happens to the freezing process, nothing
# stays frozen.  A freezer runs in a child; the test kills it at many
# points and checks, with the kernel as oracle, that everything it froze
# runs again within a generous bound.

my $BOUND = 3;     # seconds; the benchmark measures the real delay
my @work = (
    spawn_workload('busy'),
    spawn_workload('threads', 4, 'busy'),
    spawn_workload({ ready => 1 + 4 + 16 + 64 }, 'tree', 3, 4, 'idle'),
);

sub stopped_now {
    return map { "$_->[0]/$_->[1]" } grep { $_->[2] =~ /^[Tt]$/ && $_->[0] != $$ } thread_states();
}

# Forks a freezer.  It freezes (with the options given), reports "frozen"
# on a pipe, then does what $then says.  Returns (pid, reader).
sub freezer {
    my ($then, %opt) = @_;
    pipe my $r, my $w or die;
    my $pid = fork // die;
    if (!$pid) {
        close $r;
        POSIX::setpgid(0, 0) if $opt{own_group};
        # The test process (this child's parent) watches: never frozen.
        my $t = eval { Sys::FreezeThaw::freeze({ exclude => [getppid()], %{ $opt{freeze} // {} } }) };
        if (!$t) { syswrite $w, "error $@"; POSIX::_exit(1) }
        syswrite $w, "frozen " . Sys::FreezeThaw::last_freeze()->{guard_pid} . "\n";
        $then->($t, $w);
        POSIX::_exit(0);
    }
    close $w;
    return ($pid, $r);
}

sub read_line {
    my ($r) = @_;
    my $rin = '';
    vec($rin, fileno $r, 1) = 1;
    return '' unless select $rin, undef, undef, 10;
    my $line = '';
    sysread $r, $line, 4096;
    return $line;
}

# Reads from $r until what was read matches $re (or 10 s of silence);
# returns all of it.
sub read_until {
    my ($r, $re) = @_;
    my $all = '';
    while ($all !~ $re) {
        my $more = read_line($r);
        last if $more eq '';
        $all .= $more;
    }
    return $all;
}

# 1. SIGKILL while frozen (inside the "block").
my @delays;
for my $round (1 .. 20) {
    my ($pid, $r) = freezer(sub { sleep 60 });
    my $line = read_line($r);
    like($line, qr/^frozen \d+/, "inside round $round: frozen") or next;
    ok(scalar(stopped_now()) > 0, "inside round $round: processes are stopped");
    my $t0 = time;
    kill KILL => $pid;
    waitpid $pid, 0;
    ok(wait_until(sub { !stopped_now() }, $BOUND), "inside round $round: SIGKILL of the freezer: all run again")
        or diag("still stopped: @{[ stopped_now() ]}");
    push @delays, time - $t0;
}
@delays = sort { $a <=> $b } @delays;
note(sprintf 'dead man\'s switch, SIGKILL inside the window: median %.1f ms, max %.1f ms over %d rounds',
     1000 * $delays[@delays / 2], 1000 * $delays[-1], scalar @delays);

# 2. SIGKILL at random points of the freeze itself, and of the thaw.
for my $phase (qw(freeze thaw)) {
    my %outcome;
    for my $round (1 .. 30) {
        my $delay = rand 0.004;
        my ($pid, $r);
        if ($phase eq 'freeze') {
            ($pid, $r) = freezer(sub { sleep 60 });
            sleep $delay;
        } else {
            ($pid, $r) = freezer(sub { my ($t) = @_; sleep 0.05; Sys::FreezeThaw::thaw($t) for 1 .. 1; sleep 60 });
            read_line($r);
            sleep 0.05 + $delay;
        }
        kill KILL => $pid;
        waitpid $pid, 0;
        my $ok = wait_until(sub { !stopped_now() }, $BOUND);
        $outcome{ $ok ? 'recovered' : 'left stopped' }++;
        ok($ok, "$phase round $round: SIGKILL after " . sprintf('%.1f', 1000 * $delay) . " ms: nothing left stopped")
            or diag("still stopped: @{[ stopped_now() ]}");
    }
    note("SIGKILL during $phase: " . join ', ', map { "$outcome{$_} $_" } sort keys %outcome);
}

# 3. A kill of the freezer's whole process group misses the guard (its own session).
{
    my ($pid, $r) = freezer(sub { sleep 60 }, own_group => 1);
    my ($guard) = read_line($r) =~ /^frozen (\d+)/;
    ok($guard, 'the freezer reports its guard');
    isnt(getpgrp($guard), $pid, 'the guard is not in the freezer\'s process group');
    my ($session) = do { open my $f, '<', "/proc/$guard/stat"; (scalar(<$f>) // '') =~ /\) \S \d+ \d+ (\d+)/ };
    is($session, $guard, 'the guard leads a session of its own');
    # (with ptrace, one thread per tracer)
    like(join('', map { $_->[2] } grep { $_->[0] == $guard } thread_states()), qr/^[SR]+$/,
         'the guard itself is not frozen');
    kill KILL => -$pid;
    waitpid $pid, 0;
    ok(wait_until(sub { !stopped_now() }, $BOUND), 'SIGKILL to the process group: all run again');
    ok(wait_until(sub { !kill 0, $guard }, $BOUND), 'and the guard is gone after its work');
}

# 4. After a normal thaw the guard goes away, and the lock with it.
{
    my $t = Sys::FreezeThaw::freeze();
    my $guard = Sys::FreezeThaw::last_freeze()->{guard_pid};
    ok(kill(0, $guard), 'a guard runs while frozen');
    Sys::FreezeThaw::thaw($t);
    ok(wait_until(sub { !kill 0, $guard }, 2), 'the guard goes away after thaw');
    my $t2 = eval { Sys::FreezeThaw::freeze() };
    ok($t2, 'the next freeze takes the lock') or diag($@);
    Sys::FreezeThaw::thaw($t2) if $t2;
}

# 4a. A guard that never arms (FREEZETHAW_TEST_GUARD_STALL, tests only:
# it sleeps before taking the lock) does not keep the caller waiting: 5 s
# later it is killed, with the middle process, and the freeze fails before
# stopping anything.  Once from the guard program, once forked.
for my $case ([ signal => 'the program' ], [ ptrace => 'a fork' ]) {
    my ($method, $how) = @$case;
    local $Sys::FreezeThaw::_GUARD_PROGRAM = $how eq 'a fork' ? undef : $Sys::FreezeThaw::_GUARD_PROGRAM;
    my ($t, $took);
    {
        local $ENV{FREEZETHAW_TEST_GUARD_STALL} = 'S:60000';
        my $t0 = time;
        $t = eval { Sys::FreezeThaw::freeze({ method => $method }) };
        $took = time - $t0;
    }
    ok(!$t, "$method, guard from $how that never arms: the freeze fails");
    like($@, qr/^cannot start the guard process: it did not answer within 5 seconds, and was killed/,
         '... and says why');
    cmp_ok($took, '>=', 4.9, '... after 5 s');
    cmp_ok($took, '<', 10, '... not much later (the guard sleeps 60)');
    is_deeply([ stopped_now() ], [], '... nothing was stopped');
    ok(wait_until(sub { !grep { $_->[3] =~ /^freezethaw-g/ } thread_states() }, 3),
       '... no guard, nor middle process, is left');
    my $t2 = eval { Sys::FreezeThaw::freeze({ method => $method }) };
    ok($t2, '... and the next freeze works') or diag($@);
    Sys::FreezeThaw::thaw($t2) if $t2;
}

# 4b. With signals the freeze reads /proc while its guard starts, and
# stops nothing before the guard is armed: a guard that takes 0.6 s to arm
# (the same knob) holds back every stop for that long; then the freeze
# succeeds, the guard is not in the token, and a SIGKILL of the freezer
# is recovered from.  The first read of /proc goes on to its end
# meanwhile: it stops on sight only once the guard has answered (its time
# counts in scan_seconds).  Once from the guard program, once forked.
for my $how ('the program', 'a fork') {
    local $Sys::FreezeThaw::_GUARD_PROGRAM = $how eq 'a fork' ? undef : $Sys::FreezeThaw::_GUARD_PROGRAM;
    local $ENV{FREEZETHAW_TEST_GUARD_STALL} = 'S:600';
    my ($pid, $r) = freezer(sub {
        my ($t, $w) = @_;
        my $r = Sys::FreezeThaw::last_freeze();
        syswrite $w, sprintf "scan %.3f stop %.3f %s\n", $r->{scan_seconds}, $r->{stop_seconds}, $r->{method};
        syswrite $w, 'token ' . join(' ', map { @$_ } @$t) . "\n";
        sleep 60;
    });
    my $t0 = time;
    my ($early, $guard_seen) = (0, 0);
    while (time - $t0 < 0.4) {
        $early += scalar stopped_now();
        $guard_seen ||= grep { $_->[3] =~ /^freezethaw-g/ } thread_states();
        sleep 0.02;
    }
    ok($guard_seen, "guard from $how, arming late: it runs while the freeze waits");
    is($early, 0, '... and nothing is stopped before it is armed');
    my $said = read_until($r, qr/^token [\d ]*\n/m);
    my ($guard) = $said =~ /^frozen (\d+)/;
    ok($guard, '... then the freeze succeeds');
    my ($token) = $said =~ /^token ([\d ]*)$/m;
    ok(defined $token && $token =~ /\d/, '... with processes in its token');
    ok(defined $token && !grep({ $_ == $guard } split ' ', $token), '... not the guard');
    my ($scan, $stop, $method) = $said =~ /^scan ([\d.]+) stop ([\d.]+) (\w+)$/m;
    SKIP: {
        skip 'with ptrace the guard is the freezer, and reads nothing before it is armed', 1
            if ($method // '') eq 'ptrace';
        ok(defined $scan && $scan < 0.3 && $stop >= 0.3,
           '... its reads of /proc did not wait for the guard, its first stop did') or diag($said);
    }
    my %work = map { $_ => 1 } @work;
    my @running = map { "$_->[0]/$_->[1] $_->[2]" } grep { $work{ $_->[0] } && $_->[2] !~ /^[Tt]$/ } thread_states();
    is("@running", '', '... every thread of the workload halted');
    kill KILL => $pid;
    waitpid $pid, 0;
    ok(wait_until(sub { !stopped_now() }, $BOUND), '... and a SIGKILL of the freezer: all run again');
}

# 4c. A freeze with nothing to stop (all excluded) still waits for its
# guard: it holds the lock while the window is open, and the caller (a
# process with no other child) has no child left for a wait() of its own
# to reap (the middle process).
for my $how ('the program', 'a fork') {
    local $Sys::FreezeThaw::_GUARD_PROGRAM = $how eq 'a fork' ? undef : $Sys::FreezeThaw::_GUARD_PROGRAM;
    my @all = map { m{/(\d+)$} ? $1 : () } glob '/proc/[0-9]*';
    my ($pid, $r) = freezer(sub {
        my ($t, $w) = @_;
        syswrite $w, 'pids ' . scalar(map { @$_ } @$t) . ' wait ' . waitpid(-1, POSIX::WNOHANG()) . "\n";
        sleep 60;
    }, freeze => { exclude => \@all });
    my $said = read_until($r, qr/^pids .*\n/m);
    like($said, qr/^frozen \d+/, "guard from $how, nothing to stop: the freeze succeeds") or diag($said);
    my ($pids, $wait) = $said =~ /^pids (\d+) wait (-?\d+)/m;
    is($pids, 0, '... with an empty token');
    is($wait, -1, '... and leaves the caller no child');
    my $t = eval { Sys::FreezeThaw::freeze() };
    like($@, qr/^another freeze is in progress/, '... and it holds the lock');
    Sys::FreezeThaw::thaw($t) if $t;
    kill KILL => $pid;
    waitpid $pid, 0;
}

# 4d. The lock passes from one freeze to the next without an "another
# freeze is in progress" in between.  A freezer killed while frozen: its
# guard continues what it froze, then lets go of the lock, and a freeze
# started meanwhile waits for that (up to 2 s) rather than fail; the knob
# makes the guard sleep 0.5 s first ('U').  A guard slow to exit after its
# caller's thaw ('R', 0.02 s here: well under the 0.1 s a freeze waits for
# any holder) keeps the next freeze waiting too.

# Forks a freezer whose guard sleeps $ms before it continues everything
# once its caller has died ('U'), and kills it once frozen.  Returns the
# dead freezer's pid and its guard's.
sub killed_freezer_late_guard {
    my ($ms, $name) = @_;
    my ($pid, $r);
    {
        local $ENV{FREEZETHAW_TEST_GUARD_STALL} = "U:$ms";
        ($pid, $r) = freezer(sub { sleep 60 });
    }
    my ($guard) = read_line($r) =~ /^frozen (\d+)/;
    ok($guard, $name);
    kill KILL => $pid;
    waitpid $pid, 0;
    return ($pid, $guard);
}

{
    killed_freezer_late_guard(500, 'a freezer whose guard recovers late has frozen');
    my $t0 = time;
    my $t = eval { Sys::FreezeThaw::freeze() };
    my $took = time - $t0;
    ok($t, '... killed: the next freeze waits for its guard, and succeeds') or diag($@);
    cmp_ok($took, '>=', 0.4, '... once that guard has continued everything (it slept 0.5 s first)');
    my %work = map { $_ => 1 } @work;
    my @running = map { "$_->[0]/$_->[1] $_->[2]" } grep { $work{ $_->[0] } && $_->[2] !~ /^[Tt]$/ } thread_states();
    is("@running", '', '... and every thread of the workload halted');
    Sys::FreezeThaw::thaw($t) if $t;
    ok(wait_until(sub { !stopped_now() }, $BOUND), '... and runs again after its thaw');
}
{
    my ($pid, $r);
    {
        local $ENV{FREEZETHAW_TEST_GUARD_STALL} = 'R:20';
        ($pid, $r) = freezer(sub {
            my ($t, $w) = @_;
            Sys::FreezeThaw::thaw($t);
            syswrite $w, "thawed\n";
            sleep 60;
        });
    }
    like(read_until($r, qr/^thawed$/m), qr/^thawed$/m, 'a freezer has thawed, its guard slow to go');
    my $t = eval { Sys::FreezeThaw::freeze() };
    ok($t, '... the next freeze at once waits for that guard, and succeeds') or diag($@);
    frozen_ok("... and stops everything") if $t;
    Sys::FreezeThaw::thaw($t) if $t;
    kill KILL => $pid;
    waitpid $pid, 0;
}

# 4e. That wait has an end: a freeze gives up on a holder whose caller
# died after 2 s, failing as "another freeze is in progress" with nothing
# of its own stopped, even while that holder's guard has yet to let go
# (here it sleeps 6 s before it continues everything).  It must not take
# the lock after the holder lets go: that is after 6 s.
{
    my ($pid, $guard) = killed_freezer_late_guard(6000, 'a freezer whose guard recovers very late has frozen');
    my $t0 = time;
    my $t = eval { Sys::FreezeThaw::freeze() };
    my ($err, $took) = ($@, time - $t0);
    Sys::FreezeThaw::thaw($t) if $t;
    like($err, qr/^another freeze is in progress in this PID namespace \(held by pid $pid, guard pid $guard\)/,
         '... killed: the next freeze gives up on its guard, naming the dead holder');
    cmp_ok($took, '>=', 1.9, '... after waiting 2 s for it');
    cmp_ok($took, '<', 5.5, '... not until the guard lets go (6 s)');
    ok(wait_until(sub { !stopped_now() }, 6 + $BOUND), '... and that guard then continues everything');
}

# 5. One freeze at a time: a second freezer fails at once, naming the holder.
{
    my $t = Sys::FreezeThaw::freeze();
    my $guard = Sys::FreezeThaw::last_freeze()->{guard_pid};
    my $t0 = time;
    open my $second, '-|', $^X, '-Iblib/lib', '-Iblib/arch', '-MSys::FreezeThaw', '-e',
        'my $t = eval { Sys::FreezeThaw::freeze() }; print $t ? "froze" : $@' or die;
    my $out = do { local $/; <$second> } // '';
    close $second;
    my $took = time - $t0;
    Sys::FreezeThaw::thaw($t);
    like($out, qr/^another freeze is in progress in this PID namespace \(held by pid $$, guard pid $guard\)/,
         'a second freeze fails, naming the holder and its guard');
    cmp_ok($took, '<', 2 + 1, 'at once (well under its TIMEOUT)');
}

# 5a. The lock file's first line names the holder, even over a longer
# line a former holder left there (the file is rewritten, never truncated).
{
    my $ino = (stat '/proc/self/ns/pid')[1];
    my ($lock) = grep { -e } map { "$_/sys-freezethaw-pidns-$ino.lock" } qw(/run/lock /dev/shm /tmp);
    ok($lock, 'the lock file exists') or diag('none in /run/lock, /dev/shm, /tmp');
    if ($lock) {
        open my $fh, '+<', $lock or die "$lock: $!";
        print $fh "4" x 40, "\n";
        close $fh or die "$lock: $!";
        my $t = Sys::FreezeThaw::freeze();
        open $fh, '<', $lock or die "$lock: $!";
        my $first = <$fh>;
        close $fh;
        Sys::FreezeThaw::thaw($t);
        like($first, qr/^ *$$\n\z/, 'the lock file names the caller alone on its first line');
    }
}

# 5b. A freeze inside a freezethaw block fails the same way, at once (it
# waited 2 s for the lock, as for its caller's guard on its way out, the
# machine frozen meanwhile), and the outer window goes on.
{
    my $w = spawn_workload('busy');
    my ($inner_err, $inner_took, $still_frozen);
    Sys::FreezeThaw::freezethaw {
        my $t0 = time;
        $inner_err = eval { Sys::FreezeThaw::freeze(); 1 } ? '' : $@;
        $inner_took = time - $t0;
        $still_frozen = scalar halted_in($w);
    };
    like($inner_err, qr/^another freeze is in progress in this PID namespace \(held by pid $$, guard pid \d+\)/,
         'a nested freeze fails, naming this process as the holder');
    cmp_ok($inner_took, '<', 1, '... at once');
    ok($still_frozen, 'the outer window goes on');
    is_deeply([ halted_in($w) ], [], 'and ends at its thaw');
    kill_tree($w);
}

# 6. The freezer ignores job-control stops while frozen, and only then.
{
    local $SIG{TSTP} = 'DEFAULT';
    my $state;
    Sys::FreezeThaw::freezethaw {
        kill TSTP => $$;
        kill TTIN => $$;
        kill TTOU => $$;
        sleep 0.05;
        ($state) = map { $_->[2] } grep { $_->[0] == $$ && $_->[1] == $$ } thread_states();
    };
    like($state, qr/^[RS]$/, 'SIGTSTP, SIGTTIN and SIGTTOU to the freezer while frozen do not stop it');
    is($SIG{TSTP}, 'DEFAULT', 'the disposition of SIGTSTP is back after thaw');
}

# 7. A token thawed by another process than the one that froze (signals
# only: a SIGCONT does not end a ptrace stop; see METHODS in the POD).
if (FreezeThawTest::method() eq 'signal') {
    my ($pid, $r) = freezer(sub {
        my ($t, $w) = @_;
        syswrite $w, join(' ', map { join ',', @$_ } @$t) . "\n";
        sleep 60;
    });
    my ($guard) = read_line($r) =~ /^frozen (\d+)/;
    my $passes = read_line($r);
    my $plain = [ map { [ split /,/ ] } split ' ', $passes ];
    ok(scalar(stopped_now()) > 0, 'other process: frozen by the child');
    Sys::FreezeThaw::thaw($plain);
    is_deeply([ halted_in(map { @$_ } @$plain) ], [], 'a plain copy of the token, thawed here, continues everything');
    ok(kill(0, $guard), 'the freezer\'s guard still watches its caller');
    kill KILL => $pid;
    waitpid $pid, 0;
    ok(wait_until(sub { !kill 0, $guard }, $BOUND), 'when the freezer dies, its guard finds nothing left to do and goes');
    is_deeply([ stopped_now() ], [], 'nothing stopped');
}

kill_tree(@work);
done_testing;
