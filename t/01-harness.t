use strict;
use warnings;
use lib 't/lib';
use Test::More;

# The namespace harness itself: it refuses to count this (host) namespace as
# its own, even with its markers faked, and it skips or fails as documented
# when no namespace can be made.

require FreezeThawTest;

ok(!FreezeThawTest::inside_own_namespace(), 'outside: not our namespace');
{
    local $ENV{FREEZETHAW_TEST_NS} = 'forged';
    local $ENV{FREEZETHAW_TEST_OUTER_NS} = 'pid:[1]';
    ok(!FreezeThawTest::inside_own_namespace(), 'forged markers are not enough');
}

# A test file that uses the harness, run with namespaces made unavailable.
sub run_without_namespace {
    my (%env) = @_;
    local @ENV{ keys %env } = values %env;
    local $ENV{FREEZETHAW_TEST_NO_NAMESPACE} = 1;
    delete local $ENV{FREEZETHAW_TEST_NS};
    my $out = `$^X -Iblib/lib -Iblib/arch -It/lib t/20-freeze.t 2>&1`;
    return ($out, $? >> 8);
}
my ($out, $rc) = run_without_namespace(CI => '');
like($out, qr/^1\.\.0 # SKIP cannot create a private PID namespace/, 'no namespace: the file skips with a reason');
is($rc, 0, '... and exits 0');
($out, $rc) = run_without_namespace(CI => 'true');
like($out, qr/^not ok 1 - cannot create a private PID namespace.*under CI=true/m, 'no namespace under CI=true: a failure');
isnt($rc, 0, '... and a non-zero exit');

# Inside, the harness finds itself at home and pid 1 is its own.
use File::Temp qw(tempfile);
my ($fh, $script) = tempfile(SUFFIX => '.pl', UNLINK => 1);
print $fh 'use FreezeThawTest; print FreezeThawTest::inside_own_namespace() ? "home:$$" : "lost";';
close $fh;
my $inside = `$^X -Iblib/lib -Iblib/arch -It/lib $script 2>&1`;
SKIP: {
    skip 'no namespace can be made here', 1 if $inside =~ /SKIP/;
    like($inside, qr/^home:2$/, 'inside: our own namespace, the test is pid 2 under our pid 1');
}
done_testing;
