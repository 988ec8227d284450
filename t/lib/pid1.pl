# pid1.pl NONCE -- COMMAND [ARGS...]
#
# pid 1 of a test's private PID namespace.  It runs COMMAND as its child,
# reaps every orphan the test leaves behind, and exits with COMMAND's status
# as soon as COMMAND ends: the kernel then kills whatever else still lives in
# the namespace.  NONCE only marks this process, so that the test can check
# that its pid 1 is this one (see FreezeThawTest::inside_own_namespace).
use strict;
use warnings;

my $nonce = shift;
shift if @ARGV && $ARGV[0] eq '--';
die "usage: pid1.pl NONCE -- COMMAND [ARGS...]\n" unless defined $nonce && @ARGV;

my $child = fork;
die "pid1.pl: fork: $!\n" unless defined $child;
if (!$child) {
    exec { $ARGV[0] } @ARGV or die "pid1.pl: exec $ARGV[0]: $!\n";
}
while (1) {
    my $pid = wait;
    last if $pid < 0;
    next unless $pid == $child;
    my $st = $?;
    exit($st & 127 ? 128 + ($st & 127) : $st >> 8);
}
exit 1;
