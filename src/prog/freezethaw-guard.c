/* freezethaw-guard - the guard process of Sys::FreezeThaw, started by the
 * library with posix_spawn() so that it holds none of the caller's memory
 * (see sft_spawn.h).  Not a command: it expects the library's descriptors
 * and mapping, and exits at once without them. */
#include "sft_guard.h"

int main(int argc, char **argv)
{
    return sft_guard_program_main(argc, argv);
}
