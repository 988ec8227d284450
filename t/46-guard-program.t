use strict;
use warnings;
use lib 't/lib';
use FreezeThawTest;
use Test::More;
use Time::HiRes qw(time);
use Config;
use File::Temp ();
use Cwd ();
use POSIX ();
use Sys::FreezeThaw;

# The guard starts from its own program with posix_spawn, not as a fork of
# the caller, so that it holds none of the caller's memory: a fork copied
# the page tables of a 1 GB caller for 45 ms, and kept every page shared
# copy-on-write for the whole window.  The kernel tells which start was
# used: /proc/GUARD/exe names the program, and the guard's resident memory
# stays small beside a caller that holds 200 MB.  Where the program cannot
# start, or belongs to another build, the guard is forked, and the freeze
# and the dead man's switch work all the same.

my $program = Sys::FreezeThaw::_guard_program_path();
ok($program && -x $program, 'the guard program is built beside the library')
    or diag('no freezethaw-guard beside ' . join(' ', @DynaLoader::dl_shared_objects));

is(system($program // '/nonexistent') >> 8, 2, 'run by hand, without its descriptors, it exits at once (status 2)');

my $fake = File::Temp->new(SUFFIX => '-guard');
print $fake "#!/bin/sh\nexit 2\n";
close $fake;
chmod 0755, "$fake" or die "chmod: $!";

# The guard program of another version of the library: it must refuse the
# caller's mapping, whose layout it cannot know, and the guard is forked.
my $other = 't/bin/freezethaw-guard-other';
mkdir 't/bin';
my $built_other = $Config{cc}
    && system($Config{cc}, qw(-std=gnu99 -O1 -Isrc -DVERSION="0.00-other"), '-o', $other,
              'src/prog/freezethaw-guard.c', (grep { !/FreezeThaw\.c$/ } glob 'src/*.c'), '-lpthread') == 0;
ok($built_other, 'a guard program of another version is built for the test') or diag("with $Config{cc}");

my $big = 'x' x (200 * 1024 * 1024);   # resident in the caller
my @work = (
    spawn_workload('busy'),
    spawn_workload('threads', 3, 'idle'),
    spawn_workload({ ready => 1 + 4 + 16 }, 'tree', 2, 4, 'idle'),
);

sub rss_kb { return scalar(status_field($_[0], 'VmRSS')) // 0 }

my $perl = readlink "/proc/$$/exe";
cmp_ok(rss_kb($$), '>', 200 * 1024, 'the caller holds over 200 MB');

my @starts = (
    [ 'the program',        $program,                          1 ],
    [ 'a fork',             undef,                             0 ],
    [ 'a program that fails', "$fake",                         0 ],
    ($built_other ? [ 'the program of another version', $other, 0 ] : ()),
    [ 'a missing program',  '/nonexistent/freezethaw-guard',   0 ],
);
for my $method (qw(signal ptrace)) {
    for my $start (@starts) {
        my ($how, $path, $spawned) = @$start;
        $Sys::FreezeThaw::_GUARD_PROGRAM = $path;
        my $t = eval { Sys::FreezeThaw::freeze({ method => $method }) };
        is($@, '', "$method, $how: the freeze succeeds");
        frozen_ok("$method, $how: every thread is stopped");
        my $guard = Sys::FreezeThaw::last_freeze()->{guard_pid};
        my ($exe, $rss) = (readlink("/proc/$guard/exe") // '', rss_kb($guard));
        if ($spawned) {
            is($exe, readlink($program) // Cwd::abs_path($program), "$method, $how: the guard runs the program");
            cmp_ok($rss, '<', 50 * 1024, "$method, $how: the guard holds little memory ($rss kB)");
        } else {
            is($exe, $perl, "$method, $how: the guard is a fork of the caller");
            # What the program avoids, seen here: the caller's pages.
            cmp_ok($rss, '>', 150 * 1024, "$method, $how: the fork holds the caller's memory ($rss kB)");
        }
        Sys::FreezeThaw::thaw($t) if $t;
        thawed_ok($t // [], "$method, $how: all run again after thaw");
    }
}

# The dead man's switch, whichever way the guard started.
for my $start (@starts[0, 1]) {
    my ($how, $path) = @$start;
    $Sys::FreezeThaw::_GUARD_PROGRAM = $path;
    for my $method (qw(signal ptrace)) {
        my $child = frozen_child(method => $method);
        ok(scalar halted_in(@work), "$method, $how: frozen by a child");
        kill KILL => $child;
        waitpid $child, 0;
        ok(wait_until(sub { !halted_in(@work) }, 3), "$method, $how: SIGKILL of the freezer: all run again")
            or diag('still stopped: ' . join ' ', halted_in(@work));
    }
}
$Sys::FreezeThaw::_GUARD_PROGRAM = $program;

# The guard's parent, the middle process the caller waits for, is never
# frozen, even when the ptrace freeze (which the guard starts as soon as
# it is armed) begins before it has exited.  Here it lingers 300 ms:
# seized, it never exited, and the caller waited for it for ever.
{
    pipe my $r, my $w or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        local $ENV{FREEZETHAW_TEST_MIDDLE_LINGER_MS} = 300;
        my $t0 = time;
        my $t = eval { freeze_when_free({ method => 'ptrace', exclude => [getppid()] }) };
        my $took = time - $t0;
        my @running = not_halted(getppid());
        Sys::FreezeThaw::thaw($t) if $t;
        syswrite $w, sprintf("%s|%.3f|%s\n", $t ? 'frozen' : "error $@", $took, join ' ', @running);
        POSIX::_exit(0);
    }
    close $w;
    my $exited = wait_until(sub { waitpid($pid, POSIX::WNOHANG()) == $pid }, 20);
    if (!$exited) {
        kill KILL => $pid;
        waitpid $pid, 0;
        kill_others();
    }
    ok($exited, 'a middle process slow to exit: the freeze returns');
    my ($how, $took, $running) = split /\|/, (<$r> // '||'), 3;
    chomp $running if defined $running;
    is($how, 'frozen', 'it froze');
    cmp_ok($took || 0, '>=', 0.25, 'after the middle process exited (the slow exit was there to meet)');
    is($running, '', 'with every thread stopped') or diag("still running: $running");
}

kill_tree(@work);
done_testing;
