use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use File::Temp qw(tempdir);
use Sys::FreezeThaw;

# A job-control shell (bash with set -m) on a pseudo-terminal, running a
# foreground job, must never report the job as stopped across freezes.

my $bash = (grep { -x } qw(/bin/bash /usr/bin/bash /usr/local/bin/bash))[0];
plan skip_all => 'bash is not installed' unless $bash;

my $CYCLES = 50;
my $dir = tempdir(CLEANUP => 1);
my $log = "$dir/pty.log";

sub shell {
    my ($job) = @_;
    return spawn_workload('pty', $log, $bash, '--norc', '--noprofile', '-c',
                          "set -m; echo started; $job; echo job-ended");
}
sub log_text { open my $fh, '<', $log or return ''; local $/; return <$fh> // '' }
sub job_pids {
    my ($cmd) = @_;
    return map { $_->[0] } grep { $_->[0] == $_->[1] && $_->[3] eq $cmd } thread_states();
}

my $runner = shell('sleep 1000');
ok(wait_until(sub { log_text() =~ /started/ && job_pids('sleep') }), 'bash runs its foreground job')
    or diag(log_text());

for my $cycle (1 .. $CYCLES) {
    my $t = Sys::FreezeThaw::freeze;
    Sys::FreezeThaw::thaw($t);
}
select undef, undef, undef, 0.3;

unlike(log_text(), qr/Stopped/, "bash never reported its job stopped in $CYCLES cycles");
unlike(log_text(), qr/job-ended/, 'the job is still in the foreground');
my ($sleep) = job_pids('sleep');
ok($sleep && !halted_in($sleep), 'the job runs');

# Control: the check can fail.  Stopping the job while bash runs is reported.
kill STOP => $sleep;
ok(wait_until(sub { log_text() =~ /Stopped/ }, 5), 'control: a job stopped behind bash\'s back is reported')
    or diag(log_text());

kill_tree($runner);
done_testing;
