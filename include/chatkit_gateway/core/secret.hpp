// A secret value (API key, HMAC key, handle key) that cannot be printed by
// accident: no stream operator, no implicit conversion, wiped on destruction.
//
// The bytes live in a vector, not a std::string: a string's move copies a
// short value byte by byte and leaves it behind in the source (which is then
// wiped here), and g++ 12 cannot prove that copy dead for a value whose
// length it knows, so it warned -Warray-bounds at -O3 on every such move. A
// vector moves by pointer only. The string a secret is made from is wiped.
#pragma once

#include <openssl/crypto.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckg {

class secret {
public:
    secret() = default;
    // Takes the bytes and wipes `value`.
    explicit secret(std::string&& value) : value_(value.begin(), value.end()) {
        wipe_string(value);
    }
    explicit secret(const std::string& value) : value_(value.begin(), value.end()) {}
    secret(const secret& other) = default;
    secret(secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
    secret& operator=(const secret& other) {
        if (this != &other) {
            wipe();
            value_ = other.value_;
        }
        return *this;
    }
    secret& operator=(secret&& other) noexcept {
        if (this != &other) {
            wipe();
            value_ = std::move(other.value_);
            other.wipe();
        }
        return *this;
    }
    ~secret() { wipe(); }

    // The raw bytes, for the one place that must use them (a header, a MAC key).
    // Never a null pointer, even when empty (some C APIs read NULL as "no key").
    std::string_view reveal() const noexcept {
        return value_.empty() ? std::string_view("", 0)
                              : std::string_view(value_.data(), value_.size());
    }
    bool empty() const noexcept { return value_.empty(); }
    std::size_t size() const noexcept { return value_.size(); }

private:
    static void wipe_string(std::string& s) noexcept {
        if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
        s.clear();
    }
    void wipe() noexcept {
        if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
        value_.clear();
    }
    std::vector<char> value_;
};

}  // namespace ckg
