use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use File::Temp qw(tempdir);
use Sys::FreezeThaw;

# Processes traced by another tracer: after a freeze and thaw each tracee is
# in the state it was in before (running, or held stopped by its debugger)
# and its tracer still holds it.

my $CYCLES = 20;
my $dir = tempdir(CLEANUP => 1);

# (state letter, tracer pid) from one read; ('', -1) for a process gone.
sub status_of {
    my ($state, $tracer) = status_field($_[0], 'State', 'TracerPid');
    return defined $state ? ($state, $tracer) : ('', -1);
}
sub name_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/comm" or return '';
    chomp(my $name = <$fh> // '');
    return $name;
}
sub children_of {
    my ($parent) = @_;
    return map { $_->[0] } grep {
        $_->[0] == $_->[1] && do { open my $f, '<', "/proc/$_->[0]/stat"; (scalar(<$f>) // '') =~ /\) \S $parent /s }
    } thread_states();
}

# A running tracee under strace (its parent).
SKIP: {
    my ($strace) = grep { -x } map { "$_/strace" } split /:/, $ENV{PATH};
    skip 'strace is not installed', 4 * $CYCLES + 2 unless $strace;
    my $tracer = fork // die;
    if (!$tracer) {
        exec $strace, '-f', '-o', "$dir/strace.log", workload(), 'busy';
        exit 111;
    }
    # strace forks short-lived children of its own first, to probe what
    # ptrace can do: the tracee is the child it traces that runs workload.
    my $tracee_of = sub {
        return grep { (status_of($_))[1] == $tracer && name_of($_) eq 'workload' } children_of($tracer);
    };
    ok(wait_until(sub { $tracee_of->() }), 'strace started its tracee');
    my ($tracee) = $tracee_of->();
    my (undef, $tp) = status_of($tracee);
    is($tp, $tracer, 'the tracee is traced by strace');
    for my $cycle (1 .. $CYCLES) {
        my $t = Sys::FreezeThaw::freeze();
        frozen_ok("strace cycle $cycle: everything stopped, strace and its tracee too");
        Sys::FreezeThaw::thaw($t);
        ok(wait_until(sub { (status_of($tracee))[0] eq 'R' }, 3), "strace cycle $cycle: the tracee runs again");
        my ($state, $tracer_now) = status_of($tracee);
        is($tracer_now, $tracer, "strace cycle $cycle: strace still traces it");
        like((status_of($tracer))[0], qr/^[SR]$/, "strace cycle $cycle: strace runs");
    }
    kill_tree($tracer);
}

# A tracee held stopped by its debugger stays held.
{
    my $tracee = spawn_workload('busy');
    my $holder = spawn_workload('hold', $tracee);
    is_deeply([ status_of($tracee) ], [ 't', $holder ], 'the debugger holds its tracee in a ptrace stop');
    for my $cycle (1 .. $CYCLES) {
        my $t = Sys::FreezeThaw::freeze();
        ok(!grep({ $_ == $tracee } map { @$_ } @$t), "held cycle $cycle: the held tracee is not in the token (already stopped)");
        frozen_ok("held cycle $cycle: everything stopped");
        Sys::FreezeThaw::thaw($t);
        select undef, undef, undef, 0.02;
        is_deeply([ status_of($tracee) ], [ 't', $holder ], "held cycle $cycle: still held by its debugger");
        like((status_of($holder))[0], qr/^[SR]$/, "held cycle $cycle: the debugger runs");
    }
    kill_tree($holder, $tracee);
}

# A tracee in a ptrace stop whose debugger is excluded (or is the caller)
# is not frozen: the debugger may resume it at any moment.  The freeze must
# wait for it, and fail or report it; it once passed it over as a zombie.
{
    my $tracee = spawn_workload('busy');
    my $holder = spawn_workload('hold', $tracee);
    my $idle = spawn_workload('idle');
    is_deeply([ status_of($tracee) ], [ 't', $holder ], 'a debugger holds its tracee');
    for my $method (qw(signal ptrace)) {
        local $Sys::FreezeThaw::TIMEOUT = 0.2;
        my $t = eval { Sys::FreezeThaw::freeze({ method => $method, exclude => [$holder] }) };
        my $err = $@;
        Sys::FreezeThaw::thaw($t) if $t;
        ok(!$t, "$method: the freeze fails while an excluded debugger holds a tracee");
        like($err, qr/^unable to stop some processes: $tracee \($tracee "workload": /, "$method: and names the tracee");
        $t = Sys::FreezeThaw::freeze({ method => $method, exclude => [$holder], partial_ok => 1 });
        my $r = Sys::FreezeThaw::last_freeze();
        is_deeply([ map { $_->{pid} } @{ $r->{not_stopped} } ], [$tracee], "$method: PARTIAL_OK lists it as not stopped");
        is($r->{skipped}{zombies}, 0, "$method: and no zombie was counted");
        Sys::FreezeThaw::thaw($t);
        ok(wait_until(sub { !halted_in($idle) }), "$method: thawed");
    }
    kill_tree($holder, $tracee, $idle);
}

done_testing;
