#pragma once

#include "ui/charts/series_history.h"

class QValueAxis;

namespace peerscope {

// The axes the time charts share. A value axis runs 0..max in 2 to 4 steps of 1, 2 or 5 x 10^k:
// round labels, and a range that only moves when the peak crosses a step. Every range change
// lays the whole chart out again, which costs far more than replacing the points, so an
// unchanged range is not set again.
struct AxisScale {
    double max = 1;
    double step = 0.25;
};

AxisScale niceAxisScale(double peak);
void applyAxisScale(QValueAxis* axis, const AxisScale& scale);

// The time axis counts back from now: seconds for the 1 min view, minutes for the longer ones.
double timeAxisUnitSeconds(SeriesHistory::Resolution resolution);
void configureTimeAxis(QValueAxis* axis, SeriesHistory::Resolution resolution);

} // namespace peerscope
