use strict;
use warnings;
use Test::More;

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
eval { require Test::Pod::Coverage; 1 } or plan skip_all => 'Test::Pod::Coverage needed';
# Names with a leading underscore (the XS entry points, _PID_MAX) are private.
Test::Pod::Coverage::pod_coverage_ok($_) for qw(Sys::FreezeThaw Sys::FreezeThaw::Demo);
done_testing;
