package Sys::FreezeThaw::Demo;
# The demonstration behind `freezethaw --demo`: a freeze you can watch,
# inside a private PID namespace, that touches nothing of this machine.
use strict;
use warnings;
use Config ();
use IO::Handle ();
use POSIX ();
use Time::HiRes qw(time sleep);
use Sys::FreezeThaw ();

our $VERSION = '1.01';

my $MARK = 'SYS_FREEZETHAW_DEMO_NS';

# Re-runs the calling script inside a new PID namespace with its own /proc
# (as root, or through a user namespace), or says why it cannot.
sub _enter_namespace {
    my ($argv) = @_;
    my @flags = qw(--pid --fork --kill-child --mount-proc);
    unshift @flags, qw(--user --map-root-user) if $> != 0;
    $ENV{$MARK} = readlink('/proc/self/ns/pid') // 'unknown';
    $ENV{PERL5LIB} = join ':', grep { !ref } @INC;
    my @self = ($^X, $0, @$argv);
    { no warnings 'exec'; exec 'timeout', '-k', '5', '120', 'unshare', @flags, '--', @self; }
    print STDERR "freezethaw --demo: cannot run unshare (util-linux) through timeout (coreutils): $!\n";
    return 125;
}

sub _inside {
    my $ns = readlink('/proc/self/ns/pid') // '';
    return $ns ne $ENV{$MARK} && (readlink('/proc/self') // '') eq $$;
}

sub _start {
    my (@cmd) = @_;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open STDIN, '<', '/dev/null';   # off the terminal: no SIGTTIN/SIGTTOU
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { no warnings 'exec'; exec @cmd; }
        POSIX::_exit(127);
    }
    return $pid;
}

# Every process of the namespace: pid => [ppid, state, threads, comm].
sub _snapshot {
    my %p;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $s = do { local $/; <$fh> } // next;
        my ($pid, $comm, $state, $ppid) = $s =~ /\A(\d+) \((.*)\) (\S) (\d+)/s or next;
        my $threads = () = glob "/proc/$pid/task/*";
        $p{$pid} = [ $ppid, $state, $threads, $comm ];
    }
    return \%p;
}

sub _role {
    my ($pid, $kinds) = @_;
    return 'namespace init (never frozen)' if $pid == 1;
    return 'the freezer (never frozen)' if $pid == $$;
    return $kinds->{$pid} // '';
}

# A table of the processes of interest and a count of states for the rest.
sub _table {
    my ($title, $snap, $kinds, $shown) = @_;
    my $out = "$title\n    PID  PPID STATE THR  COMMAND    ROLE\n";
    my %states;
    for my $pid (sort { $a <=> $b } keys %$snap) {
        my ($ppid, $state, $threads, $comm) = @{ $snap->{$pid} };
        $states{$state}++;
        next unless $shown->{$pid};
        $out .= sprintf "  %5d %5d   %s  %3d  %-10s %s\n", $pid, $ppid, $state, $threads, $comm, _role($pid, $kinds);
    }
    $out .= sprintf "  all %d processes by state: %s\n", scalar(keys %$snap),
        join ', ', map { "$_ $states{$_}" } sort keys %states;
    return $out;
}

