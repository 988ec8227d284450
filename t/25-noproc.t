use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use POSIX ();

# Without /proc the freeze cannot see anything: it must fail clearly and
# stop nothing.  A child gets its own mount namespace, unmounts /proc there
# and tries; the processes it could have reached are checked from here.

my @work = (spawn_workload('busy'), spawn_workload('idle'));

# Two ways to lose /proc: unmount it (the /proc of the namespace above shows
# through: its pids mean other processes here), or hide it under an empty
# file system.
for my $case (
    [ 'umount /proc',
      qr/err=\/proc belongs to another PID namespace: \/proc\/self does not name this process at -e line \d+\.$/,
      undef ],
    [ 'mount -t tmpfs none /proc',
      qr/err=cannot read \/proc: \/proc\/self: No such file or directory at -e line \d+\.$/,
      POSIX::ENOENT() ],
) {
my ($how, $want, $errno) = @$case;
my $code = <<'CODE';
system(split ' ', $ARGV[0]) == 0 or do { print "cannot-umount\n"; exit 0 };
require Sys::FreezeThaw;
my $t = eval { Sys::FreezeThaw::freeze() };
my ($err, $errno) = ($@, $! + 0);
print $t ? "froze\n" : "errno=$errno err=$err";
CODE
open my $child, '-|', 'unshare', '--mount', '--propagation', 'private', $^X, '-e', $code, $how
    or die "unshare: $!";
my $out = do { local $/; <$child> } // '';
close $child;
SKIP: {
    # Only these two reasons skip; anything else is a result to check.
    skip "cannot make a mount namespace or unmount /proc here", 4
        if $out =~ /^cannot-umount$/m || $out =~ /^unshare: /m;
    unlike($out, qr/^froze/, "$how: freeze fails");
    like($out, $want, "$how: the message says why");
    like($out, qr/^errno=$errno /, "$how: \$! is $errno") if defined $errno;
    is_deeply([ halted_in(@work) ], [], "$how: nothing was stopped");
}
}

kill_tree(@work);
done_testing;
