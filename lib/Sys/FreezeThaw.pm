package Sys::FreezeThaw;

use 5.010001;
use strict;
use warnings;

use Carp ();
use Scalar::Util ();
use XSLoader;
use warnings::register;

our $VERSION = '1.01';
XSLoader::load('Sys::FreezeThaw', $VERSION);

our $PARTIAL_OK = 0;
our $TIMEOUT    = 5;
our @EXCLUDE    = ();
our $MAX_FROZEN;          # undef: no limit
our $METHOD     = 'signal';

# Tests only: name processes by start time, as on kernels without pidfd.
our $_NO_PIDFD = 0;
# Tests only: how many threads seize with the ptrace method (0: one per CPU).
our $_TRACERS = 0;

use constant _PID_MAX => 4194304;   # PID_MAX_LIMIT of the Linux kernel

# The guard program, installed beside this module's shared library: the
# guard starts from it with posix_spawn instead of as a fork of the caller,
# so that it holds none of the caller's memory (see SAFETY).  Without it,
# the guard is forked.
sub _guard_program_path {
    for my $so (reverse @DynaLoader::dl_shared_objects) {
        next unless $so =~ m{\A(.*/auto/Sys/FreezeThaw/)FreezeThaw\.[^/]+\z};
        my $program = "${1}freezethaw-guard";
        return -f $program && -x _ ? $program : undef;
    }
    return undef;
}
# Tests only: undef forks the guard.
our $_GUARD_PROGRAM = _guard_program_path();

# The signals freezethaw turns into an exception while the block runs.
my @CAUGHT = qw(INT TERM QUIT HUP PIPE ALRM USR1 USR2);

# What the last freeze in this interpreter did (see last_freeze).
my $last_report;

# The token of this interpreter's last freeze, weakly: a freeze while it
# is not yet thawed fails at once (see One freeze at a time in the POD).
my $open_token;

sub _is_pid {
    my ($v, $min) = @_;
    return defined $v && !ref $v && $v =~ /\A[0-9]+\z/ && $v >= $min && $v <= _PID_MAX;
}

# Re-raises an error of the XS layer as if croaked at the user's call,
# keeping $! as the core set it.
sub _rethrow {
    my ($err) = @_;
    my $errno = $! + 0;
    $err =~ s/ at \S+ line \d+(?:, <[^>]*> (?:line|chunk) \d+)?\.\n\z//;
    $! = $errno;
    Carp::croak($err);
}

sub _options {
    my ($opt) = @_;
    my %o = (timeout => $TIMEOUT, partial_ok => $PARTIAL_OK, exclude => \@EXCLUDE,
             max_frozen => $MAX_FROZEN, method => $METHOD);

    if (defined $opt) {
        ref $opt eq 'HASH'
            or Carp::croak("Sys::FreezeThaw::freeze: the argument must be a HASH reference of options");
        for my $k (sort keys %$opt) {
            exists $o{$k}
                or Carp::croak("Sys::FreezeThaw::freeze: unknown option '$k' (known: exclude, max_frozen, method, partial_ok, timeout)");
            $o{$k} = $opt->{$k};
        }
    }

    my $t = $o{timeout};
    defined $t && !ref $t && Scalar::Util::looks_like_number($t) && $t > 0 && $t <= 86400
        or Carp::croak("Sys::FreezeThaw::freeze: timeout must be a number of seconds above 0 and at most 86400, not "
                       . (defined $t ? "'$t'" : 'undef'));

    defined $o{method} && !ref $o{method} && $o{method} =~ /\A(?:signal|ptrace)\z/
        or Carp::croak("Sys::FreezeThaw::freeze: method must be 'signal' or 'ptrace', not "
                       . (defined $o{method} ? "'$o{method}'" : 'undef'));

    my $m = $o{max_frozen};
    !defined $m || (!ref $m && Scalar::Util::looks_like_number($m) && $m > 0 && $m <= 86400)
        or Carp::croak("Sys::FreezeThaw::freeze: max_frozen must be undef or a number of seconds above 0 and at most 86400, not '$m'");

    ref $o{exclude} eq 'ARRAY'
        or Carp::croak("Sys::FreezeThaw::freeze: exclude must be an ARRAY reference of pids");
    for my $pid (@{ $o{exclude} }) {
        _is_pid($pid, 1)
            or Carp::croak("Sys::FreezeThaw::freeze: exclude entry "
                           . (defined $pid ? "'$pid'" : 'undef') . " is not a pid from 1 to " . _PID_MAX);
    }
    return %o;
}

sub freeze(;$) {
    my %o = _options(@_);
    my ($token, $report) = eval {
        _freeze($o{exclude}, $o{timeout}, $o{partial_ok} ? 1 : 0, $o{max_frozen} // 0, $_NO_PIDFD ? 1 : 0,
                $o{method} eq 'ptrace' ? 1 : 0, $_TRACERS, $_GUARD_PROGRAM, $open_token);
    };
    _rethrow($@) unless $token;
    $last_report = $report;
    $open_token = $token;
    Scalar::Util::weaken($open_token);
    return $token;
}

# Continues the processes of a token; false if MAX_FROZEN had cut the
# window short already (then nothing is sent).
sub _thaw_token {
    my ($token) = @_;
    # Every pid is checked before anything is sent (in the XS, for speed):
    # a reference, defined, all digits, 2 to 4194304.
    my $bad = _token_error($token);
    Carp::croak($bad) if defined $bad;
    my $done = eval { _thaw($token) } // _rethrow($@);
    return $done;
}

# What _thaw_token returns when it had to kill a guard that did not
# answer the thaw (the processes were continued all the same).
sub _GUARD_KILLED() { 2 }

sub _warn_guard_killed {
    my ($done) = @_;
    warnings::warnif('misc', 'Sys::FreezeThaw::thaw: the guard process did not answer within 4 seconds '
                             . 'and was killed; every process was continued all the same')
        if $done && $done == _GUARD_KILLED;
}

