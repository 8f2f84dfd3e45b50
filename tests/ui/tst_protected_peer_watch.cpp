#include "ui/protected_peer_watch.h"
#include "ui/tray_notifier.h"

#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTest>
#include <QWidget>

using namespace peerscope;

namespace {

using Kind = ProtectedPeerTransition::Kind;

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWWatchPeer%1xxxxxxxxxxxxxxxxxxxxxxx").arg(n, 4, 10, QChar('0'));
}

// A peer with one connection per state given ("healthy", "degraded", "failed").
PeerSnapshot makePeer(int n, const QStringList& states, bool isProtected = true) {
    PeerSnapshot peer;
    peer.peerId = peerIdFor(n);
    peer.agentVersion = QStringLiteral("agent/%1").arg(n);
    peer.isProtected = isProtected;
    quint64 id = static_cast<quint64>(n) * 100;
    for (const QString& state : states) {
        ConnectionSnapshot connection;
        connection.id = ++id;
        connection.peerId = peer.peerId;
        connection.healthState = state;
        peer.connections << connection;
    }
    return peer;
}

NodeSnapshot makeSnapshot(const QList<PeerSnapshot>& peers) {
    NodeSnapshot snapshot;
    snapshot.peers = peers;
    return snapshot;
}

const QStringList kHealthy{QStringLiteral("healthy")};
const QStringList kDegraded{QStringLiteral("degraded")};
const QStringList kFailed{QStringLiteral("failed")};
const QStringList kNone{};

} // namespace

