// Keeps the block cache's changes in the block set's order (docs/operations.md,
// "How blocks reach every replica"). Two paths change the cache: the poll,
// which brings it to a version of the block set, and this replica's own
// blocks and unblocks, applied as soon as Redis answers them. An answer can
// come late (a slow network, a busy io thread): by then the poll may have
// applied a later change to the same user, made on another replica, which
// the late answer must not undo. So an own change is applied only when the
// cache has not reached its version, and is remembered until the poll
// passes it, so that the poll, bringing an older state of that user, does
// not undo it either. Thread-safe: the poll runs on one io thread, admin
// calls on any.
#pragma once

#include "chatkit_gateway/core/string_hash.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace ckg::store {

class block_cache_order {
public:
    // The most own changes remembered; past it an own change is still
    // applied but not remembered (a poll bringing an older state may undo
    // it until the poll passes it), so the memory stays bounded when polls
    // fail and admin calls do not.
    static constexpr std::size_t max_ahead = 10'000;

    // This replica's own change to `user` (until 0: an unblock), made at
    // `version`: `apply()` runs unless the cache got past that version (at
    // that very version it holds this change: applying it again is
    // harmless).
    template <class Apply>
    void own_change(std::string_view user, std::int64_t until, std::int64_t version, Apply apply) {
        std::lock_guard lock(mutex_);
        if (version < version_) return;
        auto it = ahead_.find(user);
        if (it == ahead_.end()) {
            if (ahead_.size() >= max_ahead) return apply();
            it = ahead_.emplace(std::string(user), change{until, version}).first;
        } else if (it->second.version > version) {
            return;  // a later own change of that user was applied
        }
        it->second = change{until, version};
        apply();
    }

    // The poll starts bringing the cache to `version`: own changes made at
    // or before it are in what it brings.
    void bringing_to(std::int64_t version) {
        std::lock_guard lock(mutex_);
        version_ = version;
        std::erase_if(ahead_, [&](const auto& a) { return a.second.version <= version; });
    }

    // A change the poll read (at the version given to bringing_to()):
    // `apply()` runs unless an own change made later holds for that user.
    template <class Apply>
    void poll_change(std::string_view user, Apply apply) {
        std::lock_guard lock(mutex_);
        if (!ahead_.contains(user)) apply();
    }

    // A whole table read at `version` replaces the cache: the own changes
    // made later go into it first (`apply_own(user, until)`), then
    // `replace()` swaps it in, both before any own change can come between.
    template <class ApplyOwn, class Replace>
    void replace(std::int64_t version, ApplyOwn apply_own, Replace replace) {
        std::lock_guard lock(mutex_);
        version_ = version;
        std::erase_if(ahead_, [&](const auto& a) { return a.second.version <= version; });
        for (const auto& [user, c] : ahead_) apply_own(user, c.until);
        replace();
    }

private:
    struct change {
        std::int64_t until = 0;
        std::int64_t version = 0;
    };
    std::mutex mutex_;
    std::int64_t version_ = -1;  // the version the cache holds or is being brought to
    std::unordered_map<std::string, change, ckg::string_hash, std::equal_to<>> ahead_;
};

}  // namespace ckg::store
