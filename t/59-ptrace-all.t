use strict;
use warnings;
use Test::More;

# Every test file that freezes, once more with METHOD 'ptrace': the hard
# cases, the safety guarantees and the API hold for both methods.  Each file
# makes its own namespace; its TAP is checked here and shown on failure.

my @files = grep { !/\b(?:0\d|5\d)-/ } sort glob 't/[1-4]*.t';
plan tests => scalar @files;

for my $file (@files) {
    local $ENV{FREEZETHAW_TEST_METHOD} = 'ptrace';
    my $out = `$^X -Iblib/lib -Iblib/arch $file 2>&1`;
    my $rc = $? >> 8;
    my $failed = () = $out =~ /^not ok/mg;
    my ($skip) = $out =~ /^1\.\.0 # SKIP (.*)$/m;
    ok($rc == 0 && !$failed, "$file with METHOD=ptrace" . ($skip ? " (skipped: $skip)" : ''))
        or diag(join "\n", grep { /^(not ok|#)/ } split /\n/, $out);
}
