#include "engine/health/success_window.h"

#include <algorithm>
#include <bit>

namespace peerscope {

SuccessWindow::SuccessWindow(std::size_t size)
    : size_(static_cast<std::uint8_t>(std::clamp<std::size_t>(size, 1, maxSize))) {
    mask_ = size_ == maxSize ? ~std::uint64_t{0} : (std::uint64_t{1} << size_) - 1;
}

void SuccessWindow::record(bool ok) {
    outcomes_ = ((outcomes_ << 1) | (ok ? 1u : 0u)) & mask_;
    if (count_ < size_)
        ++count_;
    consecutiveFailures_ = ok ? 0 : consecutiveFailures_ + 1;
}

double SuccessWindow::successRate() const {
    if (count_ == 0)
        return 1.0;
    return static_cast<double>(std::popcount(outcomes_)) / static_cast<double>(count_);
}

} // namespace peerscope
