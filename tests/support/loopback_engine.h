#pragma once

// Engines for tests: loopback only, an ephemeral port, no control API, and the data and the
// config in the test's own directory (never the user's).
#include "engine/api/engine.h"

#include <QString>
#include <QTemporaryDir>
#include <optional>

namespace peerscope::test {

inline EngineOptions loopbackOptions(const QTemporaryDir& dir) {
    EngineOptions options;
    options.dataDir = dir.path();
    options.configPath = dir.filePath(QStringLiteral("config.json"));
    options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
    options.apiEndpoint = std::nullopt;
    return options;
}

// The engine's 127.0.0.1 listen address with /p2p/, or its first one.
inline QString loopbackAddr(const Engine& engine) {
    for (const QString& addr : engine.announcedAddrs())
        if (addr.startsWith(QLatin1String("/ip4/127.0.0.1/")))
            return addr;
    return engine.announcedAddrs().value(0);
}

} // namespace peerscope::test
