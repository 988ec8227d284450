use strict;
use warnings;
use Test::More;

# Static analysis of the C core: nothing reported, with these checks.
#
# cppcheck: warning, style, performance and portability (not
#   "information", which only lists headers it did not find).
# clang-tidy: the static analyzer (clang-analyzer-*), bugprone-*,
#   performance-*, portability-*, and two of misc-*, less:
#   - bugprone-easily-swappable-parameters: every (pid, pid) or
#     (size_t, size_t) signature; names and comments say which is which;
#   - bugprone-narrowing-conversions: pid_t/long/size_t conversions the
#     compiler's -Wextra already sees, each checked by hand;
#   - performance-no-int-to-ptr: ptrace() takes its data as a pointer.
# The XS glue (FreezeThaw.c, generated) is not analysed.

plan skip_all => 'author test: set RELEASE_TESTING=1' unless $ENV{RELEASE_TESTING};

my @src = sort glob 'src/*.c';

SKIP: {
    skip 'cppcheck not installed', 1 unless qx{cppcheck --version 2>/dev/null};
    my $out = qx{cppcheck --enable=warning,style,performance,portability --std=c99 --quiet --inline-suppr -Isrc @src 2>&1};
    is($out, '', 'cppcheck reports nothing on src/') or diag($out);
}

SKIP: {
    skip 'clang-tidy not installed', 1 unless qx{clang-tidy --version 2>/dev/null};
    my $checks = join ',', qw(-* clang-analyzer-* bugprone-* -bugprone-easily-swappable-parameters
                              -bugprone-narrowing-conversions performance-* -performance-no-int-to-ptr
                              portability-* misc-redundant-expression misc-unused-parameters);
    my $out = qx{clang-tidy --quiet -checks='$checks' @src -- -Isrc -std=gnu99 -D_GNU_SOURCE 2>&1};
    my @findings = grep { /(?:warning|error):/ && !/^\d+ warnings? generated/ } split /\n/, $out;
    is_deeply(\@findings, [], 'clang-tidy reports nothing on src/') or diag($out);
}

done_testing;