sub thaw($) {
    my ($token) = @_;
    my $done = _thaw_token($token);
    warnings::warnif('misc', 'Sys::FreezeThaw::thaw: MAX_FROZEN already cut the frozen window short '
                             . 'and continued every process; nothing to do')
        unless $done;
    _warn_guard_killed($done);
    return;
}

sub freezethaw(&) {
    my ($code) = @_;
    my $want = wantarray;
    my (@ret, $ok, $err);

    my $token = freeze();
    my $continued;
    {
        local @SIG{@CAUGHT} = map {
            my $name = $_;
            sub { die "ERROR: caught SIG$name while system frozen" };
        } @CAUGHT;
        $ok = eval {
            if ($want)            { @ret = $code->() }
            elsif (defined $want) { $ret[0] = $code->() }
            else                  { $code->() }
            1;
        };
        $err = $@;
        $continued = _thaw_token($token);
    }
    _warn_guard_killed($continued);
    die $err unless $ok;
    die "ERROR: the frozen window was cut short: after $MAX_FROZEN seconds (\$Sys::FreezeThaw::MAX_FROZEN) "
        . "every process was continued while the block still ran\n"
        unless $continued;
    return $want ? @ret : $ret[0];
}

sub last_freeze {
    return undef unless $last_report;
    my %copy = %$last_report;
    $copy{skipped} = { %{ $last_report->{skipped} } };
    $copy{$_} = [ map { +{%$_} } @{ $last_report->{$_} } ] for qw(not_stopped counted_frozen);
    $copy{signal_fallback} = [ @{ $last_report->{signal_fallback} } ];
    return \%copy;
}

1;

__END__

=head1 NAME

Sys::FreezeThaw - stop and restart all user processes on a Linux machine

=head1 SYNOPSIS

  use Sys::FreezeThaw;

  # Recommended: freeze, run the block, always thaw.
  my $result = Sys::FreezeThaw::freezethaw {
      rename "config.new", "config";   # nobody sees it half done
      42;
  };

  # Or in two steps.
  my $token = Sys::FreezeThaw::freeze;
  ... do something quickly ...
  Sys::FreezeThaw::thaw $token;

  # Per call options override the package variables.
  my $token = Sys::FreezeThaw::freeze { timeout => 2, exclude => [$helper_pid] };

=head1 DESCRIPTION

This module stops ("freezes") every user process on the machine but
pid 1 and the caller, lets the caller do something while nothing else
runs, and continues ("thaws") them again.  It is a drop-in replacement
for the pure-Perl Sys::FreezeThaw 0.01 and 0.02 with a C core: scripts
written for those keep working unchanged, faster and without their
defects.

Processes are stopped with C<SIGSTOP>, parents before children, and
continued with C<SIGCONT>, children before parents.  A parent that is
already stopped cannot see its child stop, so a shell or supervisor that
waits for its children with C<WUNTRACED> never reports a job as stopped.

A freeze returns only when every thread of every process it stopped has
stopped, as read back from F</proc> (not only each process's main
thread), and after a new read of F</proc> found nothing left running:
processes forked while the freeze ran are stopped too.  If that cannot be
reached within C<$TIMEOUT> seconds, every process that was sent a stop is
continued again and C<freeze> dies saying which processes would not stop
and why.

Processes that fork without pause (a loop forking short-lived children,
a chain in which every generation forks its successor and exits) and
processes that create threads in a loop are frozen completely: the
freeze re-reads F</proc> until a read finds nothing running and saw no
process die during it (a process that dies between the listing of
F</proc> and the reading of its state may have forked a child the
listing missed).  A storm that keeps ahead of the freeze for
C<$TIMEOUT> seconds makes it fail, with nothing left stopped.

A thread in uninterruptible sleep (state D) whose stop is pending counts
as stopped: it cannot run user code before it stops.  The parent of a
C<vfork> waits in D until its child execs or exits; it counts as frozen
and its child is stopped next.  Such processes are listed under
C<counted_frozen> by C<last_freeze>.  A thread in D inside C<fork>,
C<clone> or C<clone3> (without C<CLONE_VFORK>) does not count until it
leaves that call: the task it is making would not be stopped (its
F</proc/PID/task/TID/syscall> says so; where the freeze may not read
it, such a thread counts as before).

A thread held in a ptrace stop by a tracer (a debugger, strace) counts
as stopped only when its tracer is stopped by the same freeze: a tracer
that is pid 1, the caller, excluded, or outside this PID namespace may
resume it at any moment, so the freeze waits for it like for a running
thread.

Not stopped: pid 1, the caller (with all its threads), the pids in
C<@EXCLUDE>, kernel threads, zombies, and processes that were already
stopped (these are not in the token, so C<thaw> leaves them stopped).

Linux only; F</proc> must be mounted.

=head1 FUNCTIONS

=over 4

=item Sys::FreezeThaw::freezethaw { BLOCK }

Freezes, runs BLOCK, thaws, and returns what BLOCK returned, in the
caller's context (list, scalar or void).  If BLOCK dies, the processes
are thawed first and the exception is rethrown.  If the freeze fails,
BLOCK is not run and the freeze's exception propagates.

While BLOCK runs, the signals INT, TERM, QUIT, HUP, PIPE, ALRM, USR1 and
USR2 are caught: each ends BLOCK with the exception
C<ERROR: caught SIGxxx while system frozen>, then everything is thawed
and the exception is rethrown.  To handle one of these signals yourself,
set C<local $SIG{...}> inside BLOCK.

Keep BLOCK short and avoid anything that may wait on another process:
writing to a terminal whose emulator is frozen, a pipe whose reader is
frozen, name lookups through a frozen daemon, and so on.

=item $token = Sys::FreezeThaw::freeze

