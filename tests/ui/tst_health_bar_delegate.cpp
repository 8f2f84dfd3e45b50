#include "ui/models/peer_table_model.h"
#include "ui/views/health_bar_delegate.h"

#include <QApplication>
#include <QImage>
#include <QPainter>
#include <QStandardItemModel>
#include <QStyleOptionViewItem>
#include <QTableView>
#include <QTest>

using namespace peerscope;

namespace {

constexpr int kScoreRole = Qt::UserRole + 3;
const QSize kCellSize(200, 24);

// Paints one cell holding `score` (and its text) into an image on a white background.
QImage paintCell(const QVariant& score, const QString& text) {
    QStandardItemModel model(1, 1);
    model.setData(model.index(0, 0), text, Qt::DisplayRole);
    model.setData(model.index(0, 0), score, kScoreRole);
    HealthBarDelegate delegate(kScoreRole);

    QImage image(kCellSize, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    QStyleOptionViewItem option;
    option.rect = QRect(QPoint(0, 0), kCellSize);
    option.state = QStyle::State_Enabled;
    option.palette = QApplication::palette();
    option.font = QApplication::font();
    option.fontMetrics = QFontMetrics(option.font);
    delegate.paint(&painter, option, model.index(0, 0));
    painter.end();
    return image;
}

QColor pixel(const QImage& image, int x) {
    return image.pixelColor(x, kCellSize.height() / 2);
}

} // namespace

class TestHealthBarDelegate final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void colorScale() {
        QCOMPARE(HealthBarDelegate::colorForScore(0.0), QColor(220, 50, 47));
        QCOMPARE(HealthBarDelegate::colorForScore(0.5), QColor(255, 191, 0));
        QCOMPARE(HealthBarDelegate::colorForScore(1.0), QColor(46, 160, 67));
        // Out of range is clamped.
        QCOMPARE(HealthBarDelegate::colorForScore(-3.0), HealthBarDelegate::colorForScore(0.0));
        QCOMPARE(HealthBarDelegate::colorForScore(7.0), HealthBarDelegate::colorForScore(1.0));
        // Greener as the score rises, redder as it falls.
        const QColor low = HealthBarDelegate::colorForScore(0.2);
        const QColor high = HealthBarDelegate::colorForScore(0.8);
        QVERIFY(low.red() > low.green());
        QVERIFY(high.green() > high.red());
    }

    void lowScorePaintsAShortRedBar() {
        const QImage image = paintCell(0.1, QStringLiteral("0.10"));
        const QColor bar = pixel(image, 6);
        QCOMPARE(bar, HealthBarDelegate::colorForScore(0.1));
        QVERIFY(bar.red() > 200 && bar.green() < 120);
        // Beyond 10 % of the width only the faint track: not the bar colour.
        const QColor track = pixel(image, 180);
        QVERIFY(track != bar);
        QVERIFY(track.lightness() > bar.lightness());
    }

    void highScorePaintsALongGreenBar() {
        const QImage image = paintCell(0.95, QStringLiteral("0.95"));
        const QColor expected = HealthBarDelegate::colorForScore(0.95);
        QCOMPARE(pixel(image, 6), expected);
        QCOMPARE(pixel(image, 180), expected);
        QVERIFY(expected.green() > expected.red() && expected.green() > expected.blue());
        // The number is drawn over the bar, centred: some pixels there differ from the bar.
        bool textDrawn = false;
        for (int x = 60; x < 140 && !textDrawn; ++x) {
            for (int y = 4; y < kCellSize.height() - 4 && !textDrawn; ++y)
                textDrawn = image.pixelColor(x, y) != expected;
        }
        QVERIFY(textDrawn);
    }

    void cellWithoutScorePaintsNoBar() {
        const QImage image = paintCell(QVariant(), QStringLiteral("n/a"));
        for (int x = 0; x < kCellSize.width(); x += 10) {
            const QColor color = pixel(image, x);
            QVERIFY(color != HealthBarDelegate::colorForScore(0.0));
            QVERIFY(color != HealthBarDelegate::colorForScore(1.0));
        }
    }

    void paintsThePeerTableHealthColumn() {
        // With the real model and a view: the delegate reads HealthRole.
        PeerTableModel model;
        PeerSnapshot peer;
        peer.peerId = QStringLiteral("12D3KooWDelegatePeerxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ConnectionSnapshot connection;
        connection.id = 1;
        connection.healthScore = 0.05;
        connection.healthState = QStringLiteral("failed");
        peer.connections << connection;
        NodeSnapshot snapshot;
        snapshot.peers << peer;
        model.applySnapshot(snapshot);

        QTableView view;
        view.setModel(&model);
        view.setItemDelegateForColumn(PeerTableModel::HealthColumn,
                                      new HealthBarDelegate(PeerTableModel::HealthRole, &view));
        view.setColumnWidth(PeerTableModel::HealthColumn, 200);
        view.resize(1600, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const QRect cell = view.visualRect(model.index(0, PeerTableModel::HealthColumn));
        QVERIFY(cell.isValid());
        const QImage image = view.viewport()->grab().toImage();
        // The row is tinted (failed) under the bar, so compare hue, not the exact colour.
        const QColor bar = image.pixelColor(cell.left() + 4, cell.center().y());
        QVERIFY2(bar.red() > 150 && bar.green() < 120,
                 qPrintable(QStringLiteral("bar pixel %1").arg(bar.name())));
    }
};

QTEST_MAIN(TestHealthBarDelegate)
#include "tst_health_bar_delegate.moc"
