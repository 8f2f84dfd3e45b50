// The Lab panel fed with hand-made snapshots (offscreen): placeholder outside lab mode, rows
// inserted and removed by link index and only changed cells updated, the relayed peer's row
// without spin boxes, spin box edits sent with the rate in bytes/s, and an edit not undone by
// a snapshot taken before it.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "ui/gesture_manager_setup.h"
#include "ui/views/lab_panel.h"

#include <QAbstractItemModelTester>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

LabLinkSnapshot makeLink(int index, quint64 bytesUp = 1000) {
    LabLinkSnapshot link;
    link.index = index;
    link.peerId = QStringLiteral("12D3KooWLabPeer%1xxxxxxxxxxxxxxxxxxxxxxxxxxxxx").arg(index);
    link.proxyPort = static_cast<quint16>(40000 + index);
    link.state = QStringLiteral("connected");
    link.delayMs = 5 + 10 * index;
    link.jitterMs = 1 + index;
    link.lossPercent = index * 0.5;
    link.rateBytesPerSecond = (index + 1) * 10e6;
    link.bytesUp = bytesUp;
    link.bytesDown = 2 * bytesUp;
    return link;
}

NodeSnapshot snapshotWith(const QList<LabLinkSnapshot>& links) {
    NodeSnapshot snapshot;
    snapshot.labLinks = links;
    return snapshot;
}

} // namespace

class TestLabPanel final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<Engine> engine_; // a real client, not in lab mode: edits go nowhere
    std::unique_ptr<LabPanel> panel_;
    std::unique_ptr<QAbstractItemModelTester> tester_;

    QDoubleSpinBox* spin(const char* name, int index) const {
        return panel_->findChild<QDoubleSpinBox*>(QStringLiteral("%1-%2").arg(name).arg(index));
    }
    QString text(int row, int column) const { return panel_->table()->item(row, column)->text(); }
    bool showsPlaceholder() const {
        return panel_->findChild<QStackedWidget*>()->currentWidget() ==
               panel_->findChild<QLabel*>(QStringLiteral("labPlaceholder"));
    }

