#pragma once

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <optional>

namespace peerscope {

// Immutable value types the engine publishes to the GUI and the control API. Plain data only:
// they cross threads by copy.

struct ConnectionSnapshot {
    quint64 id = 0;
    QString peerId;
    QString direction; // "inbound" | "outbound"
    QString remoteAddr;
    QString localAddr;
    QString muxer;
    bool muxerInHandshake = false;
    QDateTime openedAt;
    int streams = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
};

struct PeerSnapshot {
    QString peerId;
    QString agentVersion;
    QString protocolVersion;
    QStringList protocols;
    QStringList listenAddrs;
    bool identified = false;
    std::optional<double> lastPingRttMs;
    QList<ConnectionSnapshot> connections;
};

struct NodeCounters {
    quint64 connectionsOpened = 0;
    quint64 connectionsClosed = 0;
    quint64 streamsOpened = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    quint64 dialsSucceeded = 0;
    quint64 dialsFailed = 0;
    QMap<QString, quint64> handshakeFailures; // reason -> count
    QMap<QString, quint64> protocolErrors;    // layer ("noise", "yamux") -> count
};

struct NodeSnapshot {
    QString peerId;
    QString agentVersion;
    QStringList listenAddrs;   // as bound, with /p2p/<id>
    QStringList observedAddrs; // as peers report seeing us
    QList<PeerSnapshot> peers;
    NodeCounters counters;
    int openStreams = 0;
    QDateTime takenAt;
};

} // namespace peerscope

Q_DECLARE_METATYPE(peerscope::NodeSnapshot)
