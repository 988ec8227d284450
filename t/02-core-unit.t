use strict;
use warnings;
use Config;
use Test::More;

# The C core's unit tests (t/c/unit_*.c), compiled against src/ and run;
# each of their TAP lines becomes one test here.  They need no namespace:
# nothing in them sends a signal.

my @core = grep { !/FreezeThaw\.c$/ } glob 'src/*.c';
my @units = sort glob 't/c/unit_*.c';
plan skip_all => 'no C compiler configured' unless $Config{cc};
mkdir 't/bin';

for my $src (@units) {
    (my $name = $src) =~ s{.*/(\w+)\.c\z}{$1};
    my $bin = "t/bin/$name";
    my @cc = ($Config{cc}, split(' ', $ENV{FREEZETHAW_UNIT_CFLAGS} // ''), qw(-std=gnu99 -O1 -g -Wall -Wextra -Werror -Isrc -It/c),
              '-o', $bin, $src, @core, '-lpthread');
    if (system(@cc) != 0) {
        fail("$name compiles");
        next;
    }
    my @run = (split(' ', $ENV{FREEZETHAW_UNIT_RUNNER} // ''), $bin);
    open my $out, '-|', @run or do { fail("$name runs: $!"); next };
    my $seen = 0;
    while (my $line = <$out>) {
        if ($line =~ /^(not )?ok \d+ - (.*)$/) {
            ok(!$1, "$name: $2");
            $seen++;
        } elsif ($line =~ /^#/) {
            diag($line);
        }
    }
    close $out;
    is($?, 0, "$name exits 0");
    cmp_ok($seen, '>', 0, "$name ran tests");
}
done_testing;