=item $token = Sys::FreezeThaw::freeze { OPTIONS }

Stops every process as described above and returns a token for C<thaw>:
an unblessed ARRAY reference of passes, each an ARRAY reference of pids,
every pid in a later pass than its parent.  Each names a process stopped
by this freeze, once: a process that exited while the freeze ran (it
was on its way out when its stop came) is not in it.  The optional HASH reference
overrides the package variables for this call: C<timeout> (C<$TIMEOUT>),
C<partial_ok> (C<$PARTIAL_OK>), C<max_frozen> (C<$MAX_FROZEN>),
C<method> (C<$METHOD>) and C<exclude> (an ARRAY reference, for
C<@EXCLUDE>).  Any other key is an
error.

The token also carries, invisibly (as magic on the outer array), which
process each pid named when it was stopped, and the guard that watches
over the frozen window.  A token that is freed without being thawed
(it went out of scope) thaws its processes then.

On failure nothing is left stopped: every process that was sent a
C<SIGSTOP> is sent a C<SIGCONT> (not only those seen stopped: a process
in uninterruptible sleep stops later), then C<freeze> dies (see
L</DIAGNOSTICS>).

=item Sys::FreezeThaw::thaw $token

Sends C<SIGCONT> to the processes of a token, the last pass first.
C<SIGCONT> takes effect within the C<kill> call, so when C<thaw> returns
every process of the token runs again.  Only the processes this freeze
stopped are continued: a process that has exited since is passed over
even if a new process has taken its pid (see L</SAFETY>).  A copy of a
token, or one built by hand from plain pids, still works: it continues
those of its pids whose processes are stopped now.  Thawing a token a
second time does nothing.  With the ptrace method, a guard that has not
answered the thaw within 4 seconds is killed and the processes are
continued all the same; C<thaw> (and C<freezethaw>) then warns, under
C<use warnings> (see L</SAFETY>).

The token is checked before anything is sent: it must be an ARRAY
reference of ARRAY references of whole numbers from 2 to 4194304.
Anything else (pid 0, -1 or 4294967295 among them, which C<kill> would
read as "my process group" or "every process") is an error and nothing
is continued.

=item $report = Sys::FreezeThaw::last_freeze

Returns a HASH reference describing the last successful C<freeze> made
by this interpreter (each ithread has its own; undef before the first).
The report is a copy: changing it changes nothing.  Keys:

=over 4

=item C<processes>, C<threads>, C<passes>

How many processes are in the token, how many threads they had when each
was confirmed stopped, and in how many passes they were stopped.

=item C<seconds>, C<scan_seconds>, C<stop_seconds>

The time the freeze took, and how much of it went into reading F</proc>
for processes and into sending stops and waiting for them.

=item C<scans>, C<stat_reads>

How many times F</proc> was read through, and how many F<stat> and
F<status> files were read in all.  With the ptrace method and several
tracer threads (see L</METHODS>), C<scans> and the times are those of
the guard's main thread (its part, then its reads of all of F</proc>);
C<stat_reads> counts every thread's.

=item C<nudged>, C<realtime>

How many processes had not stopped at the first look and ran at
C<SCHED_RR> 1 until they had (only where the caller may raise
priorities, as root does); each got its own policy back as soon as it
stopped.  And whether the freezer itself ran at C<SCHED_FIFO> 1 (1) or
at its own priority (0): it does when the caller may and, as the freeze
began, more threads were runnable than there are CPUs.  See
L</PERFORMANCE>.

=item C<skipped>

A HASH reference of what the last read of F</proc> passed over, by
reason: C<excluded> (pid 1, the caller and C<@EXCLUDE>),
C<kernel_threads>, C<already_stopped> (stopped or held by a debugger
before; they stay stopped after C<thaw>), C<zombies>, C<vanished>
(exited while being read).

=item C<method>, C<signal_fallback>

The method used (C<signal> or C<ptrace>), and, with C<ptrace>, an ARRAY
reference of the pids that could not be seized and were stopped with
signals (at most 64 listed).

=item C<guard_pid>

The pid of the guard process that watches over the window (see
L</SAFETY>).

=item C<counted_frozen>

An ARRAY reference of the processes counted as frozen although not in
state T, each a HASH reference with C<pid>, C<comm> (command name),
C<state> (the state letter last read) and C<reason>:
C<uninterruptible sleep, stop pending> (see L</DESCRIPTION>) or
C<in a frozen cgroup> (a cgroup freezer holds it; such a process may
never reach T while its cgroup stays frozen, but it cannot run).

=item C<not_stopped>

An ARRAY reference of the processes C<$PARTIAL_OK> let the freeze go
past, in the same form, with C<reason> C<timeout> or
C<permission denied>.

=back

=back

=head1 VARIABLES

All can be C<local>ized; the options of C<freeze> override them for one
call.

=over 4

=item $Sys::FreezeThaw::TIMEOUT

The seconds a freeze may spend before it gives up (default 5).  A freeze
of a healthy machine takes milliseconds; five seconds leave room for a
heavily loaded machine with thousands of processes, yet bound how long a
failing freeze holds the machine half stopped.

=item $Sys::FreezeThaw::PARTIAL_OK

False (the default): a process that does not stop within C<$TIMEOUT>, or
that the caller may not signal, makes C<freeze> fail.  True, as in
Sys::FreezeThaw 0.02: the freeze goes on without it, keeps it in the
token (a later C<SIGCONT> to it is harmless) and lists it under
C<not_stopped> in the report of C<last_freeze> (see L</FUNCTIONS>).  The freeze still returns within
about C<$TIMEOUT> seconds, plus at most 50 ms for each pass stopped after
the time ran out (healthy processes stop in microseconds; they are given
that long so that they are not reported along with the stubborn ones).

=item @Sys::FreezeThaw::EXCLUDE

Further pids never to stop, besides pid 1 and the caller (default
empty).  Children of an excluded process are still stopped.

