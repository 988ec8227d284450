use strict;
use warnings;
use Test::More;
use ExtUtils::Manifest ();

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
local $ExtUtils::Manifest::Quiet = 1;
is_deeply([ ExtUtils::Manifest::manicheck() ], [], 'every file in MANIFEST exists');
is_deeply([ ExtUtils::Manifest::filecheck() ], [], 'every file of the distribution is in MANIFEST (or MANIFEST.SKIP)');
done_testing;
