use strict;
use warnings;
use Test::More;

# The XS and the C core keep no global state: several ithreads (each an
# interpreter) may freeze and thaw in one process.  Every object of the
# built module in writable data (.data, .bss) is one the C runtime puts in
# every shared object.

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};
my ($so) = glob 'blib/arch/auto/Sys/FreezeThaw/FreezeThaw.so';
plan skip_all => 'build first (make)' unless $so;
my $table = qx{objdump -t $so 2>/dev/null};
plan skip_all => 'objdump not installed' unless $table;

my %runtime = map { $_ => 1 } qw(completed.0 __dso_handle __TMC_END__ __bss_start _edata _end);
my @mine = grep { !$runtime{$_} }
           map { /\s\.(?:data|bss)\s+\S+\s+(\S+)$/ ? $1 : () } split /\n/, $table;
is_deeply(\@mine, [], 'no global variable in writable data') or diag("@mine");
done_testing;