=item $Sys::FreezeThaw::METHOD

How processes are stopped: C<signal> (the default) or C<ptrace>.
Option: C<method>.  See L</METHODS>.

=item $Sys::FreezeThaw::MAX_FROZEN

The longest the frozen window may last, in seconds, or undef (the
default) for no limit.  When the window (from the start of the freeze)
has lasted that long, every frozen process is continued, even while the
freezing process is blocked, for example writing to a terminal or pipe
whose other end is frozen.  C<freezethaw> then dies, after its block
returns, with C<ERROR: the frozen window was cut short ...>; a later
C<thaw> of that token continues nothing (and warns, under C<use
warnings>, that it had nothing to do).  The library sets no limit
because only the caller knows how long its work may take; a command
that runs arbitrary code while frozen should set one.  The limit is
kept by the guard process (see L</SAFETY>), not with C<alarm>: the
caller's C<SIGALRM> stays its own.  Option: C<max_frozen>.

=back

=head1 METHODS

=over 4

=item signal

C<SIGSTOP>, parents before children, and C<SIGCONT>, children before
parents, as the original module did.  It works wherever the caller may
signal the processes.  It is seen: each parent is sent C<SIGCHLD> when
its child stops and when it continues.  Parents stopped first cannot act
on it, and a parent that waits with C<WUNTRACED> never sees its child
stopped; but the signal itself stays pending and is delivered after the
thaw, so a program that reads its details (through C<signalfd> or an
C<SA_SIGINFO> handler) learns that its child stopped, and some then stop
themselves.  Every process receives a C<SIGCONT>: its handler runs,
some programs redraw their screens.

=item ptrace

No signal at all.  Every thread of every process is seized and
interrupted (C<PTRACE_SEIZE>, C<PTRACE_INTERRUPT>) into a ptrace stop
(state t), and detached at thaw: parents are told nothing, C<wait>
reports nothing, no C<SIGCONT> is delivered.  New threads and children
of seized processes are seized by the kernel as they appear, so fork
storms are caught.  The guard process (see L</SAFETY>) does the tracing
and holds the processes for the caller: tracing events never reach the
caller's C<wait> or its C<SIGCHLD>, C<MAX_FROZEN> is kept even while the
caller is blocked, and if the guard dies the kernel detaches every
process, so they run again.  The guard seizes from one thread per CPU
(at most 4), each taking its share of the processes (by a hash of their
pids), and then reads F</proc> once more from one thread to make sure
nothing runs; if the calling program has threads of its own and the
guard had to be forked from it (see L</SAFETY>), the guard starts none
and seizes everything itself.

A process that cannot be seized (already traced by strace or a debugger,
or not permitted by the Yama policy) is stopped with signals instead,
parents first; C<last_freeze> lists it under C<signal_fallback>.  If
ptrace is not allowed at all (C<kernel.yama.ptrace_scope> is 3), the
freeze fails with nothing stopped.

No method is perfectly invisible: some blocking calls (C<epoll_wait>,
C<sigtimedwait>, C<nanosleep> with a remaining time, ...) return
C<EINTR> after any stop, a ptrace interrupt included, and a program that
measures time sees the pause.  A token of the ptrace method must be
thawed in the interpreter (ithread) that froze: another ithread's copy
is plain pids.

=back

=head1 SAFETY

What is guaranteed, and what is not.

=over 4

=item Priorities are given back

Where the caller may (C<CAP_SYS_NICE>), the freezing thread runs at
C<SCHED_FIFO> priority 1 from the start of C<freeze> to its last stop
if the CPUs were contended as it began (C<realtime> in C<last_freeze>),
and always during C<thaw>; the guard keeps that priority for its short
life.
All of them set C<SCHED_RESET_ON_FORK>, so no child inherits it.  A
thaw after a freeze that ran at C<SCHED_FIFO> also gives the caller,
for its way back, the shortest slice the kernel grants (0.1 ms, Linux
6.12 and later; a sleep of 20 microseconds before it rises starts that
slice, or longer ones, up to 420 in all, where the first did not leave
the CPU), and moves it for that moment to the CPU where fewest of the
processes it woke wait (see L</PERFORMANCE>): its slice, nice value and
CPUs are as they were when C<thaw> returns.  A
process that has not stopped at the first look runs at C<SCHED_RR> 1
until it has stopped, at most 2 ms, and then gets its own policy back
(round-robin: one that spins without stopping goes behind the freezer
when its time slice ends, even on a machine of one CPU);
should the freezer die meanwhile, the guard puts it back before it
continues the process, and C<freezethaw --recover> does where both died.

=item A record for recovery

While a freeze lasts, the processes it stopped are also written to a
file beside its lock (F</run/lock>, else F</dev/shm> or F</tmp>), removed
when it ends.  If the freezing process and its guard die together, the
L<freezethaw> command's C<--recover> continues exactly those processes.

=item The machine is not left frozen when the freezer dies

