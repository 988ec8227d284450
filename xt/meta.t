use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(getcwd);

# META as CPAN needs it, and "OS unsupported" off Linux.

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
require CPAN::Meta;

my $meta = CPAN::Meta->load_file(-e 'MYMETA.json' ? 'MYMETA.json' : die 'run perl Makefile.PL first');
is_deeply([ $meta->license ], ['perl_5'], 'license perl_5');
my $p = $meta->effective_prereqs;
is($p->requirements_for('runtime', 'requires')->requirements_for_module('perl'), '5.010001', 'minimum perl 5.10.1');
for my $phase (qw(configure build test runtime)) {
    ok(scalar $p->requirements_for($phase, 'requires')->required_modules, "prerequisites for $phase");
}
ok($p->requirements_for('configure', 'requires')->requirements_for_module('ExtUtils::MakeMaker'),
   'configure needs ExtUtils::MakeMaker');

# Off Linux, Makefile.PL says "OS unsupported" and writes no Makefile.
my $dir = tempdir(CLEANUP => 1);
my $mpl = getcwd() . '/Makefile.PL';
my $code = sprintf q{chdir %s or die; $^O = 'freebsd'; do %s; print $@ if $@}, map { "'$_'" } $dir, $mpl;
open my $fh, '-|', $^X, '-e', $code or die "cannot run perl: $!";
my $out = do { local $/; <$fh> } // '';
close $fh;
like($out, qr/OS unsupported/, 'off Linux: OS unsupported');
ok(!-e "$dir/Makefile", 'off Linux: no Makefile');
done_testing;
