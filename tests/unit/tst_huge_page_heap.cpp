// When PeerScope restarts itself for a huge-page heap, and with which GLIBC_TUNABLES.
#include "engine/core/huge_page_heap.h"

#include <QTest>

using peerscope::HugePageHeap;

class TestHugePageHeap final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void decision_data() {
        QTest::addColumn<QString>("current"); // "<unset>" for no GLIBC_TUNABLES
        QTest::addColumn<QString>("thpMode");
        QTest::addColumn<QString>("glibc");
        QTest::addColumn<QString>("optOut");   // "<unset>" for no PEERSCOPE_HUGE_PAGES
        QTest::addColumn<QString>("expected"); // "<none>" for no restart
        const QString unset = QStringLiteral("<unset>");
        const QString none = QStringLiteral("<none>");
        QTest::newRow("madvise, nothing set") << unset << "madvise"
                                              << "2.36" << unset << "glibc.malloc.hugetlb=1";
        QTest::newRow("empty tunables") << ""
                                        << "madvise"
                                        << "2.36" << unset << "glibc.malloc.hugetlb=1";
        QTest::newRow("other tunables are kept")
            << "glibc.malloc.arena_max=2"
            << "madvise"
            << "2.40" << unset << "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1";
        QTest::newRow("already set by us") << "glibc.malloc.hugetlb=1"
                                           << "madvise"
                                           << "2.36" << unset << none;
        QTest::newRow("chosen otherwise by the user") << "glibc.malloc.hugetlb=0"
                                                      << "madvise"
                                                      << "2.36" << unset << none;
        QTest::newRow("THP always: huge pages anyway") << unset << "always"
                                                       << "2.36" << unset << none;
        QTest::newRow("THP never") << unset << "never"
                                   << "2.36" << unset << none;
        QTest::newRow("no THP in the kernel") << unset << ""
                                              << "2.36" << unset << none;
        QTest::newRow("glibc 2.34 has no such tunable") << unset << "madvise"
                                                        << "2.34" << unset << none;
        QTest::newRow("glibc 3.0") << unset << "madvise"
                                   << "3.0" << unset << "glibc.malloc.hugetlb=1";
        QTest::newRow("unreadable glibc version") << unset << "madvise"
                                                  << "unknown" << unset << none;
        QTest::newRow("opted out") << unset << "madvise"
                                   << "2.36"
                                   << "0" << none;
        QTest::newRow("opt-out takes 0 only") << unset << "madvise"
                                              << "2.36"
                                              << "1"
                                              << "glibc.malloc.hugetlb=1";
    }

    void decision() {
        QFETCH(QString, current);
        QFETCH(QString, thpMode);
        QFETCH(QString, glibc);
        QFETCH(QString, optOut);
        QFETCH(QString, expected);
        const QByteArray currentBytes = current.toUtf8();
        const QByteArray optOutBytes = optOut.toUtf8();
        const std::optional<std::string> got = HugePageHeap::tunablesToRestartWith(
            current == QLatin1String("<unset>") ? nullptr : currentBytes.constData(),
            thpMode.toStdString(), glibc.toStdString(),
            optOut == QLatin1String("<unset>") ? nullptr : optOutBytes.constData());
        if (expected == QLatin1String("<none>"))
            QVERIFY2(!got, got ? got->c_str() : "");
        else
            QCOMPARE(QString::fromStdString(got.value_or("<none>")), expected);
    }
};

QTEST_GUILESS_MAIN(TestHugePageHeap)
#include "tst_huge_page_heap.moc"
