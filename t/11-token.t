use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# thaw checks the whole token before it sends anything.  The oracle: a
# process stopped by hand, in our own process group (so pid 0 would reach
# it) and in the namespace (so -1 would), must still be stopped after each
# rejected token, even when the token also names it.

my $victim = spawn_workload('idle');
ok(stopped_by_hand($victim), 'victim stopped by hand');

sub still_stopped {
    open my $fh, '<', "/proc/$victim/stat" or return 0;
    return scalar(<$fh>) =~ /\) T /;
}

my @bad = (
    [ undef,                    qr/not an ARRAY reference/,    'undef' ],
    [ 'token',                  qr/not an ARRAY reference/,    'a string' ],
    [ { 1 => [$victim] },       qr/not an ARRAY reference/,    'a HASH ref' ],
    [ \$victim,                 qr/not an ARRAY reference/,    'a SCALAR ref' ],
    [ bless([[$victim]], 'X'),  qr/not an ARRAY reference/,    'a blessed ARRAY ref' ],
    [ [ $victim ],              qr/pass 0 is not an ARRAY/,    'a flat list of pids' ],
    [ [ [$victim], {} ],        qr/pass 1 is not an ARRAY/,    'a HASH as a pass' ],
    [ [ [$victim, 0] ],         qr/pass 0 entry 1 \('0'\)/,    'pid 0 (the caller\'s process group)' ],
    [ [ [$victim], [-1] ],      qr/pass 1 entry 0 \('-1'\)/,   'pid -1 (every process)' ],
    [ [ [-$victim] ],           qr/entry 0 \('-\d+'\)/,        'a negative pid (a process group)' ],
    [ [ [4294967295] ],         qr/\('4294967295'\)/,          '4294967295 (-1 as a 32-bit pid_t)' ],
    [ [ [4294967296 + $victim] ], qr/is not a pid/,            '2**32 + pid (wraps to the pid)' ],
    [ [ [1] ],                  qr/\('1'\)/,                   'pid 1' ],
    [ [ [4194305] ],            qr/\('4194305'\)/,             'pid above PID_MAX_LIMIT' ],
    [ [ ["${victim}abc"] ],     qr/is not a pid/,              'a pid with trailing garbage' ],
    [ [ [" $victim"] ],         qr/is not a pid/,              'a pid with leading space' ],
    [ [ ["$victim.5"] ],        qr/is not a pid/,              'a fraction' ],
    [ [ ['1e3'] ],              qr/is not a pid/,              'exponent notation' ],
    [ [ [undef] ],              qr/\(undef\)/,                 'undef entry' ],
    [ [ [[$victim]] ],          qr/is not a pid/,              'a reference as entry' ],
    [ [ [''] ],                 qr/is not a pid/,              'empty string' ],
    [ [ bless([$victim], 'X') ], qr/pass 0 is not an ARRAY/,   'a blessed ARRAY as a pass' ],
    [ [ [~0] ],                 qr/is not a pid/,              'the largest unsigned integer' ],
    [ [ [1e20] ],               qr/\('1e\+20'\)/,              'a large floating-point number' ],
    [ [ ['99999999999999999999999' . $victim] ], qr/is not a pid/, 'digits beyond any integer' ],
    [ [ [$victim + 0.5] ],      qr/is not a pid/,              'a floating-point fraction' ],
);

for my $case (@bad) {
    my ($token, $re, $name) = @$case;
    ok(!eval { Sys::FreezeThaw::thaw($token); 1 }, "thaw refuses $name");
    like($@, qr/^Sys::FreezeThaw::thaw: malformed token: /, "$name: message says malformed token");
    like($@, $re, "$name: message says which part");
    like($@, qr/ at \Q$0\E line \d+\.$/, "$name: error reported at the caller's line");
    ok(still_stopped(), "$name: nothing was continued");
}

# The same checks hold for the XS layer called directly, below the .pm.
for my $raw ([[0]], [[-1]], [[4294967295]], [[1]]) {
    ok(!eval { Sys::FreezeThaw::_thaw($raw); 1 }, "_thaw refuses [[$raw->[0][0]]] too");
    like($@, qr/pid outside 2\.\.4194304/, '... with the core\'s message');
    ok(still_stopped(), '... and nothing was continued');
}

# A well-formed token still works, and an empty one does nothing.
Sys::FreezeThaw::thaw([]);
Sys::FreezeThaw::thaw([[]]);
ok(still_stopped(), 'empty tokens continue nothing');
Sys::FreezeThaw::thaw([[$victim]]);
ok(!still_stopped(), 'a hand-built token of plain pids continues its process');

# A pid is read as Perl reads it: a string of digits (leading zeros
# allowed) or a whole floating-point number names the process.
for my $form ([ "0$victim", 'a string with a leading zero' ], [ $victim + 0.0, 'a whole floating-point number' ]) {
    ok(stopped_by_hand($victim), "stopped again by hand ($form->[1])");
    Sys::FreezeThaw::thaw([[ $form->[0] ]]);
    ok(!still_stopped(), "a pid as $form->[1] continues its process");
}

# A pid that no longer exists is passed over.
my $gone = spawn_workload('idle');
kill_tree($gone);
ok(eval { Sys::FreezeThaw::thaw([[$gone]]); 1 }, 'a token naming a dead process thaws without error')
    or diag $@;

kill_tree($victim);
done_testing;
