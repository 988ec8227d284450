use strict;
use warnings;
use Test::More;

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
eval { require Test::CPAN::Changes; 1 } or plan skip_all => 'Test::CPAN::Changes needed';
require Sys::FreezeThaw;
Test::CPAN::Changes::changes_file_ok('Changes', { version => $Sys::FreezeThaw::VERSION });
done_testing;
