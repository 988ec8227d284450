package FreezeThawTest;

# The namespace harness.  A test file that says
#
#     use lib 't/lib';
#     use FreezeThawTest;            # or: use FreezeThawTest timeout => 300;
#
# is re-executed, before any of its tests run, inside a private PID namespace
# with its own /proc, as the child of a pid 1 that reaps (t/lib/pid1.pl),
# under a hard timeout.  A freeze there reaches nothing outside.  Where no
# namespace can be made the file is skipped with the reason, except under
# CI=true, where that is a failure.  Inside, the harness checks that the
# namespace is the one it made, and bails out otherwise: it never lets a
# test freeze anywhere else.

use strict;
use warnings;

use Config;
use Exporter ();
use Fcntl qw(:flock);
use POSIX ();
use Test::More ();

our @ISA = ('Exporter');
our @EXPORT = qw(
    freeze_when_free
    workload built spawn_workload ready_info kill_tree kill_others descendants thread_states
    not_halted first_running halted_in frozen_ok thawed_ok stopped_by_hand wait_until
    not_normal frozen_child snapshot runnable_threads cpus_online wait_idle status_field
    token_strays
);

my $NONCE_VAR = 'FREEZETHAW_TEST_NS';
my $OUTER_VAR = 'FREEZETHAW_TEST_OUTER_NS';

sub import {
    my ($class, %opt) = @_;
    if (!exists $ENV{$NONCE_VAR}) {
        _enter_namespace($opt{timeout} // 180);   # does not return
    }
    if (!inside_own_namespace()) {
        print "Bail out! refusing to freeze: this is not the private PID namespace "
            . "the test harness made (see t/lib/FreezeThawTest.pm)\n";
        exit 255;
    }
    # FREEZETHAW_TEST_METHOD=ptrace runs a file with the ptrace method.
    if (my $m = $ENV{FREEZETHAW_TEST_METHOD}) {
        require Sys::FreezeThaw;
        $Sys::FreezeThaw::METHOD = $m;
    }
    $class->export_to_level(1, $class, @EXPORT);
}

# The method the file runs with.
sub method { return $ENV{FREEZETHAW_TEST_METHOD} || 'signal' }

# True only in a PID namespace that _enter_namespace made for this test:
# its /proc shows this namespace (/proc/self is our in-namespace pid), the
# namespace differs from the one the test started in, and pid 1 carries the
# nonce the harness gave it.
sub inside_own_namespace {
    my $nonce = $ENV{$NONCE_VAR};
    my $outer = $ENV{$OUTER_VAR};
    return 0 unless defined $nonce && length $nonce && defined $outer && length $outer;
    my $self = readlink '/proc/self';
    return 0 unless defined $self && $self eq $$;
    my $ns = readlink '/proc/self/ns/pid';
    return 0 unless defined $ns && $ns ne $outer;
    open my $fh, '<', '/proc/1/cmdline' or return 0;
    my $cmdline = do { local $/; <$fh> } // '';
    return index("\0$cmdline", "\0$nonce\0") >= 0 ? 1 : 0;
}

# The unshare flags that work here, or () if none do.
sub namespace_flags {
    return () if $ENV{FREEZETHAW_TEST_NO_NAMESPACE};
    my @flags = qw(--pid --fork --kill-child --mount-proc);
    unshift @flags, qw(--user --map-root-user) if $> != 0;
    my $pid = fork;
    return () unless defined $pid;
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { no warnings 'exec'; exec 'timeout', '-k', '2', '10', 'unshare', @flags, '--', 'true'; }
        POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $? == 0 ? @flags : ();
}

sub _enter_namespace {
    my ($seconds) = @_;
    my @flags = namespace_flags();
    if (!@flags) {
        my $why = 'cannot create a private PID namespace here ('
            . ($> ? 'unprivileged: needs user namespaces' : 'unshare --pid failed') . ')';
        if (($ENV{CI} // '') eq 'true') {
            print "1..1\nnot ok 1 - $why; under CI=true this fails instead of skipping\n";
            exit 1;
        }
        print "1..0 # SKIP $why\n";
        exit 0;
    }
    my $nonce = sprintf 'ftns-%d-%d-%08x', $$, time, int rand 0xffffffff;
    $ENV{$NONCE_VAR} = $nonce;
    $ENV{$OUTER_VAR} = readlink('/proc/self/ns/pid') // 'unknown';
    $ENV{PERL5LIB} = join ':', grep { !ref } @INC;
    { no warnings 'exec';
      exec 'timeout', '-k', '5', $seconds, 'unshare', @flags, '--',
           $^X, 't/lib/pid1.pl', $nonce, '--', $^X, $0, @ARGV; }
    print "1..1\nnot ok 1 - cannot run timeout/unshare: $!\n";
    exit 1;
}

# --- workloads -----------------------------------------------------------

# Path of the workload program, compiled on first use.
sub workload { return built('t/workload/workload.c', 't/bin/workload') }

# Path of BIN, compiled from the C file SRC when older than it (once per
# test run: parallel test files share it under a lock).
sub built {
    my ($src, $bin) = @_;
    mkdir 't/bin';
    open my $lock, '>', 't/bin/.lock' or die "t/bin/.lock: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    if (!-x $bin || -M $bin > -M $src) {
        my $tmp = "$bin.$$.tmp";
        system($Config{cc}, '-O1', '-pthread', '-o', $tmp, $src) == 0
            or die "cannot compile $src with $Config{cc}\n";
        rename $tmp, $bin or die "rename $tmp: $!";
    }
    close $lock;
    return $bin;
}

my %ready_info;

# The words each process of a workload wrote after "ready", in order.
sub ready_info { return @{ $ready_info{ $_[0] } // [] } }

# Starts the workload program with ARGS and waits until it reported ready
# (once per process: pass { ready => N } first for trees).  Returns its pid.
sub spawn_workload {
    my $opt = ref $_[0] eq 'HASH' ? shift : {};
    my $want = $opt->{ready} // 1;
    my $bin = workload();
    pipe my $r, my $w or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        open STDOUT, '>&', $w or POSIX::_exit(111);
        exec { $bin } $bin, @_ or POSIX::_exit(111);
    }
    close $w;
    my ($buf, $got) = ('', 0);
    my $deadline = time + 20;
    while ($got < $want && time < $deadline) {
        my $rin = '';
        vec($rin, fileno $r, 1) = 1;
        next unless select $rin, undef, undef, 1;
        my $n = sysread $r, $buf, 4096, length $buf;
        last unless $n;
        $got = () = $buf =~ /^ready\b.*\n/mg;
    }
    close $r;
    die "workload @_: only $got of $want processes became ready\n" if $got < $want;
    $ready_info{$pid} = [ $buf =~ /^ready (\S+)/mg ];
    return $pid;
}

# Kills a process and all its descendants with SIGKILL and reaps the ones
# that are our children.
sub kill_tree {
    my @roots = @_;
    kill KILL => descendants(@roots);
    waitpid $_, 0 for @roots;
}

# The given pids and every process below them, as /proc shows them now.
sub descendants {
    my @roots = @_;
    my %ppid;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = _slurp($stat) // next;
        $ppid{$1} = $2 if $s =~ /\A(\d+) .*\) \S (\d+)/s;
    }
    my %below = map { $_ => 1 } @roots;
    my $grew = 1;
    while ($grew) {
        $grew = 0;
        for my $p (keys %ppid) {
            next if $below{$p} || !$below{ $ppid{$p} };
            $below{$p} = $grew = 1;
        }
    }
    return keys %below;
}

