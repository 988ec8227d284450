use strict;
use warnings;
use Config;
BEGIN {
    if (!$Config{useithreads}) {
        print "1..0 # SKIP this perl has no ithreads\n";
        exit 0;
    }
}
use threads;
use threads::shared;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# The caller's own threads are never stopped; its children from before the
# freeze are; processes it starts while frozen are not.  The report of the
# last freeze belongs to each interpreter thread.

my $spins :shared = 0;
my $stop :shared = 0;
my @spinners = map { threads->create(sub { $spins++ until $stop; 1 }) } 1 .. 2;
my $child = spawn_workload('busy');

my ($before, $inside, $born, $born_state, @mine) = (0, 0);
my $t = Sys::FreezeThaw::freeze();
$before = $spins;
select undef, undef, undef, 0.2;
$inside = $spins;
@mine = map { $_->[2] } grep { $_->[0] == $$ } thread_states();
$born = spawn_workload('busy');
select undef, undef, undef, 0.05;
($born_state) = map { $_->[2] } grep { $_->[0] == $born } thread_states();
frozen_ok('everything but the caller and what it started while frozen is stopped', $born);
Sys::FreezeThaw::thaw($t);

cmp_ok($inside, '>', $before, "the caller's ithreads keep running while frozen ($before -> $inside)");
is(scalar(@mine), 3, 'the caller has 3 threads');
ok(!grep({ /[Tt]/ } @mine), "none of the caller's threads is stopped (@mine)");
ok(grep({ $_ == $child } map { @$_ } @$t), 'a child from before the freeze is frozen');
like($born_state, qr/^[RS]$/, 'a process started while frozen runs');

# The freeze from another ithread, and the report per interpreter.
my $main_report = Sys::FreezeThaw::last_freeze();
my $from_thread = threads->create(sub {
    my $before = Sys::FreezeThaw::last_freeze();
    my $tok = Sys::FreezeThaw::freeze({ exclude => [$child] });
    my @running = not_halted($child);
    Sys::FreezeThaw::thaw($tok);
    my $r = Sys::FreezeThaw::last_freeze();
    return [ scalar(@running), join(',', sort map { @$_ } @$tok), defined $before ? $before->{processes} : -1,
             $r->{processes} ];
})->join;
is($from_thread->[0], 0, 'a freeze from an ithread stops everything else');
is($from_thread->[1], $born, 'the ithread froze what ran then: not the excluded child, but the one born since');
is($from_thread->[3], 1, "the ithread's report describes its own freeze");
is($from_thread->[2], $main_report->{processes}, 'an ithread starts with a copy of the report it was created with');
is(Sys::FreezeThaw::last_freeze()->{processes}, $main_report->{processes},
   "the main interpreter's report is not changed by the ithread's freeze");

# A token crosses interpreters as plain pids: freeing the copy never ends
# the window (only its owner's token does), and thawing either is safe.
my $idle = spawn_workload('idle');
{
    my $tok = Sys::FreezeThaw::freeze({ exclude => [$child, $born] });
    my $seen = threads->create(sub {
        my $n = scalar map { @$_ } @$tok;   # the copy, freed when the thread ends
        return $n;
    })->join;
    cmp_ok($seen, '>', 0, 'an ithread created in the window sees the token (as pids)');
    frozen_ok('its copy freed with the ithread: the window goes on', $child, $born);
    Sys::FreezeThaw::thaw($tok);
    ok(!halted_in(map { @$_ } @$tok), 'the owner thaws');
}
{
    my $tok = Sys::FreezeThaw::freeze({ exclude => [$child, $born] });
    my $done = threads->create(sub { Sys::FreezeThaw::thaw($tok); 1 })->join;
    ok($done, "thaw of an ithread's copy returns");
    if (FreezeThawTest::method() eq 'ptrace') {
        # SIGCONT does not end a ptrace stop: only the owner's thaw does.
        ok(scalar halted_in(map { @$_ } @$tok), '... and, with ptrace, leaves the window to the owner');
    } else {
        ok(!halted_in(map { @$_ } @$tok), '... and continues what was stopped');
    }
    Sys::FreezeThaw::thaw($tok);
    ok(!halted_in(map { @$_ } @$tok), "the owner's thaw after it ends the window");
}
{
    my $copy = threads->create(sub {
        my $tok = Sys::FreezeThaw::freeze({ exclude => [$child, $born] });
        return $tok;   # the original is freed with this ithread: it thaws
    })->join;
    ok(ref $copy eq 'ARRAY' && @$copy, 'a token made in an ithread comes back from join');
    ok(wait_until(sub { !halted_in(map { @$_ } @$copy) }, 3), '... its window ended with the ithread');
    Sys::FreezeThaw::thaw($copy);
    ok(!halted_in(map { @$_ } @$copy), '... and a thaw of the copy is harmless');
}

$stop = 1;
$_->join for @spinners;
kill_tree($child, $born, $idle);
done_testing;
