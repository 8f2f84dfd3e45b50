#include "ui/resource_use_panel.h"

#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <algorithm>

namespace peerscope {

namespace {

// A bar in this state tells the user the next one of these will be refused soon.
constexpr int kNearLimitPerMille = 900;

bool isBytes(const QString& resource) {
    return resource.contains(QLatin1String("bytes")); // "bytes_buffered"
}

void setTextIfChanged(QLabel* label, const QString& text) {
    if (label->text() != text)
        label->setText(text);
}

void setToolTipIfChanged(QWidget* widget, const QString& text) {
    if (widget->toolTip() != text)
        widget->setToolTip(text);
}

} // namespace

ResourceUsePanel::ResourceUsePanel(QWidget* parent)
    : QGroupBox(tr("Resources"), parent), grid_(new QGridLayout(this)) {
    setObjectName(QStringLiteral("resourceUsePanel"));
    setToolTip(tr("What this node holds against its system limits (Config tab, Resources). "
                  "Past a limit a new handshake, connection or stream is refused before it "
                  "costs anything."));
    grid_->setColumnStretch(1, 1);
    auto* refusedTitle = new QLabel(tr("Refused"));
    refusedTitle->setToolTip(tr("How many times a limit refused this, in any scope"));
    grid_->addWidget(refusedTitle, 0, 3, Qt::AlignRight);
}

ResourceUsePanel::~ResourceUsePanel() = default;

QString ResourceUsePanel::resourceLabel(const QString& resource) {
    QString text = resource;
    text.replace(QLatin1Char('_'), QLatin1Char(' '));
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

QString ResourceUsePanel::useText(const QString& resource, quint64 inUse, quint64 limit) {
    const QLocale locale;
    const auto amount = [&](quint64 value) {
        return isBytes(resource) ? locale.formattedDataSize(static_cast<qint64>(value), 1,
                                                            QLocale::DataSizeIecFormat)
                                 : locale.toString(value);
    };
    if (limit == 0)
        return tr("%1 (no limit)").arg(amount(inUse));
    return tr("%1 / %2").arg(amount(inUse), amount(limit));
}

void ResourceUsePanel::rebuild(const ResourcesSnapshot& resources) {
    for (Row& row : rows_) {
        delete row.name;
        delete row.bar;
        delete row.use;
        delete row.refused;
    }
    rows_.clear();
    int line = 1; // line 0 holds the column title
    for (const ResourceUseSnapshot& use : resources.system) {
        Row row;
        row.resource = use.resource;
        row.name = new QLabel(resourceLabel(use.resource));
        row.bar = new QProgressBar;
        row.bar->setObjectName(QStringLiteral("resourceBar_") + use.resource);
        row.bar->setRange(0, 1000); // per mille: byte limits do not fit an int
        row.bar->setTextVisible(false);
        row.bar->setMaximumHeight(row.name->sizeHint().height());
        row.use = new QLabel;
        row.use->setObjectName(QStringLiteral("resourceUse_") + use.resource);
        row.use->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        row.refused = new QLabel;
        row.refused->setObjectName(QStringLiteral("resourceRefused_") + use.resource);
        row.refused->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        grid_->addWidget(row.name, line, 0);
        grid_->addWidget(row.bar, line, 1);
        grid_->addWidget(row.use, line, 2);
        grid_->addWidget(row.refused, line, 3);
        rows_.append(row);
        ++line;
    }
}

void ResourceUsePanel::applyResources(const ResourcesSnapshot& resources) {
    bool sameRows = rows_.size() == resources.system.size();
    for (qsizetype i = 0; sameRows && i < rows_.size(); ++i)
        sameRows = rows_[i].resource == resources.system[i].resource;
    if (!sameRows)
        rebuild(resources);

    const QLocale locale;
    for (qsizetype i = 0; i < rows_.size(); ++i) {
        const Row& row = rows_[i];
        const ResourceUseSnapshot& use = resources.system[i];
        const int perMille =
            use.limit == 0
                ? 0
                : static_cast<int>(std::min<quint64>(1000, use.inUse * 1000 / use.limit));
        if (row.bar->value() != perMille)
            row.bar->setValue(perMille);
        const bool nearLimit = perMille >= kNearLimitPerMille;
        if (row.bar->property("nearLimit").toBool() != nearLimit) {
            row.bar->setProperty("nearLimit", nearLimit);
            QPalette palette = row.bar->palette();
            if (nearLimit)
                palette.setColor(QPalette::Highlight, QColor(0xc6, 0x28, 0x28));
            else
                palette = QPalette();
            row.bar->setPalette(palette);
        }
        setTextIfChanged(row.use, useText(use.resource, use.inUse, use.limit));

        quint64 refusedTotal = 0;
        QStringList byScope;
        for (const ResourceRefusedSnapshot& refused : resources.refused) {
            if (refused.resource != use.resource || refused.count == 0)
                continue;
            refusedTotal += refused.count;
            byScope << tr("%1 scope: %2").arg(refused.scope, locale.toString(refused.count));
        }
        setTextIfChanged(row.refused, locale.toString(refusedTotal));
        setToolTipIfChanged(row.refused, byScope.isEmpty() ? tr("Nothing refused")
                                                           : tr("Refused by limit:\n") +
                                                                 byScope.join(QLatin1Char('\n')));
    }
}

} // namespace peerscope
