use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# Processes already frozen by a cgroup freezer count as frozen (they may
# never reach T while the cgroup stays frozen), and the report says so.
# Needs a writable cgroup v1 freezer or cgroup v2 hierarchy (root).

my %mount;
{
    open my $mi, '<', '/proc/self/mountinfo' or die;
    while (<$mi>) {
        my ($mnt) = (split ' ')[4];
        my ($fstype, undef, $super) = (split / - /)[1] =~ /(\S+) (\S+) (\S+)/;
        $mount{v2} //= $mnt if $fstype eq 'cgroup2';
        $mount{v1} //= $mnt if $fstype eq 'cgroup' && $super =~ /(?:^|,)freezer(?:,|$)/;
    }
}

my @made;
END { local $?; kill_others(); rmdir $_ for reverse @made }

sub cgroup_with {
    my ($kind, $pid) = @_;
    my $dir = "$mount{$kind}/sys-freezethaw-test-$kind-" . time . "-$$";
    mkdir $dir or return;
    push @made, $dir;
    open my $p, '>', "$dir/cgroup.procs" or return;
    print $p "$pid\n";
    close $p or return;
    return $dir;
}
sub write_file { my ($f, $v) = @_; open my $h, '>', $f or return; print $h $v; return close $h }
sub read_file { open my $h, '<', $_[0] or return ''; local $/; return <$h> // '' }

for my $kind (qw(v2 v1)) {
    SKIP: {
        skip "no cgroup $kind freezer mounted", 1 unless $mount{$kind};
        my $victim = spawn_workload('busy');
        my $dir = cgroup_with($kind, $victim);
        skip "cannot create a cgroup under $mount{$kind} (needs root)", 1 unless $dir;
        my ($freeze, $frozen) = $kind eq 'v2'
            ? ("$dir/cgroup.freeze", sub { read_file("$dir/cgroup.events") =~ /^frozen 1$/m })
            : ("$dir/freezer.state", sub { read_file("$dir/freezer.state") =~ /^FROZEN/ });
        write_file($freeze, $kind eq 'v2' ? '1' : 'FROZEN');
        ok(wait_until($frozen, 5), "$kind: the cgroup is frozen");
        my $others = spawn_workload('busy');

        for my $cycle (1 .. 5) {
            my $t = eval { Sys::FreezeThaw::freeze({ timeout => 2 }) };
            ok($t, "$kind cycle $cycle: freeze succeeds with a process in a frozen cgroup") or diag($@);
            next unless $t;
            frozen_ok("$kind cycle $cycle: everything else stopped", $victim);
            my $r = Sys::FreezeThaw::last_freeze();
            # With ptrace the process is seized like any other (v2) or
            # counted in D with its trap pending (v1).
            my $want = FreezeThawTest::method() eq 'ptrace'
                ? ($kind eq 'v2' ? [] : [ [ $victim, 'uninterruptible sleep, stop pending' ] ])
                : [ [ $victim, 'in a frozen cgroup' ] ];
            is_deeply([ map { [ $_->{pid}, $_->{reason} ] } @{ $r->{counted_frozen} } ],
                      $want, "$kind cycle $cycle: reported as frozen by its cgroup, or held by ptrace");
            ok(grep({ $_ == $victim } map { @$_ } @$t), "$kind cycle $cycle: it is in the token");
            Sys::FreezeThaw::thaw($t);
            thawed_ok($t, "$kind cycle $cycle: thawed");
        }
        # Our thaw cleared the stop we left pending: when the cgroup thaws,
        # the process runs rather than stops.
        write_file($freeze, $kind eq 'v2' ? '0' : 'THAWED');
        select undef, undef, undef, 0.2;
        like(join('', map { $_->[2] } grep { $_->[0] == $victim } thread_states()), qr/^[RS]+$/,
             "$kind: after the cgroup thaws, the process runs");
        kill_tree($victim, $others);
    }
}
done_testing;
