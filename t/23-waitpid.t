use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use File::Temp qw(tempdir);
use Sys::FreezeThaw;

# Parents blocked in waitpid(WUNTRACED) must never be told that their
# child stopped: freeze stops parents first, thaw continues children first.
# Each waiter appends "stopped" to its log when it is told.

my $CYCLES = 100;
my $dir = tempdir(CLEANUP => 1);
my %log;
my @waiters;
for my $how (qw(idle busy idle busy)) {
    my $log = "$dir/waiter" . (1 + @waiters) . ".log";
    push @waiters, spawn_workload('waiter', $log, $how);
    $log{ $waiters[-1] } = $log;
}

for my $cycle (1 .. $CYCLES) {
    my $t = Sys::FreezeThaw::freeze;
    Sys::FreezeThaw::thaw($t);
}
# Give a late report the time to arrive.
select undef, undef, undef, 0.2;

for my $w (@waiters) {
    ok(!-e $log{$w}, "waiter $w never saw its child stop in $CYCLES cycles")
        or diag(-s $log{$w} / 8 . ' stop reports');
}

# Enough waiters that each pass is continued from a thread per CPU (at
# least SFT_SPREAD_MIN_SIGNALS, 64, in one pass: src/sft_spread.h): a pass
# must be wholly continued before the one of its parents begins.
{
    my @many = map { spawn_workload('waiter', "$dir/many$_.log", 'idle') } 1 .. 150;
    for my $cycle (1 .. 20) {
        my $t = Sys::FreezeThaw::freeze;
        frozen_ok("150 waiters, cycle $cycle: frozen") if $cycle == 1;
        Sys::FreezeThaw::thaw($t);
        thawed_ok($t, "150 waiters, cycle $cycle: thawed") if $cycle == 1;
    }
    select undef, undef, undef, 0.2;
    my @told = grep { -e "$dir/many$_.log" } 1 .. 150;
    is("@told", '', '150 waiters, 20 cycles: none saw its child stop');
    kill_tree(@many);
}

# The check can fail: a child stopped before its parent is reported.
{
    my $w = $waiters[0];
    my ($child) = map { $_->[0] } grep { $_->[0] == $_->[1] && ppid($_->[0]) == $w } thread_states();
    kill STOP => $child;
    ok(wait_until(sub { -e $log{$w} }, 5), 'control: stopping a child while its parent runs is reported');
    kill CONT => $child;
}
sub ppid {
    open my $fh, '<', "/proc/$_[0]/stat" or return 0;
    return scalar(<$fh>) =~ /\) \S (\d+)/ ? $1 : 0;
}

kill_tree(@waiters);
done_testing;