sub run {
    my ($n, $opt) = @_;
    return _enter_namespace($opt->{argv} || []) unless $ENV{$MARK};
    if (!_inside()) {
        print STDERR "freezethaw --demo: not inside a private PID namespace with its own /proc; "
                   . "refusing to freeze (is unshare allowed here? as a user, user namespaces must be enabled)\n";
        return 125;
    }
    # pid 1 of the namespace only reaps; the demo runs as its child.
    if ($$ == 1) {
        my $demo = fork // die "fork: $!\n";
        if ($demo) {
            while ((my $pid = wait) > 0) {
                return $? >> 8 if $pid == $demo;
            }
            return 1;
        }
    }

    my (%kinds, %shown);
    my $mark = sub { my ($kind, $show, @pids) = @_; $kinds{$_} = $kind for @pids; $shown{$_} = 1 for @pids[0 .. $show - 1]; @pids };
    $mark->('busy (a loop)', 2, map { _start('sh', '-c', 'while :; do :; done') } 1 .. 2);
    $mark->('a pipeline', 1, _start('sh', '-c', 'sleep 600 | cat'));
    if ($Config::Config{useithreads}) {
        $mark->('multi-threaded (4 threads)', 1,
                _start($^X, '-Mthreads', '-e', 'threads->create(sub { sleep 600 }) for 1 .. 3; sleep 600'));
    }
    # A job-control shell (interactive, on a terminal of its own) running a
    # foreground job; script(1) provides the terminal.
    if (grep { -x "$_/script" } split /:/, $ENV{PATH} // '') {
        $mark->('job-control shell', 1, _start('script', '-qfc', "sh -ic 'sleep 600; :'", '/dev/null'));
    }
    my $have = keys %{ _snapshot() };
    my @idle = map { _start('sleep', '600') } 1 .. ($n > $have + 8 ? $n - $have - 8 : 1);
    $mark->('idle', 2, @idle);
    sleep 0.5;
    for my $pid (keys %{ _snapshot() }) {   # the children of the above, too
        $kinds{$pid} //= 'child of one above' unless $pid == 1 || $pid == $$ || $pid == getppid();
    }
    $shown{$_} = 1 for grep { $kinds{$_} && $kinds{$_} ne 'idle' } keys %kinds;
    $shown{1} = $shown{$$} = 1;

    print "A freeze inside a private PID namespace: none of this machine's own\n"
        . "processes is visible in here, none is touched.\n\n";
    print _table('Before the freeze (R running, S sleeping):', _snapshot(), \%kinds, \%shown);

    my $t0 = time;
    my $token = Sys::FreezeThaw::freeze({ method => $opt->{method} // 'signal', timeout => $opt->{timeout} // 5 });
    my $t1 = time;
    my $during = _snapshot();   # gathered now, printed after the thaw
    my $t2 = time;
    Sys::FreezeThaw::thaw($token);
    my $t3 = time;
    my $r = Sys::FreezeThaw::last_freeze();
    sleep 0.1;

    print "\n", _table('During the freeze (T: stopped; t: held with ptrace):', $during, \%kinds, \%shown);
    my $after = _snapshot();
    print "\n", _table('After the thaw:', $after, \%kinds, \%shown);
    my @again = grep { $after->{$_} && $after->{$_}[1] =~ /[Tt]/ } map { @$_ } @$token;
    printf "\n%d process%s stopped again after the thaw (%s): with the signal method a parent is\n"
         . "sent SIGCHLD when its child stops, and script(1), for one, answers by stopping itself.\n"
         . "The ptrace method (--method ptrace) stops processes without telling their parents.\n",
        scalar @again, @again == 1 ? '' : 'es', join(' ', map { "$_ $after->{$_}[3]" } @again) if @again;
    printf "\nFroze %d processes (%d threads) in %d passes, parents first, with the %s method,\n"
         . "in %.1f ms; thawed in %.1f ms; frozen window %.1f ms (reading the table took %.1f ms of it).\n",
        $r->{processes}, $r->{threads}, $r->{passes}, $r->{method}, 1000 * ($t1 - $t0),
        1000 * ($t3 - $t2), 1000 * ($t3 - $t0), 1000 * ($t2 - $t1);
    kill KILL => keys %kinds;
    STDOUT->flush;
    return 0;
}

1;

__END__

=head1 NAME

Sys::FreezeThaw::Demo - the demonstration behind C<freezethaw --demo>

=head1 SYNOPSIS

  freezethaw --demo [N]

=head1 DESCRIPTION

It is an internal part of the L<freezethaw> command.

=head1 FUNCTIONS

=head2 run

  exit Sys::FreezeThaw::Demo::run($n, \%options);

Re-runs the calling script in a private PID
namespace with its own F</proc> (through C<unshare>, as root or through a
user namespace), starts about C<$n> processes there (idle and busy ones,
a pipeline, a multi-threaded process where perl has threads, and a
job-control shell with a foreground job where L<script(1)> exists),
prints their states before, during and after a freeze, and returns the
exit status for the script.  The options C<method> and C<timeout> are
those of L<Sys::FreezeThaw/freeze>; C<argv> is the script's own arguments,
for the run inside the namespace.  Nothing outside the namespace is
touched; where no namespace can be made it says so and returns 125.

=head1 LICENSE

Same terms as Perl itself.

=cut
