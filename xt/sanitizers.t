use strict;
use warnings;
use Test::More;
use Config;

# The C core's unit tests again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer, and run under valgrind memcheck: any report
# fails them (t/02-core-unit.t does the compiling and running).

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};

sub run_units {
    my (%env) = @_;
    local @ENV{ keys %env } = values %env;
    my $out = qx{$^X t/02-core-unit.t 2>&1};
    return ($? >> 8, $out);
}

my ($rc, $out) = run_units(FREEZETHAW_UNIT_CFLAGS => '-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer',
                           ASAN_OPTIONS => 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS => 'print_stacktrace=1');
is($rc, 0, 'the C unit tests pass under ASan and UBSan') or diag($out);
unlike($out, qr/ERROR: (?:Address|Leak)Sanitizer|runtime error:/, '... with no sanitizer report');

SKIP: {
    skip 'valgrind not installed', 2 unless qx{valgrind --version 2>/dev/null};
    ($rc, $out) = run_units(FREEZETHAW_UNIT_RUNNER => 'valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite');
    is($rc, 0, 'the C unit tests pass under valgrind memcheck') or diag($out);
    unlike($out, qr/==\d+== /, '... with no report');
}

done_testing;
