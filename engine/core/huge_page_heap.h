#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace peerscope {

// Transparent huge pages for malloc's heap. A node with thousands of connections touches a few
// dozen scattered objects per ping probe (connection, streams, ciphers, health record); with
// 4 KiB pages nearly each is a TLB miss, and on a virtual machine a miss walks two page tables.
// glibc backs its heap with huge pages when the tunable glibc.malloc.hugetlb=1 is set (glibc
// 2.35 and later), and the kernel's THP mode "madvise" (Debian's default) leaves it to the
// program to ask. Tunables are read only when a program starts, so the switch is a restart:
// the program executes itself once more with the tunable added. PEERSCOPE_HUGE_PAGES=0 turns
// this off (for a debugger or valgrind, say).
class HugePageHeap final {
public:
    // The GLIBC_TUNABLES value to restart with, or nothing when a restart would not help:
    // opted out, the tunable already there, THP not in "madvise" mode ("always" gives huge pages
    // anyway, "never" never does), or a glibc without the tunable.
    static std::optional<std::string> tunablesToRestartWith(const char* currentTunables,
                                                            std::string_view thpMode,
                                                            std::string_view glibcVersion,
                                                            const char* optOut);

    // Restarts the program with the tunable when tunablesToRestartWith() says so; returns
    // (doing nothing) otherwise or if the restart fails. Call first thing in main(), before
    // threads or files exist.
    static void restartIfUseful(char** argv);
};

} // namespace peerscope
