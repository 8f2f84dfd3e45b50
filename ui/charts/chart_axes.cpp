#include "ui/charts/chart_axes.h"

#include <QCoreApplication>
#include <QValueAxis>
#include <cmath>

namespace peerscope {

using Resolution = SeriesHistory::Resolution;

AxisScale niceAxisScale(double peak) {
    if (!(peak > 0))
        return {1.0, 0.25};
    const double rough = peak / 4;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    double step = 10 * magnitude;
    for (const double factor : {1.0, 2.0, 5.0}) {
        if (rough <= factor * magnitude) {
            step = factor * magnitude;
            break;
        }
    }
    return {std::ceil(peak / step) * step, step};
}

void applyAxisScale(QValueAxis* axis, const AxisScale& scale) {
    if (axis->max() == scale.max && axis->tickInterval() == scale.step)
        return;
    axis->setTickInterval(scale.step);
    axis->setRange(0, scale.max);
}

double timeAxisUnitSeconds(Resolution resolution) {
    return resolution == Resolution::OneSecond ? 1.0 : 60.0;
}

void configureTimeAxis(QValueAxis* axis, Resolution resolution) {
    axis->setRange(0, SeriesHistory::spanSeconds(resolution) / timeAxisUnitSeconds(resolution));
    // A label every 10 s, every minute, every 10 min.
    axis->setTickCount(resolution == Resolution::FiveSeconds ? 11 : 7);
    axis->setTitleText(resolution == Resolution::OneSecond
                           ? QCoreApplication::translate("peerscope::ChartAxes", "seconds ago")
                           : QCoreApplication::translate("peerscope::ChartAxes", "minutes ago"));
}

} // namespace peerscope
