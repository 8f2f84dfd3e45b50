#include "engine/core/huge_page_heap.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gnu/libc-version.h>
#include <unistd.h>

namespace peerscope {

namespace {

constexpr const char* tunable = "glibc.malloc.hugetlb=1";
// Set on the restart, so a glibc that drops GLIBC_TUNABLES (a setuid program) cannot make us
// restart forever.
constexpr const char* restartedMarker = "PEERSCOPE_HUGE_PAGES_RESTARTED";

// The selected mode in /sys/kernel/mm/transparent_hugepage/enabled: "always [madvise] never".
std::string selectedThpMode() {
    std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    std::getline(file, line);
    const std::size_t open = line.find('[');
    const std::size_t close = line.find(']', open);
    if (open == std::string::npos || close == std::string::npos)
        return {};
    return line.substr(open + 1, close - open - 1);
}

bool atLeast(std::string_view version, int wantMajor, int wantMinor) {
    int major = 0, minor = 0;
    if (std::sscanf(std::string(version).c_str(), "%d.%d", &major, &minor) != 2)
        return false;
    return major > wantMajor || (major == wantMajor && minor >= wantMinor);
}

} // namespace

std::optional<std::string> HugePageHeap::tunablesToRestartWith(const char* currentTunables,
                                                               std::string_view thpMode,
                                                               std::string_view glibcVersion,
                                                               const char* optOut) {
    if (optOut && std::string_view(optOut) == "0")
        return std::nullopt;
    const std::string_view current = currentTunables ? currentTunables : "";
    if (current.find("glibc.malloc.hugetlb") != std::string_view::npos)
        return std::nullopt; // already chosen, by us or by whoever started us
    if (thpMode != "madvise" || !atLeast(glibcVersion, 2, 35))
        return std::nullopt;
    // Tunables are colon-separated; keep what was there.
    return current.empty() ? std::string(tunable) : std::string(current) + ":" + tunable;
}

void HugePageHeap::restartIfUseful(char** argv) {
    if (std::getenv(restartedMarker))
        return;
    const std::optional<std::string> tunables =
        tunablesToRestartWith(std::getenv("GLIBC_TUNABLES"), selectedThpMode(),
                              gnu_get_libc_version(), std::getenv("PEERSCOPE_HUGE_PAGES"));
    if (!tunables)
        return;
    const char* original = std::getenv("GLIBC_TUNABLES");
    const std::optional<std::string> saved =
        original ? std::optional<std::string>(original) : std::nullopt;
    ::setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
    ::setenv(restartedMarker, "1", 1);
    ::execv("/proc/self/exe", argv);
    // Still here: the restart failed. Run on as we are, and leave our children the environment
    // we were given.
    if (saved)
        ::setenv("GLIBC_TUNABLES", saved->c_str(), 1);
    else
        ::unsetenv("GLIBC_TUNABLES");
    ::unsetenv(restartedMarker);
}

} // namespace peerscope
