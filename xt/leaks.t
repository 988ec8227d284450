use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest timeout => 1800;
use Test::More;
use Sys::FreezeThaw;

# Many freeze/thaw cycles keep the caller's memory and descriptors flat.
# FREEZETHAW_XT_CYCLES sets how many (default 5000; CI runs 1500).

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
my $CYCLES = $ENV{FREEZETHAW_XT_CYCLES} || 5000;

sub rss_kb {
    open my $fh, '<', '/proc/self/status' or die;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+) kB/ }
    die "no VmRSS";
}
sub fds { my @f = glob '/proc/self/fd/*'; return scalar @f }

my @work = (spawn_workload({ ready => 11 }, 'tree', 1, 10, 'idle'), spawn_workload('threads', 4, 'idle'));

for my $method (qw(signal ptrace)) {
    my $cycle = sub {
        my $t = Sys::FreezeThaw::freeze({ method => $method });
        my $r = Sys::FreezeThaw::last_freeze();
        Sys::FreezeThaw::thaw($t);
        Sys::FreezeThaw::freezethaw(sub { 1 });
    };
    $cycle->() for 1 .. 200;   # warm up: allocators and caches settle
    my ($rss0, $fd0) = (rss_kb(), fds());
    $cycle->() for 1 .. $CYCLES / 2;
    my ($rss1, $fd1) = (rss_kb(), fds());
    $cycle->() for 1 .. $CYCLES / 2;
    my ($rss2, $fd2) = (rss_kb(), fds());
    is($fd2, $fd0, "$method: descriptors flat over $CYCLES cycles ($fd0 -> $fd1 -> $fd2)");
    # Growth in the second half no larger than noise: a leak of even 100
    # bytes a cycle would show as hundreds of kB.
    cmp_ok($rss2 - $rss1, '<=', 256, "$method: memory flat over $CYCLES cycles ($rss0 -> $rss1 -> $rss2 kB)");
}

kill_tree(@work);
done_testing;
