#!/usr/bin/perl
# xt/stress.pl [CYCLES] [signal|ptrace] - by hand, after make (not run by
# make test or release-test: a few minutes per thousand cycles).
#
# Freezes and thaws, CYCLES times (default 1000), a mix of processes that
# race the freeze: processes of 3 threads, idle ones, a thread creator
# (threadloop), a fork loop, a thread burst, a fork chain (each member
# forks the next and exits) and a busy one.  After each freeze every
# thread is read from /proc (the kernel as oracle), and every pid of the
# token must name a process stopped, once; it prints each cycle that
# failed, left a thread running or gave such a token, and a summary, and
# exits 1 if any did.  Like the tests, it runs in a private PID namespace
# of its own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use FreezeThawTest timeout => 3600;
use Sys::FreezeThaw;

my ($cycles, $method) = ($ARGV[0] // 1000, $ARGV[1] // 'signal');
$cycles =~ /\A[1-9]\d*\z/ && $method =~ /\A(?:signal|ptrace)\z/
    or die "usage: $0 [CYCLES] [signal|ptrace]\n";

spawn_workload('threads', 3, 'idle') for 1 .. 30;
spawn_workload('idle') for 1 .. 20;
spawn_workload($_) for qw(threadloop forkloop threadburst forkchain busy);

my ($failed, $running, $astray) = (0, 0, 0);
for my $c (1 .. $cycles) {
    my $t = eval { Sys::FreezeThaw::freeze({ method => $method }) };
    if (!$t) {
        $failed++;
        print "cycle $c: the freeze failed: $@";
        next;
    }
    my $report = Sys::FreezeThaw::last_freeze();
    my $left = first_running($report->{guard_pid});
    my @strays = token_strays($t, $report);
    Sys::FreezeThaw::thaw($t);
    if ($left) {
        $running++;
        print "cycle $c: running after the freeze: $left\n";
    }
    if (@strays) {
        $astray++;
        print "cycle $c: the token names what is not stopped: @strays\n";
    }
    printf "cycle %d: %d processes, %d threads, %d passes, %.2f ms\n", $c, $report->{processes},
        $report->{threads}, $report->{passes}, $report->{seconds} * 1e3
        if $c % 100 == 1;
}
print "$method: $cycles freezes, $failed failed, $running with a thread running, $astray with a token naming",
    " a process not stopped\n";
kill_others();
exit($failed || $running || $astray ? 1 : 0);