private Q_SLOTS:
    void initTestCase() {
        createGestureManagerBeforeThreads(); // before any engine thread
        EngineOptions options;
        options.dataDir = dir_.path();
        options.configPath = dir_.filePath(QStringLiteral("config.json"));
        options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        options.apiEndpoint = std::nullopt;
        engine_ = std::make_unique<Engine>(options);
        QVERIFY(engine_->start().ok());
    }

    void init() {
        panel_ = std::make_unique<LabPanel>(engine_->client());
        tester_ = std::make_unique<QAbstractItemModelTester>(
            panel_->table()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    void cleanup() {
        tester_.reset();
        panel_.reset();
    }

    void cleanupTestCase() { engine_.reset(); }

    void placeholderOutsideLabMode() {
        panel_->applySnapshot(NodeSnapshot{});
        QVERIFY(showsPlaceholder());
        QVERIFY(panel_->findChild<QLabel*>(QStringLiteral("labPlaceholder"))
                    ->text()
                    .contains(QLatin1String("--lab N")));
        QCOMPARE(panel_->table()->rowCount(), 0);
    }

    void rowsShowEachLink() {
        QSignalSpy inserted(panel_->table()->model(), &QAbstractItemModel::rowsInserted);
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1), makeLink(2)}));
        QVERIFY(!showsPlaceholder());
        QCOMPARE(panel_->table()->rowCount(), 3);
        QCOMPARE(inserted.count(), 3);
        QCOMPARE(panel_->linkAt(1), 1);
        QCOMPARE(text(1, LabPanel::LinkColumn), QStringLiteral("1"));
        QCOMPARE(text(1, LabPanel::PeerColumn), QStringLiteral("12D3…xxxxxx"));
        QCOMPARE(panel_->table()->item(1, LabPanel::PeerColumn)->toolTip(), makeLink(1).peerId);
        QCOMPARE(text(1, LabPanel::ProxyColumn), QStringLiteral("127.0.0.1:40001"));
        QCOMPARE(text(1, LabPanel::StateColumn), QStringLiteral("connected"));
        QCOMPARE(text(1, LabPanel::SentColumn),
                 QLocale().formattedDataSize(1000, 1, QLocale::DataSizeIecFormat));
        QCOMPARE(spin("labDelay", 1)->value(), 15.0);
        QCOMPARE(spin("labDelay", 1)->suffix(), QStringLiteral(" ms"));
        QCOMPARE(spin("labJitter", 1)->value(), 2.0);
        QCOMPARE(spin("labLoss", 1)->value(), 0.5);
        QCOMPARE(spin("labLoss", 1)->suffix(), QStringLiteral(" %"));
        QCOMPARE(spin("labRate", 1)->value(), 20.0); // MB/s
        QCOMPARE(panel_->table()->cellWidget(1, LabPanel::RateColumn), spin("labRate", 1));

        // A link still starting has no peer or proxy yet; an unlimited rate says so.
        LabLinkSnapshot starting;
        starting.index = 3;
        starting.state = QStringLiteral("starting");
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1), makeLink(2), starting}));
        QCOMPARE(text(3, LabPanel::PeerColumn), QStringLiteral("—"));
        QCOMPARE(text(3, LabPanel::ProxyColumn), QStringLiteral("—"));
        QCOMPARE(spin("labRate", 3)->text(), QStringLiteral("unlimited"));
    }

    // Relays are links like the others; the relayed peer has none: its path is its relay,
    // and nothing can be edited on its row.
    void relayedPeerShowsItsRelayAndNoSpinBoxes() {
        LabLinkSnapshot relay = makeLink(1);
        relay.role = QStringLiteral("relay");
        LabLinkSnapshot relayed;
        relayed.index = 2;
        relayed.role = QStringLiteral("relayed");
        relayed.peerId = QStringLiteral("12D3KooWRelayedxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyyyyyy");
        relayed.state = QStringLiteral("connecting");
        LabLinkSnapshot peer = makeLink(0);
        peer.role = QStringLiteral("peer");
        panel_->applySnapshot(snapshotWith({peer, relay, relayed}));
        QCOMPARE(text(0, LabPanel::RoleColumn), QStringLiteral("peer"));
        QCOMPARE(text(1, LabPanel::RoleColumn), QStringLiteral("relay"));
        QVERIFY(spin("labDelay", 1));
        QCOMPARE(text(2, LabPanel::RoleColumn), QStringLiteral("relayed"));
        QCOMPARE(text(2, LabPanel::ProxyColumn), QStringLiteral("—")); // not dialled yet
        for (int column : {LabPanel::DelayColumn, LabPanel::JitterColumn, LabPanel::LossColumn,
                           LabPanel::RateColumn}) {
            QCOMPARE(panel_->table()->cellWidget(2, column), nullptr);
            QCOMPARE(text(2, column), QStringLiteral("—"));
        }
        QVERIFY(!panel_->findChild<QDoubleSpinBox*>(QStringLiteral("labDelay-2")));

        relayed.viaRelay = relay.peerId;
        relayed.state = QStringLiteral("connected");
        panel_->applySnapshot(snapshotWith({peer, relay, relayed}));
        QCOMPARE(text(2, LabPanel::ProxyColumn), QStringLiteral("via relay 12D3…xxxxxx"));
        QCOMPARE(panel_->table()->item(2, LabPanel::ProxyColumn)->toolTip(), relay.peerId);
        QCOMPARE(text(2, LabPanel::StateColumn), QStringLiteral("connected"));
    }

    void updatesTouchOnlyChangedCells() {
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1), makeLink(2)}));
        QTableWidgetItem* sent = panel_->table()->item(1, LabPanel::SentColumn);
        QSignalSpy inserted(panel_->table()->model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(panel_->table()->model(), &QAbstractItemModel::rowsRemoved);
        QSignalSpy reset(panel_->table()->model(), &QAbstractItemModel::modelReset);
        QSignalSpy changed(panel_->table()->model(), &QAbstractItemModel::dataChanged);

        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1), makeLink(2)}));
        QCOMPARE(changed.count(), 0); // the same snapshot changes nothing

        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1, 5'000'000), makeLink(2)}));
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(removed.count(), 0);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(changed.count(), 2); // sent and received of link 1
        for (const QList<QVariant>& call : changed) {
            const QModelIndex topLeft = call.at(0).toModelIndex();
            QCOMPARE(topLeft.row(), 1);
            QVERIFY(topLeft.column() == LabPanel::SentColumn ||
                    topLeft.column() == LabPanel::ReceivedColumn);
        }
        QCOMPARE(panel_->table()->item(1, LabPanel::SentColumn), sent); // same item, new text
        QCOMPARE(sent->text(),
                 QLocale().formattedDataSize(5'000'000, 1, QLocale::DataSizeIecFormat));

        // A link changed elsewhere (the control API): the spin box follows, silently.
        QSignalSpy edited(panel_.get(), &LabPanel::linkEdited);
        LabLinkSnapshot slower = makeLink(2);
        slower.delayMs = 150;
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1, 5'000'000), slower}));
        QCOMPARE(spin("labDelay", 2)->value(), 150.0);
        QCOMPARE(edited.count(), 0);
    }

    void membershipChangesByIndex() {
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1), makeLink(2)}));
        QDoubleSpinBox* lastDelay = spin("labDelay", 2);
        QSignalSpy inserted(panel_->table()->model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(panel_->table()->model(), &QAbstractItemModel::rowsRemoved);

        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(2)}));
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.first().at(1).toInt(), 1);
        QCOMPARE(panel_->table()->rowCount(), 2);
        QCOMPARE(panel_->linkAt(1), 2);
        QCOMPARE(panel_->table()->cellWidget(1, LabPanel::DelayColumn), lastDelay);
        // The removed row's editors go with it (deleted later, as views do).
        QTRY_VERIFY_WITH_TIMEOUT(spin("labDelay", 1) == nullptr, 1000);

        panel_->applySnapshot(snapshotWith({makeLink(2), makeLink(1), makeLink(0)})); // any order
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.first().at(1).toInt(), 1);
        QCOMPARE(panel_->linkAt(0), 0);
        QCOMPARE(panel_->linkAt(1), 1);
        QCOMPARE(panel_->linkAt(2), 2);
        QCOMPARE(text(1, LabPanel::LinkColumn), QStringLiteral("1"));

        panel_->applySnapshot(NodeSnapshot{});
        QCOMPARE(panel_->table()->rowCount(), 0);
        QVERIFY(showsPlaceholder());
        QCOMPARE(panel_->linkAt(0), -1);
    }

    void editsAreSentWithTheRateInBytesPerSecond() {
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1)}));
        QSignalSpy edited(panel_.get(), &LabPanel::linkEdited);
        spin("labDelay", 1)->setValue(33);
        QCOMPARE(edited.count(), 1);
        QList<QVariant> call = edited.takeFirst();
        QCOMPARE(call.at(0).toInt(), 1);
        QCOMPARE(call.at(1).toDouble(), 33.0);
        QCOMPARE(call.at(2).toDouble(), 2.0);
        QCOMPARE(call.at(3).toDouble(), 0.5);
        QCOMPARE(call.at(4).toDouble(), 20e6);

        spin("labRate", 0)->setValue(0); // unlimited
        QCOMPARE(edited.count(), 1);
        call = edited.takeFirst();
        QCOMPARE(call.at(0).toInt(), 0);
        QCOMPARE(call.at(4).toDouble(), 0.0);
        QCOMPARE(spin("labRate", 0)->text(), QStringLiteral("unlimited"));
    }

    void anEditIsNotUndoneByAnOlderSnapshot() {
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1)}));
        spin("labLoss", 1)->setValue(4);
        // Taken before the engine applied the edit: still the old loss.
        panel_->applySnapshot(snapshotWith({makeLink(0), makeLink(1)}));
        QCOMPARE(spin("labLoss", 1)->value(), 4.0);
        // The engine caught up; from now on snapshots rule again.
        LabLinkSnapshot applied = makeLink(1);
        applied.lossPercent = 4;
        panel_->applySnapshot(snapshotWith({makeLink(0), applied}));
        QCOMPARE(spin("labLoss", 1)->value(), 4.0);
        applied.lossPercent = 1;
        panel_->applySnapshot(snapshotWith({makeLink(0), applied}));
        QCOMPARE(spin("labLoss", 1)->value(), 1.0);

        // An edit the engine never shows (refused) gives way after kPendingEditMs.
        spin("labJitter", 0)->setValue(9999);
        panel_->applySnapshot(snapshotWith({makeLink(0), applied}));
        QCOMPARE(spin("labJitter", 0)->value(), 9999.0);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                panel_->applySnapshot(snapshotWith({makeLink(0), applied}));
                return spin("labJitter", 0)->value() == makeLink(0).jitterMs;
            }(),
            LabPanel::kPendingEditMs + 2000);
    }
};

QTEST_MAIN(TestLabPanel)
#include "tst_lab_panel.moc"
