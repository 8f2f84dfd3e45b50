#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace peerscope {

// A fixed-capacity FIFO: push() past capacity overwrites the oldest element. Storage grows
// with the elements actually pushed (up to capacity), so thousands of short-lived histories
// cost what they hold rather than what they could hold. Index 0 is the oldest element.
template <typename T> class RingBuffer final {
public:
    explicit RingBuffer(std::size_t capacity) : capacity_(capacity) {}

    void push(const T& value) {
        if (capacity_ == 0)
            return;
        if (storage_.size() < capacity_) {
            // Grow by doubling but never past capacity: a full buffer holds no slack.
            if (storage_.size() == storage_.capacity())
                storage_.reserve(
                    std::min(capacity_, std::max<std::size_t>(8, 2 * storage_.size())));
            storage_.push_back(value);
            return;
        }
        storage_[oldest_] = value;
        oldest_ = (oldest_ + 1) % capacity_;
    }

    const T& at(std::size_t index) const { return storage_[(oldest_ + index) % storage_.size()]; }
    const T& front() const { return at(0); }
    const T& back() const { return at(storage_.size() - 1); }

    std::size_t size() const { return storage_.size(); }
    std::size_t capacity() const { return capacity_; }
    bool empty() const { return storage_.empty(); }
    bool full() const { return storage_.size() == capacity_; }
    // Bytes held by elements (allocated, not counting the object itself).
    std::size_t memoryBytes() const { return storage_.capacity() * sizeof(T); }

    void clear() {
        storage_.clear();
        oldest_ = 0;
    }

private:
    std::size_t capacity_;
    std::size_t oldest_ = 0; // where the oldest element is once storage_ is full
    std::vector<T> storage_;
};

} // namespace peerscope
