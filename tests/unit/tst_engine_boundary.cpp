// The build's check of the engine/UI boundary (scripts/check_engine_boundary.cmake), run on a
// small tree of its own: a UI file that includes a private engine header fails the check,
// naming the file and the header, and so does a public header that pulls in a private one.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString kScript = QStringLiteral(PEERSCOPE_SOURCE_DIR "/scripts/check_engine_boundary.cmake");

void write(const QDir& root, const QString& path, const QByteArray& text) {
    QVERIFY(root.mkpath(QFileInfo(root.filePath(path)).path()));
    QFile file(root.filePath(path));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

struct CheckResult {
    int exitCode = -1;
    QString output;
    bool stamped = false;
};

// Runs the check over `checked` in `root`, with engine/api/facade.h as the only public header.
CheckResult check(const QDir& root, const QStringList& checked) {
    const QString lists = root.filePath(QStringLiteral("lists.cmake"));
    write(root, QStringLiteral("lists.cmake"),
          QStringLiteral("set(PEERSCOPE_ROOT \"%1\")\nset(PUBLIC_HEADERS "
                         "\"engine/api/facade.h\")\nset(CHECKED_FILES \"%2\")\n")
              .arg(root.path(), checked.join(QLatin1Char(';')))
              .toUtf8());
    const QString stamp = root.filePath(QStringLiteral("stamp"));
    QFile::remove(stamp);
    QProcess cmake;
    cmake.setProcessChannelMode(QProcess::MergedChannels);
    cmake.start(QStringLiteral("cmake"),
                {QStringLiteral("-DLISTS=") + lists, QStringLiteral("-DSTAMP=") + stamp,
                 QStringLiteral("-P"), kScript});
    CheckResult result;
    if (!cmake.waitForFinished(30000))
        return result;
    result.exitCode = cmake.exitCode();
    result.output = QString::fromUtf8(cmake.readAll()).simplified();
    result.stamped = QFile::exists(stamp);
    return result;
}

} // namespace

class TestEngineBoundary final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void publicHeadersPass() {
        QTemporaryDir dir;
        const QDir root(dir.path());
        write(root, QStringLiteral("engine/api/facade.h"), "#pragma once\n#include <QString>\n");
        write(root, QStringLiteral("ui/view.cpp"),
              "#include \"engine/api/facade.h\"\n#include \"ui/view.h\"\n#include <QWidget>\n");
        const CheckResult result = check(root, {QStringLiteral("ui/view.cpp")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.output));
        QVERIFY(result.stamped);
    }

    void privateHeaderFailsNamingFileAndHeader() {
        QTemporaryDir dir;
        const QDir root(dir.path());
        write(root, QStringLiteral("engine/api/facade.h"), "#pragma once\n");
        write(root, QStringLiteral("ui/view.cpp"), "#include \"engine/api/facade.h\"\n");
        write(root, QStringLiteral("ui/sneaky.cpp"), "  #  include \"engine/net/host.h\" // x\n");
        const CheckResult result =
            check(root, {QStringLiteral("ui/view.cpp"), QStringLiteral("ui/sneaky.cpp")});
        QVERIFY(result.exitCode != 0);
        QVERIFY(!result.stamped);
        QVERIFY2(result.output.contains(QStringLiteral(
                     "ui/sneaky.cpp includes engine/net/host.h, which is not one of the "
                     "engine's public headers")),
                 qPrintable(result.output));
        QVERIFY2(!result.output.contains(QStringLiteral("ui/view.cpp includes")),
                 qPrintable(result.output));
    }

    void publicHeaderPullingInAPrivateOneFails() {
        QTemporaryDir dir;
        const QDir root(dir.path());
        write(root, QStringLiteral("engine/api/facade.h"),
              "#pragma once\n#include \"engine/health/event_log.h\"\n");
        write(root, QStringLiteral("ui/view.cpp"), "#include \"engine/api/facade.h\"\n");
        const CheckResult result = check(root, {QStringLiteral("ui/view.cpp")});
        QVERIFY(result.exitCode != 0);
        QVERIFY2(result.output.contains(QStringLiteral(
                     "engine/api/facade.h includes engine/health/event_log.h, a public header "
                     "that includes a private one")),
                 qPrintable(result.output));
    }
};

QTEST_GUILESS_MAIN(TestEngineBoundary)
#include "tst_engine_boundary.moc"
