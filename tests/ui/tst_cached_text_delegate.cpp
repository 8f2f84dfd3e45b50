// CachedTextDelegate draws what QStyledItemDelegate draws (the same pixels), from laid-out
// text it keeps, and StaticTextCache stays within its bound. The pixels are compared exactly,
// so the test renders with fonts it names (DejaVu, from fonts-dejavu-core), not with whatever
// fontconfig picks on the machine: other fonts hint and position glyphs in ways that differ
// by a pixel between two text layout paths that look the same.
#include "ui/views/cached_text_delegate.h"
#include "ui/views/static_text_cache.h"

#include <QApplication>
#include <QHeaderView>
#include <QImage>
#include <QPainter>
#include <QStandardItemModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTest>

using namespace peerscope;

namespace {

QFont fixedFont() {
    return QFont(QStringLiteral("DejaVu Sans Mono"), 9);
}

// A table of the kinds of cells the live tables show: left- and right-aligned numbers and
// words, a fixed-pitch font, a tinted background, a text too wide for its column.
void fill(QStandardItemModel& model) {
    model.setRowCount(4);
    model.setColumnCount(4);
    const QStringList texts{QStringLiteral("12D3…abcdef"), QStringLiteral("↑ 57.3 ms"),
                            QStringLiteral("1.2 KiB/s"), QStringLiteral("degraded")};
    for (int row = 0; row < 4; ++row) {
        for (int column = 0; column < 4; ++column) {
            QStandardItem* item = new QStandardItem(texts.at((row + column) % 4));
            if (column == 1 || column == 2)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (column == 3)
                item->setTextAlignment(Qt::AlignCenter);
            model.setItem(row, column, item);
        }
    }
    model.item(0, 0)->setFont(fixedFont());
    model.item(1, 2)->setBackground(QColor(255, 191, 0, 48));
    model.item(2, 0)->setText(QStringLiteral("/ip4/255.255.255.255/tcp/65535/p2p-circuit/long"));
    model.item(3, 3)->setText(QString());
}

QImage render(QAbstractItemDelegate* delegate, bool selectRow, Qt::TextElideMode elide) {
    QStandardItemModel model;
    fill(model);
    QTableView view;
    view.setModel(&model);
    view.setItemDelegate(delegate);
    view.setAlternatingRowColors(true);
    view.setWordWrap(false);
    view.setShowGrid(false);
    view.setTextElideMode(elide);
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.verticalHeader()->hide();
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 8);
    for (int column = 0; column < 4; ++column)
        view.setColumnWidth(column, 110);
    view.resize(480, 160);
    if (selectRow)
        view.selectRow(1);
    view.show();
    if (!QTest::qWaitForWindowExposed(&view))
        return {};
    return view.viewport()->grab().toImage();
}

} // namespace

class TestCachedTextDelegate final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QApplication::setFont(QFont(QStringLiteral("DejaVu Sans"), 9));
        QCOMPARE(QFontInfo(QApplication::font()).family(), QStringLiteral("DejaVu Sans"));
        QCOMPARE(QFontInfo(fixedFont()).family(), QStringLiteral("DejaVu Sans Mono"));
    }

    void paintsWhatTheStyledDelegatePaints_data() {
        QTest::addColumn<bool>("selectRow");
        QTest::addColumn<int>("elide");
        QTest::newRow("plain") << false << int(Qt::ElideRight);
        QTest::newRow("selected row") << true << int(Qt::ElideRight);
        QTest::newRow("elided in the middle") << false << int(Qt::ElideMiddle);
    }

    void paintsWhatTheStyledDelegatePaints() {
        QFETCH(bool, selectRow);
        QFETCH(int, elide);
        QStyledItemDelegate styled;
        CachedTextDelegate cached;
        const QImage expected = render(&styled, selectRow, Qt::TextElideMode(elide));
        const QImage actual = render(&cached, selectRow, Qt::TextElideMode(elide));
        QVERIFY(!expected.isNull());
        QCOMPARE(actual.size(), expected.size());
        int differing = 0;
        for (int y = 0; y < expected.height(); ++y) {
            for (int x = 0; x < expected.width(); ++x)
                differing += expected.pixel(x, y) != actual.pixel(x, y) ? 1 : 0;
        }
        if (differing != 0 && qEnvironmentVariableIsSet("PEERSCOPE_SAVE_IMAGES")) {
            expected.save(qEnvironmentVariable("PEERSCOPE_SAVE_IMAGES") +
                          QStringLiteral("/expected.png"));
            actual.save(qEnvironmentVariable("PEERSCOPE_SAVE_IMAGES") +
                        QStringLiteral("/actual.png"));
        }
        QCOMPARE(differing, 0);
    }

    void keepsEachTextOnce() {
        StaticTextCache cache;
        const QFont font = QApplication::font();
        const QStaticText& first = cache.text(QStringLiteral("1.2 KiB/s"), font);
        QCOMPARE(first.text(), QStringLiteral("1.2 KiB/s"));
        QCOMPARE(first.textFormat(), Qt::PlainText);
        cache.text(QStringLiteral("1.2 KiB/s"), font);
        QCOMPARE(cache.size(), 1);
        cache.text(QStringLiteral("1.2 KiB/s"), fixedFont());
        QCOMPARE(cache.size(), 2);
        cache.clear();
        QCOMPARE(cache.size(), 0);
    }

    void staysWithinItsCapacity() {
        StaticTextCache cache(16);
        const QFont font = QApplication::font();
        for (int i = 0; i < 100; ++i) {
            cache.text(QString::number(i), font);
            QVERIFY(cache.size() <= 16);
        }
        QVERIFY(cache.size() > 0);
        // The newest is always there after an overflow.
        const qsizetype before = cache.size();
        cache.text(QString::number(99), font);
        QCOMPARE(cache.size(), before);
    }

    void drawsElidedTextWhenTooWide() {
        StaticTextCache cache;
        const QFont font = QApplication::font();
        QImage image(60, 24, QImage::Format_ARGB32);
        image.fill(Qt::white);
        QPainter painter(&image);
        painter.setPen(Qt::black);
        const QString wide = QStringLiteral("/ip4/255.255.255.255/tcp/65535");
        cache.draw(&painter, QRect(0, 0, 60, 24), Qt::AlignLeft | Qt::AlignVCenter, wide, font,
                   Qt::ElideRight);
        painter.end();
        // The full text and the elided one are both laid out; the elided one fits.
        QCOMPARE(cache.size(), 2);
        const QString elided = QFontMetrics(font).elidedText(wide, Qt::ElideRight, 60);
        QVERIFY(elided != wide);
        QVERIFY(cache.text(elided, font).size().width() <= 60);
        QCOMPARE(cache.size(), 2);
        bool inked = false;
        for (int x = 0; x < 60 && !inked; ++x)
            inked = image.pixelColor(x, 12) != QColor(Qt::white);
        QVERIFY(inked);
    }
};

QTEST_MAIN(TestCachedTextDelegate)
#include "tst_cached_text_delegate.moc"
