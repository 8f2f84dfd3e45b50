#pragma once

#include "engine/api/engine_options.h"

#include <QString>
#include <QStringList>

namespace peerscope {

struct CommandLine {
    bool headless = false;
    EngineOptions engine;
};

// Parses argv. On --help/--version prints and sets `exitCode` 0; on a malformed option prints a
// message naming the option and the bad part to stderr and sets `exitCode` 2. Otherwise
// `exitCode` stays -1 and the result is valid.
CommandLine parseCommandLine(const QStringList& arguments, int* exitCode);

} // namespace peerscope