# Kills every process of the namespace but pid 1 and this one (and reaps
# our children): for workloads whose pids are not known, like a fork chain.
sub kill_others {
    # kill(-1) reaches every process of this namespace but pid 1 and this
    # one in one pass, which a fork storm cannot outrun (a chain whose
    # member forks and exits between a listing and its kill survived kills
    # by pid, and forked on through later tests' measurements).
    kill KILL => -1;
    for (1 .. 3) {
        my @pids = grep { $_ != 1 && $_ != $$ } map { m{/proc/(\d+)/stat} ? $1 : () } glob '/proc/[0-9]*/stat';
        last unless @pids;
        kill KILL => @pids;
        select undef, undef, undef, 0.05;
        1 while waitpid(-1, POSIX::WNOHANG()) > 0;
    }
}

# --- reading the kernel's view ---------------------------------------------

sub _slurp {
    open my $fh, '<', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

# Fields of /proc/TID/status ("self" for the caller), all from one read:
# the first word of each key's value, undef where it or the file is missing.
# In scalar context, the first key's.
sub status_field {
    my ($tid, @keys) = @_;
    my $s = _slurp("/proc/$tid/status");
    my @v = map { defined $s && $s =~ /^\Q$_\E:\s+(\S+)/m ? $1 : undef } @keys;
    return wantarray ? @v : $v[0];
}

# Every thread on the (namespace's) machine: [pid, tid, state, comm, flags].
sub thread_states {
    return map { _thread_state($_) // () } glob '/proc/[0-9]*/task/[0-9]*/stat';
}

# One /proc/PID/task/TID/stat: (pid, tid, comm, [fields from the third,
# the state, on]), or nothing if the thread is gone.
sub _stat_fields {
    my ($stat) = @_;
    my ($pid, $tid) = $stat =~ m{^/proc/(\d+)/task/(\d+)/} or return;
    my $s = _slurp($stat) // return;
    my ($comm, $rest) = $s =~ /\A\d+ \((.*)\) (.*)\z/s or return;
    return ($pid, $tid, $comm, [ split ' ', $rest ]);
}

# [pid, tid, state, comm, flags] of one /proc/PID/task/TID/stat, or undef.
sub _thread_state {
    my ($pid, $tid, $comm, $f) = _stat_fields($_[0]) or return undef;
    return defined $f->[6] ? [ $pid, $tid, $f->[0], $comm, $f->[6] ] : undef;
}

# Every thread of the namespace, one line each: "pid/tid comm state cpu N
# policy N prio N cpus LIST wchan W utime T stime T" (times in clock
# ticks), for a test's diag when something hangs: which thread waits,
# where, on which CPU, at which priority, and which one spins.
sub snapshot {
    my @lines;
    for my $stat (glob '/proc/[0-9]*/task/[0-9]*/stat') {
        my ($pid, $tid, $comm, $f) = _stat_fields($stat) or next;
        my @f = @$f;    # $f[0] is field 3, the state
        my $wchan = _slurp("/proc/$pid/task/$tid/wchan") // '?';
        my $cpus = (_slurp("/proc/$pid/task/$tid/status") // '') =~ /^Cpus_allowed_list:\s*(\S+)/m ? $1 : '?';
        push @lines, sprintf "%d/%d %s %s cpu %s policy %s prio %s cpus %s wchan %s utime %s stime %s\n",
            $pid, $tid, $comm, $f[0], $f[36] // '?', $f[38] // '?', $f[37] // '?', $cpus, $wchan || '-',
            $f[11] // '?', $f[12] // '?';
    }
    return @lines;
}

# PF_EXITING: a thread past the point of no return in exit() runs no more
# user code, whatever its state letter says.
sub _exiting { return ($_[0][4] // 0) & 0x4 }

# The guard of the last freeze: a process that is never frozen.
sub _guard_pid {
    my $r = defined &Sys::FreezeThaw::last_freeze ? Sys::FreezeThaw::last_freeze() : undef;
    return $r && $r->{guard_pid} ? $r->{guard_pid} : ();
}

# Threads that still run, other than pid 1's, the caller's, the last
# freeze's guard's and those of the pids in @except: "pid/tid state comm".
sub not_halted {
    my %skip = map { $_ => 1 } 1, $$, _guard_pid(), @_;
    return map { _describe($_) } grep { !$skip{ $_->[0] } && _runs($_) } thread_states();
}

# The first thread not_halted would list, or nothing: it stops reading
# /proc there, for a caller that polls until everything has halted.
sub first_running {
    my %skip = map { $_ => 1 } 1, $$, _guard_pid(), @_;
    for my $stat (glob '/proc/[0-9]*/task/[0-9]*/stat') {
        my $t = _thread_state($stat) or next;
        return _describe($t) if !$skip{ $t->[0] } && _runs($t);
    }
    return;
}

# Right after a freeze, the pids of its token that do not name a process
# stopped now, or that it names twice: "PID gone", "PID running (state)",
# "PID twice".  Those the report lists as counted frozen or not stopped
# are let be.  A process that exited or was replaced before its stop has
# no place in the token the caller gets.
sub token_strays {
    my ($token, $report) = @_;
    my %let_be = map { $_->{pid} => 1 } map { @{ $report->{$_} || [] } } qw(counted_frozen not_stopped);
    my (%seen, @strays);
    for my $pid (map { @$_ } @$token) {
        push @strays, "$pid twice" if $seen{$pid}++;
        next if $let_be{$pid};
        my @threads = map { _thread_state($_) // () } glob "/proc/$pid/task/[0-9]*/stat";
        my @running = grep { _runs($_) } @threads;
        push @strays, !@threads ? "$pid gone" : @running ? "$pid running ($running[0][2])" : ();
    }
    return @strays;
}

sub _runs { return $_[0][2] !~ /\A[TtZXx]\z/ && !_exiting($_[0]) }
sub _describe { return "$_[0][0]/$_[0][1] $_[0][2] $_[0][3]" }

# Threads whose scheduling policy (field 41 of stat) is not SCHED_OTHER,
# other than pid 1's, those of the pids in @except and the dead: "pid/tid
# policy N" and, for a diag, the thread's state, flags (PF_EXITING: 0x4),
# parent and name.  A zombie keeps the policy it died with and never runs
# again: an earlier freeze's guard (SCHED_FIFO, double-forked) waits as
# one for pid 1 to reap it, which on a busy machine took long enough for
# the next freeze to see it (t/44 with two busy loops beside it: 1 run in
# 12 failed so).
sub not_normal {
    my %skip = map { $_ => 1 } 1, @_;
    my @odd;
    for my $stat (glob '/proc/[0-9]*/task/[0-9]*/stat') {
        next if $stat =~ m{^/proc/(\d+)/} && $skip{$1};
        my ($pid, $tid, $comm, $f) = _stat_fields($stat) or next;
        my $policy = $f->[38] // next;   # $f->[0] is field 3, the state
        next if $f->[0] =~ /\A[ZXx]\z/;
        push @odd, sprintf('%d/%d policy %d (%s, flags %#x, parent %d, %s)', $pid, $tid, $policy, $f->[0],
                           $f->[6], $f->[1], $comm) if $policy != 0;
    }
    return @odd;
}

# Threads of the given pids that are stopped.
sub halted_in {
    my %want = map { $_ => 1 } @_;
    return map { _describe($_) } grep { $want{ $_->[0] } && $_->[2] =~ /\A[Tt]\z/ } thread_states();
}

# Test: after a freeze, every thread but pid 1's, the caller's and @except's
# has stopped.
sub frozen_ok {
    my ($name, @except) = @_;
    my @running = not_halted(@except);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return Test::More::is_deeply(\@running, [], $name)
        || Test::More::diag("still running: @running");
}

# Test: after a thaw, no thread of a process of the token is stopped.
sub thawed_ok {
    my ($token, $name) = @_;
    my @stopped = halted_in(map { @$_ } @$token);
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return Test::More::is_deeply(\@stopped, [], $name)
        || Test::More::diag("still stopped: @stopped");
}

# Sys::FreezeThaw::freeze(OPTS), in a process other than the last one to
# freeze: the guard of that freeze holds the namespace's lock until it has
# exited, a moment after the thaw (or after it thawed for a freezer that
# was killed).  A freeze waits for it 0.1 s (2 s when its caller died),
# which a guard starved by a loaded machine may outlast ("another freeze is
# in progress").  Tries again for up to 5 seconds.
sub freeze_when_free {
    my ($opts) = @_;
    my $end = time + 5;
    while (1) {
        my $t = eval { Sys::FreezeThaw::freeze($opts) };
        return $t if $t;
        die $@ if $@ !~ /^another freeze is in progress/ || time > $end;
        select undef, undef, undef, 0.01;
    }
}

# Forks a child that freezes with the given options (this process
# excluded: it watches), then sleeps until killed.  Returns the child's pid
# once it has frozen: kill it to try the dead man's switch.
sub frozen_child {
    my (%opt) = @_;
    pipe my $r, my $w or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $t = freeze_when_free({ exclude => [getppid()], %opt });
        syswrite $w, 'x';
        sleep 60;
        POSIX::_exit(0);
    }
    close $w;
    sysread $r, my $buf, 1;
    return $pid;
}

# Stops pid with SIGSTOP and waits until the kernel shows it stopped.
sub stopped_by_hand {
    my ($pid) = @_;
    kill STOP => $pid;
    return wait_until(sub { (_slurp("/proc/$pid/stat") // '') =~ /\) T /s });
}

# Threads runnable on the machine now, the caller among them (the fourth
# field of /proc/loadavg: the whole machine's, a container's host's too),
# or undef.
sub runnable_threads {
    my ($n) = (_slurp('/proc/loadavg') // '') =~ m{ (\d+)/};
    return $n;
}

# CPUs online, as sysconf(_SC_NPROCESSORS_ONLN) counts them, or undef.
sub cpus_online {
    my $list = _slurp('/sys/devices/system/cpu/online') // return undef;
    my $n = 0;
    for (split /,/, $list) {
        my ($a, $b) = split /-/;
        $n += defined $b ? $b - $a + 1 : 1;
    }
    return $n || undef;
}

# Waits, at most SECONDS (default 2), until no more threads are runnable
# than there are CPUs, the caller aside: what the freezer counts as an idle
# machine (sft_load_now).  20 ms after a thaw of 10000 processes, 5000 to
# 8000 of them were still runnable on their way back to sleep.  Returns
# whether it is idle.
sub wait_idle {
    my ($seconds) = @_;
    my $cpus = cpus_online() || 1;
    return wait_until(sub { my $n = runnable_threads(); !defined $n || $n - 1 < $cpus }, $seconds // 2);
}

# Polls COND every 10 ms for up to SECONDS (default 10); returns its last value.
sub wait_until {
    my ($cond, $seconds) = @_;
    my $end = time + ($seconds // 10);
    my $v;
    until (($v = $cond->()) || time > $end) {
        select undef, undef, undef, 0.01;
    }
    return $v;
}

1;
