use strict;
use warnings;
use Test::More;
use lib 'xt/lib';
use ReadmeFromPod;

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
open my $fh, '<', 'README' or die "README: $!";
my $readme = do { local $/; <$fh> };
ok($readme eq ReadmeFromPod::readme_text(), 'README is what `make readme` makes of the POD')
    or diag('run `make readme`');
like($readme, qr/\A[^\n]+\n\n    perl Makefile\.PL && make && make test\n    perl -Mblib bin\/freezethaw --demo\n/,
     'README starts with its two commands');
done_testing;