class TestProtectedPeerWatch final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void upMeansAHealthyOrDegradedConnection() {
        QVERIFY(ProtectedPeerWatch::isUp(makePeer(1, kHealthy)));
        QVERIFY(ProtectedPeerWatch::isUp(makePeer(1, kDegraded)));
        QVERIFY(ProtectedPeerWatch::isUp(
            makePeer(1, {QStringLiteral("failed"), QStringLiteral("degraded")})));
        QVERIFY(!ProtectedPeerWatch::isUp(makePeer(1, kFailed)));
        QVERIFY(!ProtectedPeerWatch::isUp(
            makePeer(1, {QStringLiteral("failed"), QStringLiteral("failed")})));
        QVERIFY(!ProtectedPeerWatch::isUp(makePeer(1, kNone)));
    }

    void failsAndRecovers() {
        ProtectedPeerWatch watch;
        // The first sighting is not news, up or down.
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy), makePeer(2, kFailed)}))
                    .isEmpty());
        QCOMPARE(watch.watchedCount(), 2);
        // Degraded is still up.
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kDegraded), makePeer(2, kFailed)}))
                    .isEmpty());

        // Peer 1's only connection fails.
        QCOMPARE(watch.applySnapshot(makeSnapshot({makePeer(1, kFailed), makePeer(2, kFailed)})),
                 (QList<ProtectedPeerTransition>{{peerIdFor(1), Kind::Failed}}));
        // Still failed, then no connection at all: no repeat.
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kFailed)})).isEmpty());
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kNone)})).isEmpty());

        // Back: recovered, once.
        QCOMPARE(watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy)})),
                 (QList<ProtectedPeerTransition>{{peerIdFor(1), Kind::Recovered}}));
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy)})).isEmpty());

        // Peer 2 was never up while watched: its first working connection is not a recovery.
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy), makePeer(2, kHealthy)}))
                    .isEmpty());
        // Both go down in one snapshot: two transitions, in snapshot order.
        QCOMPARE(watch.applySnapshot(makeSnapshot({makePeer(2, kNone), makePeer(1, kFailed)})),
                 (QList<ProtectedPeerTransition>{{peerIdFor(2), Kind::Failed},
                                                 {peerIdFor(1), Kind::Failed}}));
    }

    void peerLeavingTheSnapshotFails() {
        ProtectedPeerWatch watch;
        watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy)}));
        QCOMPARE(watch.applySnapshot(makeSnapshot({})),
                 (QList<ProtectedPeerTransition>{{peerIdFor(1), Kind::Failed}}));
        QVERIFY(watch.applySnapshot(makeSnapshot({})).isEmpty());
        QCOMPARE(watch.watchedCount(), 1);
        QCOMPARE(watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy)})),
                 (QList<ProtectedPeerTransition>{{peerIdFor(1), Kind::Recovered}}));
    }

    void unprotectedPeersAreIgnored() {
        ProtectedPeerWatch watch;
        watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy, false)}));
        QCOMPARE(watch.watchedCount(), 0);
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kFailed, false)})).isEmpty());

        // Protected, then unprotected while up, then it fails: no notification.
        watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy)}));
        QCOMPARE(watch.watchedCount(), 1);
        watch.applySnapshot(makeSnapshot({makePeer(1, kHealthy, false)}));
        QCOMPARE(watch.watchedCount(), 0);
        QVERIFY(watch.applySnapshot(makeSnapshot({makePeer(1, kFailed, false)})).isEmpty());
        QVERIFY(watch.applySnapshot(makeSnapshot({})).isEmpty());
    }

    void trayNotifierWithoutSystemTray() {
        // Offscreen there is no system tray: no icon, no crash, notifications still reported.
        QWidget window;
        TrayNotifier tray(&window);
        QCOMPARE(tray.hasIcon(), QSystemTrayIcon::isSystemTrayAvailable());
        QSignalSpy notified(&tray, &TrayNotifier::notified);

        tray.applySnapshot(makeSnapshot({makePeer(1, kHealthy), makePeer(2, kHealthy, false)}));
        QCOMPARE(notified.count(), 0);
        tray.applySnapshot(makeSnapshot({makePeer(1, kFailed), makePeer(2, kFailed, false)}));
        QCOMPARE(notified.count(), 1);
        QCOMPARE(notified.at(0).at(0).toString(), QStringLiteral("Protected peer failed"));
        const QString failedMessage = notified.at(0).at(1).toString();
        QVERIFY2(failedMessage.contains(QStringLiteral("12D3…xxxxxx")), qPrintable(failedMessage));
        QVERIFY2(failedMessage.contains(QStringLiteral("agent/1")), qPrintable(failedMessage));

        tray.applySnapshot(makeSnapshot({makePeer(1, kDegraded)}));
        QCOMPARE(notified.count(), 2);
        QCOMPARE(notified.at(1).at(0).toString(), QStringLiteral("Protected peer recovered"));

        // The window may go away before the tray does.
        {
            auto* shortLived = new QWidget;
            TrayNotifier orphan(shortLived);
            delete shortLived;
            orphan.applySnapshot(makeSnapshot({makePeer(3, kHealthy)}));
        }
    }

    void oneMessagePerSnapshot() {
        TrayNotifier tray(nullptr);
        QSignalSpy notified(&tray, &TrayNotifier::notified);
        tray.applySnapshot(makeSnapshot({makePeer(1, kHealthy), makePeer(2, kFailed)}));
        tray.applySnapshot(makeSnapshot({makePeer(1, kHealthy), makePeer(2, kHealthy)}));
        QCOMPARE(notified.count(), 0); // peer 2 was never up: no recovery
        tray.applySnapshot(makeSnapshot({makePeer(1, kFailed), makePeer(2, kFailed)}));
        tray.applySnapshot(makeSnapshot({makePeer(1, kHealthy), makePeer(2, kFailed)}));
        QCOMPARE(notified.count(), 2);
        // Two failures in one snapshot: one message naming both.
        QCOMPARE(notified.at(0).at(0).toString(), QStringLiteral("Protected peer failed"));
        QCOMPARE(notified.at(0).at(1).toString().split(QLatin1Char('\n')).size(), 2);
        QVERIFY(notified.at(0).at(1).toString().contains(QStringLiteral("agent/2")));
        QCOMPARE(notified.at(1).at(0).toString(), QStringLiteral("Protected peer recovered"));
        QVERIFY(notified.at(1).at(1).toString().contains(QStringLiteral("agent/1")));
    }
};

QTEST_MAIN(TestProtectedPeerWatch)
#include "tst_protected_peer_watch.moc"
