use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw;

# MAX_FROZEN: when the frozen window has lasted that long, every frozen
# process is continued, even while the freezer is blocked.

my $busy = spawn_workload('busy');

# The classic deadlock: the block writes into a pipe whose reader is frozen.
{
    pipe my $r, my $w or die;
    my $reader = fork // die;
    if (!$reader) {
        close $w;
        my $buf;
        sleep 0.01 while !sysread($r, $buf, 65536) || 1;   # drains forever
        exit 0;
    }
    close $r;
    local $Sys::FreezeThaw::MAX_FROZEN = 0.5;
    my ($t0, $wrote, $running_meanwhile) = (time, 0, 0);
    my $ok = eval {
        Sys::FreezeThaw::freezethaw {
            # 1 MB into a pipe of 64 KB: blocks until the frozen reader runs.
            $wrote = syswrite($w, 'x' x 65536) // 0 for 1 .. 16;
            $running_meanwhile = !halted_in($busy);
        };
        1;
    };
    my $took = time - $t0;
    ok(!$ok, 'freezethaw dies when MAX_FROZEN cut the window short');
    like($@, qr/^ERROR: the frozen window was cut short: after 0\.5 seconds \(\$Sys::FreezeThaw::MAX_FROZEN\)/,
         'the message says the window was cut short');
    ok($running_meanwhile, 'the processes ran again while the block was still inside');
    cmp_ok($took, '>=', 0.5, 'not before MAX_FROZEN');
    cmp_ok($took, '<', 0.5 + 3, 'the blocked write completed soon after');
    is_deeply([ halted_in($busy) ], [], 'nothing stopped afterwards');
    kill_tree($reader);
}

# A later thaw of a cut token does nothing, and says so only under warnings.
{
    local $Sys::FreezeThaw::MAX_FROZEN = 1;   # long enough to look, under load
    my $t = Sys::FreezeThaw::freeze();
    ok(scalar(halted_in($busy)), 'frozen');
    ok(wait_until(sub { !halted_in($busy) }, 5), 'after MAX_FROZEN the processes run, though nobody thawed');
    kill STOP => $busy;     # stopped by hand since: a thaw must not touch it
    stopped_by_hand($busy);
    my @warnings;
    local $SIG{__WARN__} = sub { push @warnings, @_ };
    {
        use warnings;
        Sys::FreezeThaw::thaw($t);
    }
    like("@warnings", qr/MAX_FROZEN already cut the frozen window short/, 'under warnings: thaw says it had nothing to do');
    ok(scalar(halted_in($busy)), 'and continued nothing');
    @warnings = ();
    my $idle = spawn_workload('idle');
    my $t2 = Sys::FreezeThaw::freeze({ exclude => [$busy] });
    ok(scalar(halted_in($idle)), 'a second window');
    ok(wait_until(sub { !halted_in($idle) }, 5), 'cut short too');
    kill_tree($idle);
    {
        no warnings;
        Sys::FreezeThaw::thaw($t2);
    }
    is_deeply(\@warnings, [], 'without warnings: silent');
    kill CONT => $busy;
}

# The user's SIGALRM is not taken: an alarm inside a long window still fires.
{
    local $Sys::FreezeThaw::MAX_FROZEN = 5;
    my $fired = 0;
    local $SIG{ALRM} = sub { $fired++ };
    my $t = Sys::FreezeThaw::freeze();
    alarm 1;
    sleep 1.5;
    Sys::FreezeThaw::thaw($t);
    is($fired, 1, 'the user\'s alarm and SIGALRM handler work while frozen with MAX_FROZEN');
    is(ref $SIG{ALRM}, 'CODE', 'and the handler is still the user\'s');
}

# Without MAX_FROZEN (the library's default) the window lasts until thaw.
{
    is($Sys::FreezeThaw::MAX_FROZEN, undef, 'MAX_FROZEN is undef by default');
    my $t = Sys::FreezeThaw::freeze();
    sleep 1;
    ok(scalar(halted_in($busy)), 'still frozen after a second');
    Sys::FreezeThaw::thaw($t);
}

# Bad values are refused.
for my $bad (0, -1, 'soon', 1e9) {
    ok(!eval { Sys::FreezeThaw::freeze({ max_frozen => $bad }); 1 }, "max_frozen '$bad' refused");
    like($@, qr/max_frozen must be undef or a number of seconds/, '... with a clear message');
}

kill_tree($busy);
done_testing;
