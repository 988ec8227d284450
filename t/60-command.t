use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use File::Temp qw(tempdir);
use Sys::FreezeThaw;

# bin/freezethaw, run as a user runs it, inside the test's namespace.

my @FT = ($^X, '-Iblib/lib', '-Iblib/arch', 'blib/script/freezethaw');
my $dir = tempdir(CLEANUP => 1);

# Runs freezethaw with the arguments; returns (exit status, stdout, stderr).
sub ft {
    my (@args) = @_;
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$dir/out" or die;
        open STDERR, '>', "$dir/err" or die;
        { no warnings "exec"; exec @FT, @args; }
        POSIX::_exit(99);
    }
    waitpid $pid, 0;
    my $status = $?;
    my ($out, $err) = map { local $/; open my $fh, '<', "$dir/$_" or die; scalar <$fh> } qw(out err);
    return (POSIX::WIFEXITED($status) ? POSIX::WEXITSTATUS($status) : -1, $out, $err);
}

sub state_of {
    open my $fh, '<', "/proc/$_[0]/stat" or return '';
    return scalar(<$fh>) =~ /\) (\S) / ? $1 : '';
}

my $idle = spawn_workload('idle');
my $busy = spawn_workload('busy');
my @ex = ('--exclude', $$);
my $check = "open my \$f, '<', '/proc/$idle/stat'; my \$s = <\$f>; exit(\$s =~ /\\) [Tt] / ? 0 : 1)";

for my $method (qw(signal ptrace)) {
    my ($rc, $out, $err) = ft(@ex, '--method', $method, '--', $^X, '-e', $check);
    is($rc, 0, "$method: COMMAND runs while the machine is frozen (it sees the workload stopped)") or diag($err);
    ok(!halted_in($idle, $busy), "$method: thawed when COMMAND exits");
}

my ($rc, $out, $err) = ft(@ex, '--', 'sh', '-c', 'echo on stdout; exit 3');
is($rc, 3, "COMMAND's exit status is freezethaw's");
is($out, "on stdout\n", 'COMMAND keeps standard output');
is($err, '', 'and freezethaw writes nothing without -v');

($rc) = ft(@ex, '--', 'sh', '-c', 'kill -9 $$');
is($rc, 128 + 9, 'killed by a signal: 128 + its number');

($rc, $out, $err) = ft(@ex, '--', 'no-such-command-here');
is($rc, 127, 'a COMMAND that does not exist: 127');
like($err, qr/^freezethaw: no-such-command-here: command not found$/m, '... said so');
is(state_of($idle), 'S', '... and nothing was frozen');

open my $fh, '>', "$dir/not-exec" or die;
print $fh "#!/bin/sh\n";
close $fh;
chmod 0644, "$dir/not-exec";
($rc, undef, $err) = ft(@ex, '--', "$dir/not-exec");
is($rc, 126, 'a COMMAND that cannot be run: 126');
like($err, qr/not an executable file/, '... said so');

my $t0 = time;
($rc, undef, $err) = ft(@ex, '--max-frozen', '0.3', '--', 'sh', '-c', 'sleep 1.5');
my $took = time - $t0;
is($rc, 124, 'a COMMAND that outlasts --max-frozen: 124');
like($err, qr/cut short after --max-frozen 0.3 seconds/, '... said so');
cmp_ok($took, '>=', 1.4, '... after COMMAND ended (it is not killed)');
ok(!halted_in($idle, $busy), '... everything runs');

for my $bad (['--timeout', 'soon'], ['--timeout', '0'], ['--max-frozen', '-1'], ['--method', 'magic'],
             ['--exclude', '0'], ['--exclude', 'x'], ['--no-such-option'], ['--demo', '3']) {
    ($rc, undef, $err) = ft(@$bad, '--', 'true');
    is($rc, 125, "bad option @$bad: 125");
    like($err, qr/^freezethaw: .+\nTry 'freezethaw --help'/, "bad option @$bad: says what is wrong");
}
($rc, undef, $err) = ft();
is($rc, 125, 'no COMMAND: 125');
($rc, undef, $err) = ft('--list', 'true');
is($rc, 125, '--list with a COMMAND: 125');
($rc, undef, $err) = ft('--recover', 'true');
is($rc, 125, '--recover with a COMMAND: 125');
like($err, qr/^freezethaw: --recover takes no COMMAND$/m, '... says so');
($rc, undef, $err) = ft('--list', '--recover');
is($rc, 125, '--list and --recover together: 125');
like($err, qr/^freezethaw: --list, --recover and --demo go alone$/m, '... says so');

($rc, $out) = ft('--help');
is($rc, 0, '--help: 0');
like($out, qr/Usage:.*--max-frozen/s, '--help: the options');
($rc, $out) = ft('--version');
like($out, qr/^freezethaw \Q$Sys::FreezeThaw::VERSION\E /, '--version');

