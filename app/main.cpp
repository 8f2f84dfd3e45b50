// peerscope: the GUI (default) or the headless engine (--headless).
#include "command_line.h"
#include "engine/api/engine.h"
#include "signal_watcher.h"

#include <QCoreApplication>

#ifdef PEERSCOPE_WITH_UI
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
        QString host = options.apiEndpoint->left(options.apiEndpoint->lastIndexOf(':'));
        std::printf("api http://%s:%u\n", qPrintable(host), unsigned(engine.apiPort()));
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    int exitCode = -1;
    QCoreApplication::setApplicationName(QStringLiteral("peerscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("PeerScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PEERSCOPE_VERSION));
    const CommandLine commandLine = parseCommandLine(arguments, &exitCode);
    if (exitCode >= 0)
        return exitCode;

    std::unique_ptr<QCoreApplication> app;
#ifdef PEERSCOPE_WITH_UI
    if (!commandLine.headless)
        app = std::make_unique<QApplication>(argc, argv);
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv);

    // Before anything is printed: whoever reads our first line may signal us right away.
    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, app.get(),
                     [&app] { app->quit(); });

    Engine engine(commandLine.engine);
    Result<void> started = engine.start();
    if (!started) {
        std::fprintf(stderr, "peerscope: %s\n", started.errorMessage().c_str());
        return 1;
    }
    printAnnouncement(engine, commandLine.engine);

#ifdef PEERSCOPE_WITH_UI
    std::unique_ptr<MainWindow> window;
    if (!commandLine.headless) {
        window = std::make_unique<MainWindow>(engine.client());
        window->show();
    }
#endif
    const int code = app->exec();
#ifdef PEERSCOPE_WITH_UI
    window.reset();
#endif
    engine.stop();
    return code;
}
