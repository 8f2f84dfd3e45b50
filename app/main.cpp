// peerscope: the GUI (default) or the headless engine (--headless).
#include "command_line.h"
#include "engine/api/engine.h"
#include "export_command.h"
#include "signal_watcher.h"

#include <QCoreApplication>

#if defined(PEERSCOPE_WITH_UI) && __has_include("ui/main_window.h")
#define PEERSCOPE_GUI 1
#include "ui/gesture_manager_setup.h"
#include "ui/main_window.h"

#include <QApplication>
#endif

#include <cstdio>
#include <memory>

using namespace peerscope;

namespace {

void printAnnouncement(const Engine& engine, const EngineOptions& options) {
    for (const QString& addr : engine.announcedAddrs())
        std::printf("listening %s\n", qPrintable(addr));
    if (options.apiEndpoint) {
        const QString host = options.apiEndpoint->left(options.apiEndpoint->lastIndexOf(':'));
        const char* scheme = options.apiTlsCertificatePath.isEmpty() ? "http" : "https";
        std::printf("api %s://%s:%u\n", scheme, qPrintable(host), unsigned(engine.apiPort()));
    }
    // Whoever started us (a supervisor, a test) reads these lines to find the node.
    std::fflush(stdout);
}

bool wantsOnlyHelpOrVersion(const QStringList& arguments) {
    for (const QString& argument : arguments.mid(1))
        if (argument == QLatin1String("-h") || argument == QLatin1String("--help") ||
            argument == QLatin1String("-?") || argument == QLatin1String("--help-all") ||
            argument == QLatin1String("-v") || argument == QLatin1String("--version"))
            return true;
    return false;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication::setApplicationName(QStringLiteral("peerscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("PeerScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PEERSCOPE_VERSION));
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    // `peerscope export ...` talks to a running node's API; it starts no engine.
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("export"))
        return runExportCommand(arguments);

    std::unique_ptr<QCoreApplication> app;
    // --help names the executable from the application object.
    if (wantsOnlyHelpOrVersion(arguments))
        app = std::make_unique<QCoreApplication>(argc, argv);
    // Options are checked before any QApplication exists, so a typo exits 2 even without a
    // display.
    ParsedCommandLine parsed = parseCommandLine(arguments);
#ifdef PEERSCOPE_GUI
    // Qt's own GUI options (-platform, -style, ...) are unknown to us: only QApplication strips
    // them. Try again with what it leaves.
    if (parsed.outcome == ParsedCommandLine::Outcome::Error && parsed.unknownOption && !app &&
        !arguments.contains(QLatin1String("--headless"))) {
        app = std::make_unique<QApplication>(argc, argv);
        parsed = parseCommandLine(app->arguments());
    }
#endif
    if (parsed.outcome == ParsedCommandLine::Outcome::Exit)
        return 0;
    if (parsed.outcome == ParsedCommandLine::Outcome::Error) {
        std::fprintf(stderr, "peerscope: %s\n", qPrintable(parsed.error));
        return 2;
    }
    const CommandLine& commandLine = parsed.commandLine;

#ifdef PEERSCOPE_GUI
    if (!app && !commandLine.headless)
        app = std::make_unique<QApplication>(argc, argv);
    if (qobject_cast<QApplication*>(app.get()))
        createGestureManagerBeforeThreads(); // before the engine thread (see there)
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv);

    // Before anything is printed: whoever reads our first line may signal us right away.
    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, app.get(),
                     &QCoreApplication::quit);

    EngineOptions engineOptions = commandLine.engine;
    engineOptions.labExecutable = QCoreApplication::applicationFilePath(); // lab children run us
    Engine engine(engineOptions);
    Result<void> started = engine.start();
    if (!started) {
        std::fprintf(stderr, "peerscope: %s\n", started.errorMessage().c_str());
        return 1;
    }
    printAnnouncement(engine, commandLine.engine);

#ifdef PEERSCOPE_GUI
    std::unique_ptr<MainWindow> window;
    if (!commandLine.headless) {
        window = std::make_unique<MainWindow>(engine.client());
        window->show();
    }
#endif
    const int code = app->exec();
#ifdef PEERSCOPE_GUI
    window.reset(); // before the engine, whose client it holds
#endif
    engine.stop();
    return code;
}
