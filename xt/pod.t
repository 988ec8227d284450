use strict;
use warnings;
use Test::More;

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
eval { require Test::Pod; Test::Pod->VERSION(1.41); 1 } or plan skip_all => 'Test::Pod 1.41 needed';
Test::Pod::pod_file_ok($_) for Test::Pod::all_pod_files("lib", "bin");

# Pod::Checker also resolves internal links (L</...>), which Test::Pod does not.
require Pod::Checker;
for my $file (Test::Pod::all_pod_files('lib', 'bin')) {
    my $log = '';
    open my $out, '>', \$log or die;
    my $errors = Pod::Checker::podchecker($file, $out, -warnings => 0);
    is($errors, 0, "podchecker: $file") or diag($log);
}
done_testing;