# -v and --json
($rc, $out, $err) = ft(@ex, '-v', '--json', "$dir/report.json", '--', 'true');
is($rc, 0, '-v --json: 0');
like($err, qr/^freezethaw: froze \d+ processes \(\d+ threads\) in \d+ passes in [\d.]+ ms; true ran [\d.]+ ms; thawed in [\d.]+ ms; frozen window [\d.]+ ms$/,
     '-v: one summary line');
my $json = do { local $/; open my $j, '<', "$dir/report.json" or die; <$j> };
SKIP: {
    skip 'JSON::PP not installed', 4 unless eval { require JSON::PP; 1 };
    my $r = JSON::PP::decode_json($json);
    is_deeply([ sort keys %$r ],
              [ sort qw(version command method processes threads passes freeze_seconds command_seconds
                        thaw_seconds window_seconds command_status cut_short exit_code freeze) ],
              '--json: the documented keys');
    cmp_ok($r->{processes}, '>=', 2, '--json: processes');
    is_deeply($r->{command_status}, { exit => 0 }, '--json: command_status');
    ok(!$r->{cut_short}, '--json: cut_short false');
}
($rc, undef, $err) = ft(@ex, '--json', "$dir/no/such/dir/report.json", '--', 'sh', '-c', 'exit 4');
is($rc, 4, "--json to a file that cannot be written: COMMAND's status all the same");
like($err, qr{^freezethaw: cannot write \Q$dir\E/no/such/dir/report\.json: }m, '... and says so');
($rc, undef, $err) = ft(@ex, '--json', '-', '--', 'true');
like($err, qr/^\{.*"exit_code":0.*\}$/m, "--json -: on standard error");

