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
    # RSS moves by a few MB with transient allocations; a leak raises its
    # floor.  The lowest sample of the last quarter against the lowest of
    # the second quarter: a leak of 100 bytes a cycle shows over 5000.
    my (@rss, @fd);
    for my $k (1 .. 20) {
        $cycle->() for 1 .. $CYCLES / 20;
        push @rss, rss_kb();
        push @fd, fds();
    }
    my $min = sub { my ($m) = sort { $a <=> $b } @_; $m };
    my ($early, $late) = ($min->(@rss[5 .. 9]), $min->(@rss[15 .. 19]));
    is_deeply([ grep { $_ != $fd[0] } @fd ], [], "$method: descriptors flat over $CYCLES cycles ($fd[0])");
    cmp_ok($late - $early, '<=', 256, "$method: memory flat over $CYCLES cycles (floor $early -> $late kB)");
}

kill_tree(@work);
done_testing;
