#!/usr/bin/perl
# bench/run.pl [--reps N] [--sizes 100,1000,10000] [--original DIR] [--only NAME]
#
# Times freeze and thaw of process trees built inside a private PID
# namespace (the test harness's), for both methods, beside reference runs
# on the same trees in the same run: an unordered kill(-1) freeze, the
# cgroup v1 freezer where the machine has one, and any other
# Sys::FreezeThaw given by path (--original DIR, the directory holding
# Sys/FreezeThaw.pm).  Every freeze is checked against /proc.  Prints
# medians and the ratios that are the result, the kernel's floor on each
# flat idle tree (bench/floor.c: each operation alone), then each of issue
# 6's targets this run measured, met or not and what it would be at the
# floor (the signal method's peak memory among them), the dead man's
# switch, the guard's cost, and the first freeze of a fresh process.  Run
# through `make bench`; BENCH_VERBOSE=1 prints each thread the check finds
# running.
use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest timeout => 3600;
use Getopt::Long;
use List::Util ();
use POSIX ();
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw;

my %opt = (reps => 7, sizes => '100,1000,10000');
GetOptions(\%opt, 'reps=i', 'sizes=s', 'original=s', 'only=s') or die "bad options\n";
my @sizes = split /,/, $opt{sizes};
$| = 1;

# --- the trees ---------------------------------------------------------------

# Each scenario: name, size, workload arguments, processes it makes.
sub scenarios {
    my @s;
    for my $n (@sizes) {
        push @s, [ "flat idle",  $n, [ 'tree', 1, $n - 1, 'idle' ], $n ];
    }
    push @s, [ 'flat busy',          1000, [ 'tree', 1, 999, 'busy' ], 1000 ];
    push @s, [ 'chain idle',         1000, [ 'tree', 999, 1, 'idle' ], 1000 ];
    push @s, [ 'tree idle (fanout 4)', 1365, [ 'tree', 5, 4, 'idle' ], 1365 ];
    push @s, [ 'flat 8-thread idle', 250, [ 'threadtree', 250, 8 ], 250 ];
    return grep { !$opt{only} || $_->[0] =~ /\Q$opt{only}\E/ } @s;
}

sub start_tree {
    my ($args, $count) = @_;
    if ($args->[0] eq 'threadtree') {
        my @pids = map { spawn_workload('threads', $args->[2], 'idle') } 1 .. $args->[1];
        return @pids;
    }
    return spawn_workload({ ready => $count }, @$args);
}

# --- the oracle ----------------------------------------------------------------

sub all_halted {
    my $running = first_running(@_);
    warn "# running after a freeze: $running\n" if $running && $ENV{BENCH_VERBOSE};
    return !$running;
}

# all_halted, run by a child while the caller sleeps in waitpid: reading
# every thread's stat in Perl takes 20-30 ms of CPU, and a caller that has
# just used that much while the others were stopped waits up to a second
# for its turn among 1000 busy processes after the thaw (measured: 0.8-1 s
# against 30 ms).  The other module is timed without a check in its window.
sub halted_seen_by_child {
    my @skip = ($$, @_);
    my $pid = fork // die "fork: $!";
    POSIX::_exit(all_halted(@skip) ? 0 : 1) if !$pid;
    waitpid $pid, 0;
    return $? == 0;
}

# Between two repetitions.  With $idle, also until the machine is idle
# (wait_idle, at most 2 s): without it, the next freeze after a thaw of
# 10000 processes stopped a contended machine, not an idle one (at
# SCHED_FIFO, which kept them runnable: 250-390 ms against 180-290).
sub settle {
    my ($idle) = @_;
    sleep 0.02;
    wait_idle(2) if $idle;
}