# --list stops nothing and shows the tree.
($rc, $out) = ft('--list');
is($rc, 0, '--list: 0');
like($out, qr/^\s+\d+\s+$idle\s+\S+\s+S\s+/m, '--list: the idle workload, with pass, pid, user, state');
like($out, qr/^# a freeze now would stop \d+ processes in \d+ passes/m, '--list: the summary');
is(state_of($idle), 'S', '--list: stops nothing');

# The record for --recover exists while frozen, and is gone after the thaw.
{
    my $ino = (stat '/proc/self/ns/pid')[1];
    my $pattern = join ' ', map { "$_/sys-freezethaw-pidns-$ino.*.record" } qw(/run/lock /dev/shm /tmp);
    ($rc) = ft(@ex, '--', $^X, '-e', "exit(glob('$pattern') ? 0 : 1)");
    is($rc, 0, 'a record of the freeze exists while frozen');
    my @left = glob $pattern;
    is_deeply(\@left, [], '... and is removed by the thaw') or diag(map { record_diag($_) } @left);
}

# What a record left behind tells, for a failure seen once under load and
# never reproduced: its size and age, and whether its caller still runs.
sub record_diag {
    my ($path) = @_;
    my ($caller) = $path =~ /\.(\d+)\.record\z/;
    my @st = stat $path;
    my $cmd;
    if (open my $fh, '<', "/proc/$caller/cmdline") {
        local $/;
        $cmd = <$fh>;
    }
    $cmd =~ tr/\0/ / if defined $cmd;
    return sprintf "left: %s (%s bytes, %.3f s old); caller %s: %s\n", $path, $st[7] // '?',
        @st ? time - $st[9] : -1, $caller, defined $cmd ? "runs '$cmd' (state " . state_of($caller) . ')' : 'gone';
}

# --recover refuses while a freeze is in progress: its guard is alive.
{
    pipe my $r, my $w or die;
    my $child = fork // die;
    if (!$child) {
        close $r;
        my $t = Sys::FreezeThaw::freeze({ exclude => [getppid()] });
        syswrite $w, 'x';
        sleep 60;
        exit 0;
    }
    close $w;
    sysread $r, my $buf, 1;
    ($rc, undef, $err) = ft('--recover');
    is($rc, 125, '--recover during a freeze: 125');
    like($err, qr/^freezethaw: cannot recover: another freeze is in progress in this PID namespace/m,
         '... says why');
    is(state_of($idle), 'T', '... and continues nothing');
    kill KILL => $child;
    waitpid $child, 0;
    ok(wait_until(sub { !halted_in($idle, $busy) }, 3), '... (the guard thaws when that freezer dies)');
}

# --recover: the freezing process and its guard both killed.  A small
# tree among the processes: its children are stopped as one group, whose
# record is written in one go (sft_guard_flush); every process stopped
# must be recorded, and every one recorded continued.
($rc, $out) = ft('--recover');
is($rc, 0, '--recover with nothing to recover: 0');
like($out, qr/nothing to do/, '... says so');
{
    my $tree = spawn_workload({ ready => 1 + 6 }, 'tree', 1, 6, 'idle');
    my @tree = ($tree, descendants($tree));
    pipe my $r, my $w or die;
    my $child = fork // die;
    if (!$child) {
        close $r;
        my $t = Sys::FreezeThaw::freeze({ exclude => [getppid()] });
        syswrite $w, Sys::FreezeThaw::last_freeze()->{guard_pid} . ' ' . scalar(map { @$_ } @$t) . "\n";
        sleep 60;
        exit 0;
    }
    close $w;
    my ($guard, $stopped) = split ' ', <$r> // '';
    kill KILL => $guard, $child;
    waitpid $child, 0;
    sleep 0.2;
    is(state_of($idle), 'T', 'freezer and guard killed together: the workload stays stopped');
    is(scalar(halted_in(@tree)), 7, '... the tree too');
    ($rc, $out) = ft('--recover');
    is($rc, 0, '--recover: 0');
    like($out, qr/continued [1-9]\d* of the \d+ processes recorded/, '--recover: says what it continued');
    my ($continued, $recorded) = $out =~ /continued (\d+) of the (\d+) processes recorded/;
    ok(defined $recorded && $continued == $recorded && $recorded == $stopped,
       "... every one of the $stopped it stopped was recorded") or diag($out);
    unlike($out, qr/the others/, '... and it does not speak of others');
    ok(wait_until(sub { !halted_in($idle, $busy, @tree) }, 3), '--recover: everything runs again');
    kill_tree($tree);
    ($rc, $out) = ft('--recover');
    like($out, qr/nothing to do/, '--recover: the record is gone');
}

# --timeout, --partial-ok and --exclude, with a process that never stops
# (a tracer swallows its SIGSTOPs) and the tracer excluded.
{
    my $stubborn = spawn_workload('busy');
    my $tracer = spawn_workload('eatstop', $stubborn);
    my $t0 = time;
    ($rc, undef, $err) = ft(@ex, '--exclude', $tracer, '--timeout', '0.3', '--', 'true');
    my $took = time - $t0;
    is($rc, 125, '--timeout: a freeze that cannot finish: 125');
    like($err, qr/^freezethaw: freeze failed: unable to stop some processes: $stubborn .*nothing is frozen$/m,
         '... names the process');
    cmp_ok($took, '<', 0.3 + 2, '... within about --timeout');
    ok(!halted_in($idle, $busy), '... nothing left stopped');

    my $probe = "open my \$f, '<', '/proc/$idle/stat'; my \$s = <\$f>; "
              . "open my \$g, '<', '/proc/$tracer/stat'; my \$u = <\$g>; "
              . "exit((\$s =~ /\\) T / ? 0 : 1) + (\$u =~ /\\) T / ? 2 : 0))";
    ($rc, undef, $err) = ft(@ex, '--exclude', $tracer, '--timeout', '0.3', '--partial-ok', '--json', '-', '--', $^X, '-e', $probe);
    is($rc, 0, '--partial-ok: COMMAND ran with the rest frozen, the excluded tracer running') or diag($err);
    like($err, qr/"not_stopped":\[\{[^]]*"pid":$stubborn/, '--partial-ok: the report names the one not stopped');
    kill_tree($tracer, $stubborn);
}

# Signals sent to freezethaw go to COMMAND; the thaw follows.
{
    my $pid = fork // die;
    if (!$pid) {
        open STDERR, '>', "$dir/sigerr";
        { no warnings 'exec'; exec @FT, @ex, '--exclude', getppid(), '--', 'sleep', '30'; }
        POSIX::_exit(99);
    }
    ok(wait_until(sub { grep { $_->[3] eq 'sleep' } thread_states() }, 5), 'COMMAND started');
    ok(wait_until(sub { halted_in($idle) }, 5), '... in the frozen window');
    kill TERM => $pid;
    waitpid $pid, 0;
    is($? >> 8, 128 + 15, 'SIGTERM to freezethaw ends COMMAND, and freezethaw exits with its status');
    ok(!halted_in($idle, $busy), '... after the thaw');
}

($rc, $out) = ft('--man');
is($rc, 0, '--man: 0');
like($out, qr/EXIT STATUS.*124.*125.*126.*127/s, '--man: the manual, with the exit codes');

# --demo, in a namespace of its own within this one.
($rc, $out, $err) = ft('--demo', '20');
is($rc, 0, '--demo: 0') or diag($err);
like($out, qr/During the freeze.*After the thaw.*Froze \d+ processes/s, '--demo: before, during, after, summary');

kill_tree($idle, $busy);
done_testing;
