#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace peerscope {

// An error travels as a human-readable message that names the bad part of the input.
struct Error {
    std::string message;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }

// A small stand-in for std::expected, which libstdc++ 12 offers only to newer compilers.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<T>(state_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<T>(state_);
    }
    T&& value() && {
        assert(ok());
        return std::get<T>(std::move(state_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<Error>(state_);
    }
    const std::string& errorMessage() const { return error().message; }

private:
    std::variant<T, Error> state_;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const {
        assert(failed_);
        return error_;
    }
    const std::string& errorMessage() const { return error().message; }

private:
    Error error_;
    bool failed_ = false;
};

} // namespace peerscope
