use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# A /proc mounted with hidepid hides other users' processes from an
# unprivileged caller: a freeze that trusted the listing would stop only
# what it can see.  It must refuse, and stop nothing.

my @work = (spawn_workload('busy'), spawn_workload('idle'));

my $code = <<'CODE';
my ($opts, $user) = @ARGV;
system('mount', '-t', 'proc', '-o', $opts, 'proc', '/proc') == 0 or do { print "cannot-mount\n"; exit 0 };
if ($user) {
    require POSIX;
    POSIX::setgid(65534);
    POSIX::setuid(65534) or do { print "cannot-setuid\n"; exit 0 };
}
require Sys::FreezeThaw;
my $t = eval { Sys::FreezeThaw::freeze({ timeout => 1 }) };
print $t ? "froze " . scalar(map { @$_ } @$t) . "\n" : "error: $@";
Sys::FreezeThaw::thaw($t) if $t;
CODE

sub attempt {
    my ($opts, $user) = @_;
    open my $child, '-|', 'unshare', '--mount', '--propagation', 'private', $^X, '-e', $code, $opts, $user
        or die "unshare: $!";
    my $out = do { local $/; <$child> } // '';
    close $child;
    return $out;
}

SKIP: {
    my $out = attempt('hidepid=invisible', 1);
    skip "cannot mount proc or change user here: $out", 6 if $out =~ /^cannot-|^unshare: /m;
    like($out, qr/^error: cannot see every process: \/proc is mounted with hidepid/,
         'unprivileged with hidepid=invisible: freeze refuses');
    is_deeply([ halted_in(@work) ], [], '... nothing stopped');

    $out = attempt('hidepid=noaccess', 1);
    like($out, qr/^error: cannot see every process: /, 'unprivileged with hidepid=noaccess: freeze refuses');

    $out = attempt('hidepid=invisible,gid=65534', 1);
    unlike($out, qr/cannot see every process/, 'a member of the gid= group sees everything: no hidepid error');
    like($out, qr/permission denied/, '... and meets the processes it may not signal instead');

    $out = attempt('hidepid=invisible', 0);
    like($out, qr/^froze \d+$/, 'root sees every process despite hidepid: freeze works');
}

kill_tree(@work);
done_testing;
