use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# A freeze keeps descriptors open (a pidfd per process, stat files while it
# runs); under RLIMIT_NOFILE, 1024 by default, a freeze of more processes
# than the limit must still work, naming the rest by start time.  Here the
# limit is 64 and the machine has 300 processes.

my $LIMIT = 64;
if (!$ENV{FREEZETHAW_T_NOFILE}) {
    # Lowered by the shell, once inside the namespace: exec keeps our pid.
    $ENV{FREEZETHAW_T_NOFILE} = 1;
    exec 'sh', '-c', "ulimit -n $LIMIT && exec \"\$@\"", 'sh', $^X, (map { "-I$_" } @INC), $0;
    die "exec sh: $!";
}

sub fds { my @f = glob '/proc/self/fd/*'; return scalar @f }

my ($limit) = map { /^Max open files\s+(\d+)/ ? $1 : () } do {
    open my $fh, '<', '/proc/self/limits' or die; <$fh>;
};
is($limit, $LIMIT, "the test runs with at most $LIMIT descriptors");

my $root = spawn_workload({ ready => 300 }, 'tree', 1, 299, 'idle');
my $before = fds();

for my $method (qw(signal ptrace)) {
    my $t = eval { Sys::FreezeThaw::freeze({ method => $method }) };
    is($@, '', "$method: 300 processes freeze with $LIMIT descriptors");
    frozen_ok("$method: every thread is stopped");
    my $r = Sys::FreezeThaw::last_freeze();
    cmp_ok($r->{processes}, '>=', 300, "$method: all of them are in the token");
    Sys::FreezeThaw::thaw($t) if $t;
    thawed_ok($t // [], "$method: and all run again after thaw");
    is(fds(), $before, "$method: no descriptor is left open");
}

# The caller may use up its descriptors while frozen: thaw cannot read
# /proc then, and must continue the processes it has no pidfd for all the
# same.
{
    my $t = Sys::FreezeThaw::freeze();
    frozen_ok('signal: frozen again');
    my @hold;
    while (open my $fh, '<', '/dev/null') { push @hold, $fh }
    ok(@hold > 0 && $!{EMFILE}, 'then every descriptor is in use (' . scalar(@hold) . ' opened)');
    Sys::FreezeThaw::thaw($t);
    @hold = ();
    thawed_ok($t, 'thaw continues them all without a descriptor to read /proc with');
}

kill_tree($root);
done_testing;
