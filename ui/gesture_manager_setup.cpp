#include "ui/gesture_manager_setup.h"

#include <QWidget>

namespace peerscope {

void createGestureManagerBeforeThreads() {
    // The manager outlives the widget: QApplication owns it until it is destroyed.
    QWidget widget;
    widget.grabGesture(Qt::PanGesture);
    widget.ungrabGesture(Qt::PanGesture);
}

} // namespace peerscope
