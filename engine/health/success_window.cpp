#include "engine/health/success_window.h"

namespace peerscope {

void SuccessWindow::record(bool ok) {
    outcomes_.push_back(ok);
    successes_ += ok ? 1 : 0;
    if (outcomes_.size() > size_) {
        successes_ -= outcomes_.front() ? 1 : 0;
        outcomes_.pop_front();
    }
    consecutiveFailures_ = ok ? 0 : consecutiveFailures_ + 1;
}

double SuccessWindow::successRate() const {
    if (outcomes_.empty())
        return 1.0;
    return static_cast<double>(successes_) / static_cast<double>(outcomes_.size());
}

} // namespace peerscope
