use strict;
use warnings;
use Test::More;

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
eval { require Test::Pod; Test::Pod->VERSION(1.41); 1 } or plan skip_all => 'Test::Pod 1.41 needed';
Test::Pod::all_pod_files_ok(Test::Pod::all_pod_files('lib', 'bin'));
