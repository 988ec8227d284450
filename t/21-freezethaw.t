use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Sys::FreezeThaw;

my @work = (spawn_workload('busy'), spawn_workload('threads', 4, 'busy'));
my $all_stopped_inside;

# The block runs frozen; its value comes back in the caller's context.
my @list = Sys::FreezeThaw::freezethaw {
    my @running = not_halted();
    $all_stopped_inside = !@running;
    return wantarray ? ('list', 2, 3) : 'scalar';
};
ok($all_stopped_inside, 'the block runs while every other thread is stopped');
is_deeply(\@list, [ 'list', 2, 3 ], 'list context: the block\'s list');
is_deeply([ halted_in(@work) ], [], 'thawed afterwards');

my $scalar = Sys::FreezeThaw::freezethaw { wantarray ? 'list' : defined(wantarray) ? 'scalar' : 'void' };
is($scalar, 'scalar', 'scalar context: the block sees scalar context and its value is returned');

my $ctx;
Sys::FreezeThaw::freezethaw { $ctx = wantarray ? 'list' : defined(wantarray) ? 'scalar' : 'void' };
is($ctx, 'void', 'void context is passed on');

my @empty = Sys::FreezeThaw::freezethaw { return };
is_deeply(\@empty, [], 'an empty return gives an empty list');

# The original calling style, with a code reference.
my $code = sub { 'via ref' };
is(&Sys::FreezeThaw::freezethaw($code), 'via ref', 'a code reference works too');

# An exception: thawed first, then rethrown unchanged.
my $obj = bless {}, 'My::Error';
ok(!eval { Sys::FreezeThaw::freezethaw { die $obj }; 1 }, 'an exception in the block propagates');
is($@, $obj, 'the exception object is rethrown unchanged');
is_deeply([ halted_in(@work) ], [], 'and everything was thawed before');

ok(!eval { Sys::FreezeThaw::freezethaw { die "plain\n" }; 1 }, 'a string exception propagates');
is($@, "plain\n", '... unchanged');

# Each caught signal ends the block with an exception, then thaws.
for my $sig (qw(INT TERM QUIT HUP PIPE ALRM USR1 USR2)) {
    my $before = \&main::user_handler;
    local $SIG{$sig} = $before;
    my $reached = 0;
    ok(!eval {
        Sys::FreezeThaw::freezethaw {
            kill $sig => $$;
            select undef, undef, undef, 2;   # the handler cuts this short
            $reached = 1;
        };
        1;
    }, "SIG$sig while frozen ends the block");
    like($@, qr/^ERROR: caught SIG$sig while system frozen/, "SIG$sig: the message names it");
    ok(!$reached, "SIG$sig: the rest of the block did not run");
    is_deeply([ halted_in(@work) ], [], "SIG$sig: everything thawed");
    is($SIG{$sig}, $before, "SIG$sig: the caller's handler is back afterwards");
}
sub user_handler { }

# A signal handler set inside the block wins over freezethaw's.
my $got = '';
Sys::FreezeThaw::freezethaw {
    local $SIG{USR1} = sub { $got = 'mine' };
    kill USR1 => $$;
    select undef, undef, undef, 0.1;
};
is($got, 'mine', 'a handler set inside the block handles the signal');

# Nested exception inside eval inside the block is the block's business.
my $inner = Sys::FreezeThaw::freezethaw { eval { die "inner\n" }; "survived: $@" };
is($inner, "survived: inner\n", 'an exception caught inside the block does not end it');

kill_tree(@work);
done_testing;
