#pragma once

namespace peerscope {

// Qt Widgets creates its gesture manager on the first QWidget::grabGesture() (every scroll area
// does it), and from then on QApplication::notify() reads that pointer on every thread that
// delivers events, the engine thread included, without any synchronisation: ThreadSanitizer
// reports the main thread's creation racing the engine thread's read. Creating it once, before
// any other thread starts, orders the write before every read. Call it after the QApplication
// is made and before Engine::start().
void createGestureManagerBeforeThreads();

} // namespace peerscope
