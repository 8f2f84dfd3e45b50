#pragma once

#include "engine/api/engine_options.h"

#include <QString>
#include <QStringList>

namespace peerscope {

struct CommandLine {
    bool headless = false;
    EngineOptions engine;
};

// What parsing decided: run with the result, exit now (after --help/--version, which it
// printed), or exit 2 with `error`, a message naming the option and the bad part.
struct ParsedCommandLine {
    enum class Outcome { Run, Exit, Error };
    Outcome outcome = Outcome::Run;
    CommandLine commandLine;
    QString error;
    // The error is an option we do not know; it may be one of Qt's own (-platform, -style),
    // which only a QApplication removes from the arguments.
    bool unknownOption = false;
};

// Parses the arguments (argv[0] first). Prints nothing but --help and --version output.
ParsedCommandLine parseCommandLine(const QStringList& arguments);

} // namespace peerscope
