use strict;
use warnings;
use Test::More;

# Loading needs no namespace: nothing here sends a signal.

use_ok('Sys::FreezeThaw') or BAIL_OUT('cannot load Sys::FreezeThaw');

cmp_ok($Sys::FreezeThaw::VERSION, '>=', 1.00, 'version 1.00 or above (an upgrade from 0.02)');
is(prototype('Sys::FreezeThaw::freeze'), ';$', 'freeze(;$) as in 0.02');
is(prototype('Sys::FreezeThaw::thaw'), '$', 'thaw($)');
is(prototype('Sys::FreezeThaw::freezethaw'), '&', 'freezethaw(&)');
ok(defined &Sys::FreezeThaw::last_freeze, 'last_freeze exists');

# Named once each here: the module declares them when use_ok loads it at
# run time, after this file is compiled.
no warnings 'once';
is($Sys::FreezeThaw::PARTIAL_OK, 0, '$PARTIAL_OK defaults to 0');
is($Sys::FreezeThaw::TIMEOUT, 5, '$TIMEOUT defaults to 5 seconds');
is_deeply(\@Sys::FreezeThaw::EXCLUDE, [], '@EXCLUDE defaults to empty');
is(Sys::FreezeThaw::last_freeze(), undef, 'no report before the first freeze');

# Nothing is exported: existing scripts call the functions by full name.
ok(!defined &main::freeze && !defined &main::thaw && !defined &main::freezethaw, 'nothing exported');

done_testing;