Before the first stop, C<freeze> starts a guard: a small process in a
session of its own (a kill of the caller's process group misses it),
never frozen, and nobody's child that a C<wait> in your code could
reap.  (With the signal method the freeze reads F</proc> while the guard
starts, and waits for it to be ready before it stops anything.)  Every
process is recorded with the guard before it is sent its stop.  If the
freezing process dies while processes are frozen (an exception that is
not caught, C<exit>, C<exec>, C<SIGKILL>, anything),
the guard continues every recorded process that is still the one it
recorded, children first, within milliseconds, and exits.  After
C<thaw> the guard exits too.  C<last_freeze> gives its pid as
C<guard_pid>.

The guard is its own small program, F<freezethaw-guard>, installed beside
this module's shared library and started with C<posix_spawn>: it holds
none of the freezing process's memory, so a large caller neither waits
for its memory to be copied nor pays for copy-on-write faults while
frozen (a caller of 1 GB started a forked guard in about 45 ms; the
program takes about 1 ms whatever the caller's size).  Where the program
is missing, cannot run, or belongs to another version of this module,
the guard is forked from the caller instead, with the same guarantees.

=item A stuck guard does not hang the freeze

A guard that has not got ready 5 seconds after it was started is killed,
and C<freeze> fails before stopping anything.  With C<method =E<gt>
'ptrace'> the guard seizes and holds the processes and the caller waits
for its answer.  Should the guard not answer (it is starved of every CPU
by real-time processes of higher priority, say), the caller tells it to
give up (C<SIGUSR1>) 3 seconds after the timeout, and a second later
kills it: the kernel lets go of every process it had seized, and
C<freeze> fails and says so (see L</DIAGNOSTICS>).  A thaw whose answer
has not come within 4 seconds does the same, and then continues itself
the processes the guard had stopped with signals.

=item The freezer does not stop itself

While processes are frozen, C<SIGTSTP>, C<SIGTTIN> and C<SIGTTOU> are
ignored by the freezing process (their dispositions are restored by
C<thaw>): a terminal's Ctrl-Z or a background read cannot stop it.
C<SIGSTOP> sent to the freezing process from outside cannot be ignored
by anyone: it stops the freezer, nobody thaws, and the guard, which
waits for the freezer to I<die>, does not step in (C<$MAX_FROZEN> does:
set it if that matters).  The same goes for a C<SIGSTOP> to the guard.

=item One freeze at a time

Two freezers would stop each other, and each other's guards, for good.
The guard takes a lock for the PID namespace (a file in F</run/lock>,
F</dev/shm> or F</tmp>, named after the namespace) and holds it while it
lives; a second C<freeze> in the same PID namespace fails,
naming the freezing process and its guard.  It waits for the lock first,
having stopped nothing: up to 0.1 s, since a guard goes a moment after
its caller's thaw; up to 2 s if the freezing process has died, while its
guard continues what it froze.  A C<freeze> in the process whose
freeze is not yet thawed (inside a C<freezethaw> block, say) fails the
same way, at once.

=item Signals that arrive while C<freeze> runs

INT, TERM, QUIT, HUP, PIPE, ALRM, USR1 and USR2 are held while the
freeze itself runs; if one arrives, the freeze stops, continues
everything it had stopped, and dies with C<freeze interrupted by
SIGxxx>; then the signal is delivered as usual (your handler runs, or
the default action happens, with nothing left stopped).  While the
block of C<freezethaw> runs, these signals end the block (see
L</FUNCTIONS>).

=item thaw continues only what the freeze stopped

Each process is named by a pidfd (Linux 5.3 and later) from just before
its stop: a C<SIGCONT> through it to a process that has exited fails,
and never reaches a newcomer that took the same pid.  Where a pidfd
cannot be had (an older kernel), or would take too many descriptors (a
freeze keeps at most half of those C<RLIMIT_NOFILE> leaves free when it
starts, until thaw), the process's start time is compared before the
C<SIGCONT> instead.  Start times count clock ticks (usually 10 ms): a
newcomer started within the same tick as the process it replaces cannot
be told apart that way.  If F</proc> cannot be read at thaw (the caller
has used every descriptor meanwhile), the process is continued all the
same: a C<SIGCONT> to a newcomer is the lesser harm than a process left
stopped for good.

=item A token thawed by another process

A token copied to another process (as plain pids) can be thawed there:
it continues those of its processes that are stopped at that moment.
The freezing process's guard keeps watching the freezing process; when
that process releases it (its own C<thaw> of the token does nothing
more) or dies, the guard finds the processes running and leaves them
be.

=item What keeps running

pid 1 is never stopped: a service manager may start new processes
(timers, socket activation) or signal services (a watchdog's
C<SIGTERM>, then C<SIGCONT>) while the machine is frozen.  Processes
created while the machine is frozen are not frozen.  The freezing
process's own threads keep running, and so does anything it starts
inside the window.

=back

=head1 DIAGNOSTICS

=over 4

=item unable to stop some processes: PID PID ... (DETAILS)

Some processes did not stop within C<$TIMEOUT> seconds, or could not be
signalled.  The list after the colon names every such pid, separated by
spaces, as in Sys::FreezeThaw 0.02.  The details in parentheses name,
for at most 20 of them, the command name (in double quotes, with
non-printable bytes escaped as C<\n>, C<\xHH> and so on) and the reason:
C<timed out in state X> (X is the state letter last read from
F</proc>: C<R> running, C<D> uninterruptible sleep, ...) or
C<permission denied> (C<$!> is then C<EPERM>).  With C<ptrace> the
guard passes back 64 of them at most: the list names those, and the
details end with C<N more not passed back by the guard>.  Everything
that was stopped has been continued.

=item cannot read /proc: REASON

F</proc> is not mounted or cannot be read.  Nothing was stopped.

=item /proc belongs to another PID namespace: /proc/self does not name this process

The F</proc> mounted here lists the processes of another PID namespace
(for example the host's, bind-mounted into a container, or the one that
shows through when a namespace's own F</proc> is unmounted).  Its pids
would name different processes here, so nothing is read from it and
nothing was stopped.  Mount a F</proc> of this namespace.

=item another freeze is in progress in this PID namespace (held by pid N, guard pid M)

Another C<freeze> holds this PID namespace and did not let go within
0.1 s (2 s if its freezing process has died), or this process's own
freeze is not yet thawed (see L</SAFETY>).  Nothing was stopped.

=item freeze interrupted by SIGxxx; every process it had stopped was continued

A signal arrived while C<freeze> ran (see L</SAFETY>).

=item cannot see every process: /proc is mounted with hidepid, which hides other users' processes from this caller

F</proc> is mounted with C<hidepid>, and the caller is neither root nor
in the mount's C<gid=> group: other users' processes are invisible, and
a freeze would leave them running.  Nothing was stopped.

=item ptrace is not allowed on this machine (kernel.yama.ptrace_scope = 3)

C<method =E<gt> 'ptrace'> was asked where the kernel forbids every
ptrace attach.  Nothing was stopped; use the signal method.

=item method must be 'signal' or 'ptrace', not 'VALUE'

=item cannot start the guard process: REASON

The guard could not be started (see L</SAFETY>); nothing was stopped.
C<it did not answer within 5 seconds, and was killed> means it started
but never got ready (a guard starved of every CPU, say).

=item the guard process did not answer within the timeout and 4 seconds more: it was killed, and the kernel let go of every process it had seized

=item the guard process did not finish the freeze within the timeout and 3 seconds more: told to give up, it continued every process it had stopped

With C<method =E<gt> 'ptrace'>, the guard does the freezing and the
caller waits for its answer; a guard that is stuck (starved of every CPU
by real-time processes above it, or a bug) does not keep the caller
waiting, and the machine frozen, for ever (see L</SAFETY>).  The
processes it had seized run again.  Those it had stopped with signals
because they could not be seized (see C<signal_fallback>) are continued
by the caller if the guard had finished the freeze when it was killed;
a guard stuck in the middle of stopping them leaves them stopped, and
nothing else knows them: look for processes in state C<T>.

=item Sys::FreezeThaw::thaw: the guard process did not answer within 4 seconds and was killed; every process was continued all the same

A warning (category C<misc>): see C<thaw> under L</FUNCTIONS>.

=item ERROR: the frozen window was cut short: after N seconds ($Sys::FreezeThaw::MAX_FROZEN) every process was continued while the block still ran

See C<$MAX_FROZEN>.

=item malformed token: ...

C<thaw> was given something that is not a token; the message says which
part.  Nothing was continued.

=item unknown option 'NAME' (known: exclude, max_frozen, method, partial_ok, timeout)

=item timeout must be a number of seconds above 0 and at most 86400, not 'VALUE'

=item max_frozen must be undef or a number of seconds above 0 and at most 86400, not 'VALUE'

=item exclude must be an ARRAY reference of pids

=item exclude entry 'VALUE' is not a pid from 1 to 4194304

A bad option or package variable; nothing was stopped.

=item ERROR: caught SIGxxx while system frozen

See C<freezethaw> under L</FUNCTIONS>.

=back

=head1 PERFORMANCE

C<make bench> builds process trees in a private PID namespace and times
freeze and thaw with both methods beside reference runs on the same
trees (an unordered C<kill(-1)>, the cgroup v1 freezer, and any other
Sys::FreezeThaw given with C<BENCH_ARGS="--original DIR">), checking
every freeze against F</proc>.  Medians of 5 runs, in milliseconds,
freeze / thaw as the calling Perl code sees them, measured as root on a
2-core virtual machine (Linux 6.18, perl 5.36) on 2026-12-06 (the first
of two full runs that day at this release's code).  The machine's speed
varies from day to day and within one, the ratios much less: that day a
read of a stat file took 8.7 and 8.5 microseconds in the two runs,
against 3.4 in a faster run of 2026-12-05, where the same freezes took
about three quarters as long.

  scenario              procs   signal          ptrace          kill(-1)       cgroup v1      original 0.01
  flat idle               100    3.2 /   0.5     3.2 /   0.5     2.9 /  0.5     0.7 /  0.5      6.8 /   2.2
  flat idle              1000   27.4 /   3.4    12.4 /   2.7    29.2 /  4.2     5.5 /  3.5     55.7 /  23.8
  flat idle             10000  254   /  26     125   /  23     310   / 62      43   / 42      552   / 235
  flat busy              1000   26.3 /   9.1    19.4 /  130     30   / 5877     3.8 / 4681  10705   / 9787
  chain idle             1000   34.7 /   8.5    16.3 /   3.4    32.2 /  4.9     5.2 /  3.5    316   /  27.7
  tree idle (fanout 4)   1365   31.3 /   3.8    19.5 /   3.6    41.5 /  6.7     5.6 /  4.1     79.0 /  32.8
  8-thread idle           250   22.2 /   2.5    18.3 /   5.3    44.3 /  6.0     7.6 /  6.0     20.4 /  13.0

The check of each freeze runs in a child process while the caller waits,
so that the caller's window is as short as the original's, which is
timed with nothing in it.  Between runs, the medians move by up to a
half on this machine, and some by more: in the second run of that day
the signal freeze of 1000 idle processes took 25.3 ms, of 10000 266, of
the chain 43.9, and the ptrace freeze of 1000 17.9 (12.4 to 19.6 in the
four full runs of that day); the original's freeze of 1000 idle
processes took 32 to 65 ms in the full runs so far, its chain 158 to 585
(1252 in one run).  The signal freeze of the chain varies most: 34.7 and
43.9 ms in the two runs, 17.0 and 27.9 in two faster runs of 2026-12-05,
30 to 54 in other full runs.
Between two repetitions of an idle scenario the benchmark waits until
no more threads are runnable than there are CPUs: 20 ms after a thaw of
10000 processes, 5000 to 8000 of them were still on their way back to
sleep, and the next freeze found a busy machine.

The first freeze a process makes costs about what the later ones do: for
1000 idle processes 22.9 ms (signal) and 13.5 (ptrace) in the run above,
23.7 and 13.5 in the second, each in a fresh process as a one-shot
script or the L<freezethaw> command makes it, against 53.0 and 53.0 for
the original (the table's original column is timed that way too).  It used to cost two to three times a
later one (40 to 60 ms): the kernel grew the process's descriptor table
step by step while the reads ran from several threads, and each step
waited for an RCU grace period; the table is now grown once, before
them.  The guard process starts while the freeze reads F</proc>, and is
waited for before the first stop (nothing is stopped on sight before it
has answered): it costs 0.40 to 0.46 ms before the first stop in the
two runs (1.1 to 1.5 before it started during the read).  Much of a
freeze of 100 processes is that start: the guard program takes 0.7 to 1
ms from its C<exec> to its C<main> here.

The signal method spreads its work over the CPUs where there is much of
it: a thaw sends the C<SIGCONT>s of a pass of 64 processes or more from
a thread per CPU (at most 4), each closing its pidfds as it goes, and a
freeze reads F</proc> from a thread per CPU where there are 32 processes
or more to read, in batches of 512, with the other threads of processes
that have some.  On 2 cores this took the
thaw of 1000 idle processes from 4.5-5.4 to 1.9-3.4 ms, their freeze
from about 26 to 20 (medians of single runs), and the freeze of 250 idle
processes of 8 threads from 28-29 to 20-21.5 ms.  Spreading from 32
reads and 64 signals on (both were 128), together with a first read of
F</proc> that no longer waits for the guard's start, took a freeze of
100 idle processes from 4.7-6.0 to 3.5-4.5 ms and its thaw from
0.66-0.89 to 0.34-0.48 (medians of 15 in three runs alternated with the
code before, 2026-12-06; 40, 70 and 250 processes gained too, 1000 did
not move beyond the noise).  The threads block
every signal and end before the call returns (a thread the machine gives
no CPU before the work is done is left to end by itself); a pass is
wholly continued before its parents' pass begins.

On a machine full of busy processes a freeze is 408 times faster than
the original's (553 times with ptrace): the freezer runs at the lowest
real-time priority while it works when the CPUs are contended as it
begins (C<realtime> in C<last_freeze>; see L</SAFETY>), and a process
that has not stopped at the first look runs at that priority until it
stops, for at most 2 ms (C<nudged>; round-robin, so that one that spins
on without stopping cannot keep the freezer from its CPU for more than
a time slice).  Both need C<CAP_SYS_NICE>, which
root has; otherwise nothing changes.  The signal thaw's C<SIGCONT>s take
under 1 ms; what the caller sees beyond that is its wait, back at normal
priority, for a CPU among the 1000 processes it woke: 9.1 ms after a
signal thaw and 130 after a ptrace thaw in the run above, 8.5 and 34 in
the second.  It was 62 to 1138 ms in earlier runs, and single thaws up
to 1.2 s: nearly all the processes a thaw wakes wait on one CPU (they
stopped there, the freezer holding the other), and the kernel's
scheduler (EEVDF) runs first the task whose request ends first, where
the caller came back with most of a 1.4 ms request left.  So a thaw
after a freeze that ran at C<SCHED_FIFO> takes the shortest slice the
kernel grants (0.1 ms, Linux 6.12 and later) for its way back, and goes
back on the CPU where fewest of a sample of 32 of the processes wait
(see L</SAFETY> for what it gives back).  Alternated in one run, 12
thaws each: medians 124 -> 24 ms, the longest 1023 -> 53 with signals;
ptrace, 8 each, 1166 -> 87.  For about a second after such a thaw the
processes themselves stay where they woke, most on one CPU, until the
kernel's load balancer spreads them.  That is the price of the caller's
quick return: a freeze that stops each process on the CPU it ran on
(nudging at a priority above the freezer's) left them evenly spread,
and then the caller waited behind those owed the most CPU, each running
to a 4 ms tick (median 128 ms in 10 thaws, against 7.4 as it is).

The freeze time per process at 10000 processes is 0.93 (signal) and
1.01 (ptrace) times that at 1000 in the run above, 1.05 and 0.78 in the
second (0.74 to 2.20 with signals over every full run so far; 1.67 in a
run of the same day where one of the five signal freezes of 10000 found
the CPUs still contended and ran at C<SCHED_FIFO>).  In a faster run every operation
cost more per process at 10000 than at 1000 (F<bench/floor.c> on
2026-12-05: the first read of a stat file 5.7 microseconds against 3.7,
a read again 5.5 against 2.7, a SIGSTOP 4.3 against 2.7); in these
slower ones about the same or a little more (9.2 against 8.7, 5.1
against 4.3).  A signal freeze
grows the caller by about 30 to 140 kB at its peak for 1000 processes
and 240 to 290 kB for 10000.  The dead man's switch continues 100 frozen
processes 1.4 to 24 ms after the freezing process is killed (median 7.4
and 8.6 ms in the two runs, 1.8 and 2.3 in two faster ones).  A caller of 1 GB froze 10
processes in 1.3 (signal) and 1.6 ms (ptrace), against 47 and 43 ms
with a guard forked from it (medians of 15): the guard starts from its
own program (see L</SAFETY>).

The ptrace method seizes from one thread of the guard per CPU (at most
4): each reads and seizes its share of the processes (by a hash of
their pids), and holds and later detaches them, while the kernel's own
traps run on whatever CPU is free.  On 2 cores this took the freeze of
1000 idle processes from 23-27 ms to 13-17, and the thaw from 3.4-5.4 to
2.4-3.3 (single runs; the table's are medians under the benchmark's
load).  Shared by the pid modulo their number instead, processes made
one after another with 8 threads each (8 pids apart) all fell to one
thread: 250 of them froze in 26.5-27.5 ms, now 16.3-16.8.  No thread
interrupts what it seized before the others have read their share of
F</proc> (nor waits longer than its own read took): a process
interrupted runs into its stop on the CPU it slept on, ahead of a tracer
thread there still reading, whose read then took 10-13 ms instead of
6-7.  Waiting took about 0.9 ms (6%) off a freeze of 1000 idle
processes (medians of 30, 7 runs alternated with the code before).

Where this release is not fast yet: an idle machine freezes only 2.0
to 2.6 (signal) and 3.7 to 4.5 (ptrace) times faster than with the
original in the two runs, and 3.4 to 5.0 (signal) and 2.2 to 2.4
(ptrace) times slower than the cgroup freezer, and a multi-threaded
machine 0.8 to 0.9 times as fast as with the original with signals and
1.0 to 1.1 times as fast with ptrace (the original does not wait for
threads other than the first).  A chain freezes 9.1 and 5.3 (signal) and
19.4 and 16.5 (ptrace) times faster than the original.  Most of it is F</proc> and the kernel's own work per
process.  The signal method reads each process three times (found,
confirmed stopped, swept at the end), opens a pidfd to signal it, and
stops it, and each process stopped must itself run to stop; ptrace
seizes each process, reads it once, interrupts it, and counts again the
threads of one it read running (one C<fstatat>).  A thaw sends one
signal or detach per process.

C<make bench> measures what these operations cost on the machine it runs
on (F<bench/floor.c>: each alone, per process, on the same trees, from
one thread and from one thread per CPU at once) and prints the least
time each method could take from them.  In the run above, for 1000 idle
processes: a stat file's first read 8.7 microseconds (5.1 from two
threads at once), a read again 4.3, a pidfd 2.0, SIGSTOP 4.8 (1.5 from
two threads), SIGCONT through the pidfd 4.2 (1.5 from two threads) and
its close 1.4, seizing, interrupting and collecting a process 6.5 (6.0
from two threads), a detach 4.5 (2.0 from two threads).  Spread over two
threads, a signal freeze that opens a pidfd for each process and looks
at it once before its stop and once after cannot take less than 9.8 ms
here (ours: 27.4), 5.7 times faster than the original, though that
leaves out each process's own run into its stop, which a freezer must
wait for, and the sweep at the end; a signal thaw not less than 2.2 ms
(ours: 3.4), 10.7 times faster than the original's thaw; a ptrace thaw
2.0 ms (ours: 2.7), 11.7 times faster; and a ptrace freeze that reads
each process once (for the order of the token) 11.1 ms (ours: 12.4), 2.0
times the cgroup freezer's, 6.0 (1.1 times) if it read none.  Of the
targets this release is measured against for idle machines (6 times
faster to freeze and 10 times faster to thaw than the original, within
3 times the cgroup freezer), the ptrace freeze is met in both runs (2.2
and 2.4 times the cgroup freezer; 2.3 to 4.4 in six full runs earlier
that day, met in four); the signal thaw is at 7.1 and 6.6 times, the
ptrace thaw at 9.0 and 5.0, and the signal freeze at 2.0 and 2.6.  The
floors of both thaws meet their targets in both runs (10.7 and 12.5
times with signals, 11.7 and 13.3 with ptrace): ours take 0.6 to 2.9 ms
more (the caller's wait for its CPU once back at normal priority, the
guard's release, and with ptrace the round trip to the guard).  The
signal freeze's floor (5.7 and 7.6 times: under the target in the first
run) leaves out the sweep's third read of each process and each
process's own run into its stop.  Of the other targets, both runs met
the busy ones (freeze 408 and 385 times faster, signal thaw 9.1 and 8.5
ms, ptrace freeze 19 and 24 ms), the memory per process at 10000 (0.6
and 0.8 times that at 1000) and the time per process at 10000 (signal
0.93 and 1.05, ptrace 1.01 and 0.78, for 1.3), and missed the chain (9.1
and 5.3 times, for 20).

Which method: C<ptrace> is the one parents cannot notice (see
L</METHODS>) and freezes faster in every scenario above; C<signal> (the
default) needs no ptrace permission, keeps every process visible to
debuggers, and in every run gives the caller back sooner after thawing
a busy machine (see above).

=head1 COMPATIBILITY

With Sys::FreezeThaw 0.01 and 0.02: the same functions, prototypes,
token and messages.  Differences: C<freezethaw> returns the block's
value (it returned nothing) and also catches INT, TERM and QUIT; the
token is no longer kept in a package variable (0.02 continued, at every
later thaw, every process of every earlier freeze); process names with
spaces or parentheses, multi-threaded processes and long chains of
processes are handled; C<freeze> gives up after C<$TIMEOUT> seconds
instead of a fixed number of 1 ms sleeps; C<thaw> refuses malformed
tokens.

=head1 BUGS AND LIMITATIONS

With the signal method, a C<SIGCONT> is visible to the processes that get
it, and parents are sent C<SIGCHLD> (see L</METHODS>); the ptrace method
avoids both, but no method avoids C<EINTR> after a stop.

See L</SAFETY> for what keeps running while the machine is frozen, and
for what cannot be defended against.

=head1 INSTALLATION

    perl Makefile.PL && make && make test
    perl -Mblib bin/freezethaw --demo

The first command builds the module and runs its tests.  Every test that
freezes runs inside a private PID namespace of its own (as root, or as a
user where user namespaces are enabled), so it cannot stop anything of
the machine it runs on; where no namespace can be made those tests are
skipped with the reason.  The second command freezes about 200 processes
(idle and busy ones, a multi-threaded one, a job-control shell with a
foreground job) inside a private PID namespace and shows their states
before, during and after the freeze; the machine's own processes are
invisible in there and are never touched.  Then C<make install> installs
the module and the L<freezethaw> command.

It needs Linux with F</proc>, perl 5.10.1 or later and a C compiler; the
tests use only core Perl modules, and util-linux's C<unshare> for the
namespaces.  F<HACKING.md> in the distribution describes how the code is
laid out and how to test it.

=head1 SEE ALSO

L<freezethaw>, the command, installed with this module.  L<kill(2)>,
L<proc(5)>, F<HACKING.md> in the distribution for how the
code is laid out.

=head1 AUTHORS

The Sys::FreezeThaw developers.  The interface is Marc Lehmann's, from
the pure-Perl Sys::FreezeThaw.

=head1 LICENSE

This library is free software; you can redistribute it and/or modify it
under the same terms as Perl itself.

=cut
