// result<T>: a value or a failure (an errc, detail for the log and, for a
// request the caller can fix, the public message and the parameter at
// fault), passed between rooms instead of exceptions.
#pragma once

#include "chatkit_gateway/core/errc.hpp"

#include <string>
#include <utility>
#include <variant>

namespace ckg {

struct failure {
    errc code = errc::internal_error;
    std::string detail;  // for the log line only; never sent to a client
    // What the caller sees (docs/api.md, "Errors"): a sentence saying what is
    // wrong (empty: the code's general sentence) and the one field, query
    // parameter or path segment at fault. Built from names, never from values.
    std::string message;
    std::string param;
};

// A 400 invalid_request the caller can act on; the log gets the same sentence.
inline failure invalid_request(std::string message, std::string param = {}) {
    failure f{errc::invalid_request, message, std::move(message), std::move(param)};
    return f;
}

template <class T>
class result {
public:
    // Default: a failure, so that result<T> can travel through Asio
    // completion handlers (co_spawn needs a default-constructible value).
    result() : v_(std::in_place_index<1>, failure{errc::internal_error, "no result"}) {}
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(failure f) : v_(std::in_place_index<1>, std::move(f)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const failure& error() const { return std::get<1>(v_); }

private:
    std::variant<T, failure> v_;
};

}  // namespace ckg