sub median { my @s = sort { $a <=> $b } @_; return @s ? $s[$#s / 2] : undef }

# --- the contenders ------------------------------------------------------------

# A field of /proc/PID/status, in kB.
sub status_kb {
    my ($pid, $field) = @_;
    open my $fh, '<', "/proc/$pid/status" or return undef;
    while (<$fh>) { return $1 if /^\Q$field\E:\s+(\d+) kB/ }
    return undef;
}

# The memory a signal freeze took at its peak, in kB: the caller's peak
# resident size less its size before (writing 5 to clear_refs resets the
# peak to the present size).  A ptrace freeze works in the guard, another
# process: not measured.
sub ours {
    my ($method) = @_;
    return sub {
        my $reset = open(my $cr, '>', '/proc/self/clear_refs');
        $reset &&= print($cr "5") && close($cr);
        my $rss0 = status_kb('self', 'VmRSS');
        my $t0 = time;
        my $t = Sys::FreezeThaw::freeze({ method => $method, timeout => 60 });
        my $t1 = time;
        my $report = Sys::FreezeThaw::last_freeze();
        my $guard = $report->{guard_pid};
        my $peak = $method eq 'signal' ? status_kb('self', 'VmHWM') : undef;
        my $ok = halted_seen_by_child($guard);
        my $t2 = time;
        Sys::FreezeThaw::thaw($t);
        my $mem = $reset && defined $rss0 && defined $peak ? $peak - $rss0 : undef;
        return ($t1 - $t0, time - $t2, $ok, $mem, $report->{realtime});
    };
}

# kill(-1, SIGSTOP) reaches every process but pid 1 and the caller, in no
# order; the time counts until /proc shows every thread stopped.
sub kill_all {
    my $t0 = time;
    kill STOP => -1;
    sleep 0.0002 until all_halted();
    my $t1 = time;
    my $ok = all_halted();
    my $t2 = time;
    kill CONT => -1;
    return ($t1 - $t0, time - $t2, $ok);
}

# The cgroup v1 freezer, on a cgroup holding every process but pid 1 and us.
my $cg_root = (grep { -e "$_/freezer.state" || -d $_ } '/sys/fs/cgroup/freezer')[0];
my $cg;
sub cgroup_setup {
    return unless $cg_root && -w $cg_root;
    $cg = "$cg_root/sys-freezethaw-bench-$$";
    mkdir $cg or return undef $cg;
    return $cg;
}
sub cgroup_fill {
    return unless $cg;
    for my $p (map { m{/proc/(\d+)/stat} ? $1 : () } glob '/proc/[0-9]*/stat') {
        next if $p == 1 || $p == $$;
        open my $fh, '>', "$cg/cgroup.procs" or next;
        print $fh $p;
        close $fh;
    }
}
sub cgroup_freeze {
    my $set = sub { open my $fh, '>', "$cg/freezer.state" or die; print $fh $_[0]; close $fh };
    my $state = sub { open my $fh, '<', "$cg/freezer.state" or return ''; local $/; return <$fh> // '' };
    my $t0 = time;
    $set->('FROZEN');
    sleep 0.0002 until $state->() =~ /^FROZEN/;
    my $t1 = time;
    my $t2 = time;
    $set->('THAWED');
    sleep 0.0002 until $state->() =~ /^THAWED/;
    return ($t1 - $t0, time - $t2, 1);
}
END { local $?; if ($cg) { kill_others(); rmdir $cg } }

# A freeze and thaw by a Sys::FreezeThaw loaded with @inc (perl's -I or
# -Mblib), in a process of its own (one package per interpreter), which
# freezes everything but itself and pid 1, this driver included: the
# driver only waits for its answer.  With $method, that method; without,
# freeze() with no options, as the original takes it (called with & past
# the prototypes, which differ).  Each is the first freeze of its process.
sub fresh_process {
    my ($inc, $method) = @_;
    my $code = <<'CODE';
use Sys::FreezeThaw; use Time::HiRes qw(time);
my $t0 = time; my $t = &Sys::FreezeThaw::freeze(@ARGV ? { method => $ARGV[0] } : ());
my $t1 = time; Sys::FreezeThaw::thaw($t); my $t2 = time;
print $t1 - $t0, " ", $t2 - $t1, "\n";
CODE
    return sub {
        my $out = `$^X $inc -e '$code' @{[ $method // '' ]} 2>&1`;
        my ($f, $th) = $out =~ /^([\d.e-]+) ([\d.e-]+)$/m or return (undef, undef, 0);
        return ($f, $th, 1);
    };
}

# Another Sys::FreezeThaw (the directory holding Sys/FreezeThaw.pm).
sub other_module { return fresh_process("-I$_[0]") }

# --- the kernel's floor ----------------------------------------------------------

# bench/floor.c times each operation a freeze or a thaw cannot do without,
# alone, over the processes of a flat idle tree: microseconds per process.
sub floor_costs {
    my @pids = @_;
    my $bin = built('bench/floor.c', 't/bin/floor');
    my $out = `$bin $opt{reps} @pids`;
    my %us = $out =~ /^(\w+) ([\d.]+)$/mg;
    return $? == 0 && keys %us == 16 ? \%us : undef;
}

# The least time, in seconds for N processes, each method could take from
# those costs: a signal freeze looks at each process (its state, and its
# parent for the order), opens a pidfd to signal it safely, stops it and
# looks again to confirm; its thaw sends SIGCONT through the pidfd and
# closes it.  A ptrace freeze seizes, interrupts and collects each, and
# reads it once for its parent (the token's order), from one thread per CPU
# (the reads there; for the stops, whichever of one thread or one per CPU
# is faster); its thaw detaches, the same way.  Each is the lesser of one
# thread doing it all and one thread per CPU: there the reads and the
# signals are measured from every thread at once, and what was measured
# from one thread only (pidfd_open, the pread, the close) is taken as
# divided among them, which makes those floors estimates.  The SIGSTOPs
# are timed at SCHED_FIFO, their targets left to stop after the clock
# stops: each target's own run into its stop, which a freezer must wait
# for, is not in the signal freeze's floor.
sub floors {
    my ($us, $n) = @_;
    my $per = sub { my $sum = 0; $sum += $_ for @_; return $sum * $n / 1e6 };
    my $k = $us->{threads} || 1;
    my $stop = List::Util::min(@$us{qw(ptrace_stop par_ptrace_stop)});
    return {
        signal_freeze => List::Util::min(
            $per->(@$us{qw(stat_open_read pidfd_open sigstop stat_pread)}),
            $per->(@$us{qw(par_stat_open_read par_sigstop)}, ($us->{pidfd_open} + $us->{stat_pread}) / $k)),
        ptrace_freeze => ($stop + $us->{par_stat_open_read}) * $n / 1e6,
        ptrace_bare   => $stop * $n / 1e6,
        signal_thaw   => List::Util::min($per->(@$us{qw(sigcont_pidfd pidfd_close)}),
                                         $per->($us->{par_sigcont}, $us->{pidfd_close} / $k)),
        ptrace_thaw   => List::Util::min(@$us{qw(ptrace_detach par_ptrace_detach)}) * $n / 1e6,
        # A chain of n: the first look may be spread, but each level's
        # stop waits for its parent's confirmed one, from one thread.
        chain_freeze  => $per->(List::Util::min(@$us{qw(stat_open_read par_stat_open_read)}),
                                @$us{qw(pidfd_open sigstop stat_pread)}),
    };
}

# --- the run -------------------------------------------------------------------

my @contenders = (
    [ 'signal', ours('signal') ],
    [ 'ptrace', ours('ptrace') ],
    [ 'kill(-1)', \&kill_all ],
);
push @contenders, [ 'cgroup v1', \&cgroup_freeze ] if cgroup_setup();
push @contenders, [ 'original', other_module($opt{original}) ] if $opt{original};

printf "# %s, %d cores, kernel %s, perl %s, %d repetitions, medians in ms\n",
    (POSIX::uname())[1], scalar(() = glob '/sys/devices/system/cpu/cpu[0-9]*'), (POSIX::uname())[2], $^V, $opt{reps};
my @names = map { $_->[0] } @contenders;
printf "%-24s %6s | %s\n", 'scenario', 'procs', join ' | ', map { sprintf '%-19s', "$_ freeze/thaw" } @names;

my %results;
my %realtime;   # "scenario size method" -> freezes of ours at SCHED_FIFO
my %floor_us;   # size -> floor_costs(), for the flat idle trees
my $incomplete = 0;   # freezes of ours that returned with a thread running
for my $sc (scenarios()) {
    my ($name, $size, $args, $count) = @$sc;
    my @roots = start_tree($args, $count);
    cgroup_fill() if $cg;
    my @cells;
    for my $c (@contenders) {
        my (@f, @t, @m, $bad);
        for (1 .. $opt{reps}) {
            my ($f, $t, $ok, $mem, $rt) = $c->[1]->();
            $realtime{"$name $size $c->[0]"}++ if $rt;
            $bad++ unless $ok;
            $incomplete++ if !$ok && $c->[0] =~ /^(?:signal|ptrace)\z/;
            push @f, $f if defined $f;
            push @t, $t if defined $t;
            push @m, $mem if defined $mem;
            settle($name =~ /idle/);
        }
        my ($mf, $mt) = (median(@f), median(@t));
        $results{$name}{$size}{ $c->[0] } = [ $mf, $mt, median(@m) ];
        push @cells, sprintf '%8s / %-8s%s', defined $mf ? sprintf('%.2f', 1000 * $mf) : '-',
                               defined $mt ? sprintf('%.2f', 1000 * $mt) : '-', $bad ? '!' : ' ';
    }
    printf "%-24s %6d | %s\n", $name, $count, join ' | ', @cells;
    if ($name eq 'flat idle' and my $us = floor_costs(descendants(@roots))) {
        $floor_us{$size} = $us;
    }
    kill_others();
    # 10000 processes take a second to exit: the next scenario must not
    # freeze (and be timed against) what is still dying.
    my $until = time + 20;
    sleep 0.05 while time < $until && grep { $_ != 1 && $_ != $$ } map { m{/proc/(\d+)/stat} ? $1 : () } glob '/proc/[0-9]*/stat';
    sleep 0.2;
}
print "# '!': a freeze that returned while /proc still showed a thread running\n";
# A freeze that found the CPUs contended as it began runs at SCHED_FIFO
# (last_freeze's realtime): on an idle tree that is noise in the run.
print "# freezes at SCHED_FIFO, the CPUs contended as they began: ",
    join(', ', map { "$_ $realtime{$_}/$opt{reps}" } sort keys %realtime), "\n" if %realtime;

# Ratios: the result.
sub ratio { my ($a, $b) = @_; return defined $a && defined $b && $b > 0 ? sprintf('%.1fx', $a / $b) : '-' }
print "\n# ratios (median time of the reference / ours; above 1 means ours is faster)\n";
for my $name (sort keys %results) {
    for my $size (sort { $a <=> $b } keys %{ $results{$name} }) {
        my $r = $results{$name}{$size};
        my @parts;
        for my $ref (grep { $_ ne 'signal' && $_ ne 'ptrace' } @names) {
            next unless $r->{$ref};
            push @parts, sprintf '%s: freeze %s (signal) %s (ptrace), thaw %s / %s', $ref,
                ratio($r->{$ref}[0], $r->{signal}[0]), ratio($r->{$ref}[0], $r->{ptrace}[0]),
                ratio($r->{$ref}[1], $r->{signal}[1]), ratio($r->{$ref}[1], $r->{ptrace}[1]);
        }
        printf "%-24s %6d  %s\n", $name, $size, join('; ', @parts);
    }
}

# A median of this run: scenario, size, contender, 0 (freeze), 1 (thaw) or
# 2 (memory); undef when not measured.
sub result {
    my ($name, $size, $who, $k) = @_;
    my $v = $results{$name}{$size}{$who};
    return $v ? $v->[$k] : undef;
}

# The floor: each operation alone, and the least each method could take.
for my $size (sort { $a <=> $b } keys %floor_us) {
    my ($us, $fl) = ($floor_us{$size}, floors($floor_us{$size}, $size));
    my $ours = sub {
        my $v = result('flat idle', $size, @_);
        return defined $v ? sprintf('%.2f', 1000 * $v) : '-';
    };
    printf "\n# the kernel's floor, flat idle %d (bench/floor.c: each operation alone, %s, us per process;\n"
         . "# measured after the others on the same tree: noise between the two can put ours under it)\n", $size,
        $us->{fifo} ? 'at SCHED_FIFO 1 as ours' : 'at normal priority: no SCHED_FIFO here';
    printf "#   open+read of /proc/PID/stat %.2f, pread of a kept one %.2f, SIGSTOP %.2f, SIGCONT %.2f,\n"
         . "#   pidfd_open %.2f, SIGCONT through it %.2f, its close %.2f, ptrace seize+interrupt+wait %.2f, detach %.2f;\n"
         . "#   from %d threads at once (wall time): open+read %.2f, seize+interrupt+wait %.2f, detach %.2f,\n"
         . "#   SIGSTOP %.2f, SIGCONT %.2f\n",
        @$us{qw(stat_open_read stat_pread sigstop sigcont pidfd_open sigcont_pidfd pidfd_close ptrace_stop ptrace_detach
                threads par_stat_open_read par_ptrace_stop par_ptrace_detach par_sigstop par_sigcont)};
    printf "#   least a signal freeze can take (a look, a pidfd, the stop, a look to confirm; from one thread\n"
         . "#   or spread over all; not counting the targets' own way into their stop): %.2f ms (ours %s)\n",
        1000 * $fl->{signal_freeze}, $ours->('signal', 0);
    printf "#   least a ptrace freeze can take: %.2f ms with one look each for the order, %.2f with none (ours %s)\n",
        1000 * $fl->{ptrace_freeze}, 1000 * $fl->{ptrace_bare}, $ours->('ptrace', 0);
    printf "#   least a thaw can take: %.2f ms with signals and pidfds, from one thread or spread (ours %s),\n"
         . "#   %.2f with ptrace (ours %s)\n",
        1000 * $fl->{signal_thaw}, $ours->('signal', 1), 1000 * $fl->{ptrace_thaw}, $ours->('ptrace', 1);
    my $chain = result('chain idle', $size, 'signal', 0);
    printf "#   least a signal freeze of a chain of as many can take (the first look spread, then level after\n"
         . "#   level from one thread: a pidfd, the stop, a look to confirm): %.2f ms (ours %.2f)\n",
        1000 * $fl->{chain_freeze}, 1000 * $chain
        if defined $chain;
}

# Issue 6's targets, where this run measured what they need: each with the
# value measured, whether it is met, and for the idle ones the value the
# floor alone would give (a target the floor misses cannot be met here).
{
    my @lines;
    my $target = sub {
        my ($what, $value, $fmt, $ok, $at_floor) = @_;
        push @lines, sprintf "#   %-66s %-7s %-7s%s", $what, sprintf($fmt, $value), $ok ? 'met' : 'NOT MET',
            defined $at_floor ? sprintf(" (at the floor: $fmt)", $at_floor) : '';
    };
    my $fl = $floor_us{1000} && floors($floor_us{1000}, 1000);
    my $get = \&result;
    my %m = (idle => ['flat idle', 1000], chain => ['chain idle', 1000], busy => ['flat busy', 1000]);
    for my $k (0, 1) {
        my $word = $k ? 'thaw' : 'freeze';
        my $orig = $get->(@{ $m{idle} }, 'original', $k);
        for my $meth (qw(signal ptrace)) {
            next if !$k && $meth eq 'ptrace';
            my $ours = $get->(@{ $m{idle} }, $meth, $k) or next;
            my $need = $k ? 10 : 6;
            my $least = $fl && $fl->{"${meth}_$word"};
            $target->("idle 1000, $word with $meth: times faster than the original (>= $need)",
                      $orig / $ours, '%.1fx', $orig / $ours >= $need, $least && $orig / $least) if $orig;
        }
    }
    if (my $cg = $get->(@{ $m{idle} }, 'cgroup v1', 0) and my $pt = $get->(@{ $m{idle} }, 'ptrace', 0)) {
        $target->('idle 1000, ptrace freeze: times the cgroup freezer (<= 3)', $pt / $cg, '%.1fx', $pt / $cg <= 3,
                  $fl && $fl->{ptrace_freeze} / $cg);
    }
    if (my $orig = $get->(@{ $m{chain} }, 'original', 0) and my $s = $get->(@{ $m{chain} }, 'signal', 0)) {
        $target->('chain 1000, signal freeze: times faster than the original (>= 20)', $orig / $s, '%.1fx', $orig / $s >= 20,
                  $fl && $orig / $fl->{chain_freeze});
    }
    if (my $orig = $get->(@{ $m{busy} }, 'original', 0) and my $s = $get->(@{ $m{busy} }, 'signal', 0)) {
        $target->('busy 1000, signal freeze: times faster than the original (>= 20)', $orig / $s, '%.0fx', $orig / $s >= 20);
    }
    if (defined(my $t = $get->(@{ $m{busy} }, 'signal', 1))) {
        $target->('busy 1000, signal thaw: ms (< 100)', 1000 * $t, '%.1f', $t < 0.1);
    }
    if (defined(my $f = $get->(@{ $m{busy} }, 'ptrace', 0))) {
        $target->('busy 1000, ptrace freeze: ms (< 200)', 1000 * $f, '%.1f', $f < 0.2);
    }
    for my $meth (qw(signal ptrace)) {
        my ($at1k, $at10k) = map { $get->('flat idle', $_, $meth, 0) } 1000, 10000;
        next unless $at1k && $at10k;
        my $lin = ($at10k / 10000) / ($at1k / 1000);
        $target->("10000 idle, $meth: time per process / at 1000 (<= 1.3)", $lin, '%.2f', $lin <= 1.3);
        my ($m1k, $m10k) = map { $get->('flat idle', $_, $meth, 2) } 1000, 10000;
        next unless $m1k && $m10k && $m1k > 0;
        $lin = ($m10k / 10000) / ($m1k / 1000);
        $target->("10000 idle, $meth: peak memory per process / at 1000 (<= 1.3)", $lin,
                  "%.2f ($m1k -> $m10k kB)", $lin <= 1.3);
    }
    print "# issue 6's targets, as measured in this run:\n", map { "$_\n" } @lines if @lines;
}

sub stopped_stat {
    open my $f, '<', $_[0] or return 0;   # gone meanwhile
    my $s = do { local $/; <$f> } // '';
    return $s =~ /\) T /;
}

# The dead man's switch: a freezer killed inside the window; how long until
# everything runs again.
{
    my @roots = start_tree([ 'tree', 1, 99, 'idle' ], 100);
    my @d;
    for (1 .. $opt{reps}) {
        pipe my $r, my $w or die;
        my $pid = fork // die;
        if (!$pid) {
            close $r;
            my $t = Sys::FreezeThaw::freeze({ exclude => [getppid()] });
            syswrite $w, 'x';
            sleep 60;
            POSIX::_exit(0);
        }
        close $w;
        sysread $r, my $buf, 1;
        my $t0 = time;
        kill KILL => $pid;
        waitpid $pid, 0;
        sleep 0.0002 until !grep { stopped_stat($_) } glob '/proc/[0-9]*/stat';
        push @d, time - $t0;
    }
    my ($max) = sort { $b <=> $a } @d;
    printf "# dead man's switch: everything runs again %.2f ms (median; longest %.2f) after SIGKILL of the freezer, 100 processes\n",
        1000 * median(@d), 1000 * $max;
    kill_others();
}

# What the guard costs: freeze() as the caller sees it, less the freeze
# itself (starting the guard, taking the lock, the glue), on 10 processes.
# It comes before the first stop: outside the frozen window.
{
    my @roots = start_tree([ 'tree', 1, 9, 'idle' ], 10);
    my (@outside, @inside);
    for (1 .. 5 * $opt{reps}) {
        my $t0 = time;
        my $t = Sys::FreezeThaw::freeze();
        push @outside, time - $t0;
        push @inside, Sys::FreezeThaw::last_freeze()->{seconds};
        Sys::FreezeThaw::thaw($t);
        sleep 0.01;
    }
    printf "# the guard and the glue: %.2f ms per freeze (median), before the first stop\n",
        1000 * (median(@outside) - median(@inside));
    kill_others();
}

# The first freeze of a fresh process, as a one-shot user (or the
# freezethaw command) makes it: medians over fresh processes, each
# freezing everything but itself and pid 1 once, as the original is run
# above.  A cost paid once per process (the descriptor table grown while
# threads run cost 20-45 ms here) shows only here.
{
    my ($size) = grep { $_ == 1000 } @sizes;
    ($size) = sort { $a <=> $b } @sizes unless $size;
    my @roots = start_tree([ 'tree', 1, $size - 1, 'idle' ], $size);
    my %first;
    my @who = ([ signal => fresh_process('-Mblib', 'signal') ], [ ptrace => fresh_process('-Mblib', 'ptrace') ]);
    push @who, [ original => other_module($opt{original}) ] if $opt{original};
    for my $w (@who) {
        my (@f, @t);
        for (1 .. $opt{reps}) {
            my ($f, $t) = $w->[1]->();
            push @f, $f if defined $f;
            push @t, $t if defined $t;
            settle(1);
        }
        $first{ $w->[0] } = [ median(@f), median(@t) ] if @f && @t;
    }
    my @parts = map { sprintf '%s %.2f / %.2f', $_, 1000 * $first{$_}[0], 1000 * $first{$_}[1] }
                grep { $first{$_} } map { $_->[0] } @who;
    printf "# first freeze of a fresh process, flat idle %d (freeze / thaw ms, medians): %s\n", $size, join '; ', @parts;
    if ($first{original} && $first{signal}) {
        printf "#   times faster than the original: signal freeze %s, thaw %s; ptrace freeze %s, thaw %s\n",
            ratio($first{original}[0], $first{signal}[0]), ratio($first{original}[1], $first{signal}[1]),
            map { $first{ptrace} ? ratio($first{original}[$_], $first{ptrace}[$_]) : '-' } 0, 1;
    }
    kill_others();
}

# A smoke run (CI) checks no timing, but a freeze of ours that returned
# while a thread ran is a failure.
if ($incomplete) {
    print "# FAILED: $incomplete freezes of ours returned while /proc showed a thread running\n";
    exit 1;
}
