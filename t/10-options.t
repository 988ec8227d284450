use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

# Bad options are refused before anything is stopped; good ones apply to
# one call; the package variables are local-able.

my $busy = spawn_workload('busy');
my $idle = spawn_workload('idle');

sub nothing_stopped { my @s = halted_in($busy, $idle); return !@s }

my @bad = (
    [ 'x',                       qr/argument must be a HASH reference/,   'a non-hash argument' ],
    [ { timeuot => 1 },          qr/unknown option 'timeuot' \(known: exclude, max_frozen, method, partial_ok, timeout\)/, 'a misspelt option' ],
    [ { timeout => 0 },          qr/timeout must be a number of seconds above 0 and at most 86400, not '0'/, 'timeout 0' ],
    [ { timeout => -1 },         qr/not '-1'/,                            'a negative timeout' ],
    [ { timeout => 'soon' },     qr/not 'soon'/,                          'a non-numeric timeout' ],
    [ { timeout => undef },      qr/not undef/,                           'an undefined timeout' ],
    [ { timeout => 'inf' },      qr/not 'inf'/,                           'an infinite timeout' ],
    [ { timeout => 'nan' },      qr/not 'nan'/,                           'NaN as timeout' ],
    [ { exclude => 5 },          qr/exclude must be an ARRAY reference/,  'exclude not an array' ],
    [ { exclude => [0] },        qr/exclude entry '0' is not a pid from 1 to 4194304/, 'exclude pid 0' ],
    [ { exclude => [-1] },       qr/exclude entry '-1'/,                  'exclude pid -1' ],
    [ { exclude => [4294967295] }, qr/exclude entry '4294967295'/,        'exclude 4294967295' ],
    [ { exclude => ['x'] },      qr/exclude entry 'x'/,                   'exclude a word' ],
    [ { exclude => [undef] },    qr/exclude entry undef/,                 'exclude undef' ],
);
for my $case (@bad) {
    my ($args, $re, $name) = @$case;
    ok(!eval { Sys::FreezeThaw::freeze($args); 1 }, "freeze refuses $name");
    like($@, $re, "$name: the message says what is wrong");
    like($@, qr/ at \Q$0\E line \d+\.$/, "$name: reported at the caller's line");
    ok(nothing_stopped(), "$name: nothing was stopped");
}

{
    local $Sys::FreezeThaw::TIMEOUT = 'never';
    ok(!eval { Sys::FreezeThaw::freeze(); 1 }, 'a bad $TIMEOUT is refused');
    like($@, qr/timeout must be a number/, '... with the same message');
    local $Sys::FreezeThaw::TIMEOUT = 5;
    local @Sys::FreezeThaw::EXCLUDE = ('me');
    ok(!eval { Sys::FreezeThaw::freeze(); 1 }, 'a bad @EXCLUDE is refused');
    ok(nothing_stopped(), '... nothing stopped');
}

# EXCLUDE: the package variable, and the option overriding it.
{
    local @Sys::FreezeThaw::EXCLUDE = ($busy);
    my $t = Sys::FreezeThaw::freeze;
    frozen_ok('with @EXCLUDE: everything else stopped', $busy);
    is_deeply([halted_in($busy)], [], '@EXCLUDE: the excluded process runs');
    ok(!grep({ $_ == $busy } map { @$_ } @$t), '@EXCLUDE: not in the token');
    Sys::FreezeThaw::thaw($t);

    $t = Sys::FreezeThaw::freeze({ exclude => [$idle] });
    frozen_ok('exclude option: everything else stopped', $idle);
    ok(scalar(halted_in($busy)), 'the option replaces @EXCLUDE for the call: the busy one is stopped');
    Sys::FreezeThaw::thaw($t);
    thawed_ok($t, 'thawed');
}
is_deeply(\@Sys::FreezeThaw::EXCLUDE, [], '@EXCLUDE restored after local');

# An excluded parent's children are still stopped.
{
    my $tree = spawn_workload({ ready => 3 }, 'tree', 1, 2, 'busy');
    my $t = Sys::FreezeThaw::freeze({ exclude => [$tree] });
    frozen_ok('children of an excluded parent are stopped', $tree);
    Sys::FreezeThaw::thaw($t);
    kill_tree($tree);
}

# Unknown options are caught even with valid ones beside them.
ok(!eval { Sys::FreezeThaw::freeze({ timeout => 1, partial => 1 }); 1 }, 'unknown option beside valid ones');
like($@, qr/unknown option 'partial'/, '... named');

kill_tree($busy, $idle);
done_testing;
