#pragma once

#include <fstream>
#include <string>
#include <string_view>

namespace peerscope::bench {

// A "Key:   1234 kB" line of a /proc file of this process, in MiB (0 if it is not there).
inline double procKibFieldMiB(const char* path, std::string_view key) {
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line))
        if (line.rfind(key, 0) == 0)
            return std::stod(line.substr(key.size())) / 1024.0;
    return 0;
}

inline double rssMiB() {
    return procKibFieldMiB("/proc/self/status", "VmRSS:");
}

} // namespace peerscope::bench
