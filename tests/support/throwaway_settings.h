#pragma once

// Points QSettings (window state, recent addresses, remembered folders) at a directory of the
// test's own, under an application name of its own, so no test reads or writes the user's.
#include <QCoreApplication>
#include <QSettings>
#include <QString>

namespace peerscope::test {

inline void useThrowawaySettings(const QString& directory, const QString& applicationName) {
    QCoreApplication::setOrganizationName(QStringLiteral("PeerScopeTest"));
    QCoreApplication::setApplicationName(applicationName);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, directory);
    QSettings::setDefaultFormat(QSettings::NativeFormat);
}

} // namespace peerscope::test
