#include "chatkit_gateway/store/block_list.hpp"

#include <mutex>

namespace ckg::store {

bool block_list::set(std::string_view user, std::int64_t until, std::int64_t now_s) {
    if (user.size() > max_id_bytes) return false;
    std::unique_lock lock(mutex_);
    if (auto it = blocks_.find(user); it != blocks_.end()) {
        it->second = until;
        return true;
    }
    // Ended blocks make room, looked for at most once a second: that reads
    // the whole table under the lock every request's check waits for.
    if (full_for(user.size()) && now_s != purged_at_s_) {
        purged_at_s_ = now_s;
        std::erase_if(blocks_, [this, now_s](const auto& b) {
            if (b.second > now_s) return false;
            bytes_ -= b.first.size();
            return true;
        });
    }
    if (full_for(user.size())) return false;
    blocks_.emplace(std::string(user), until);
    bytes_ += user.size();
    return true;
}

void block_list::clear(std::string_view user) {
    std::unique_lock lock(mutex_);
    if (auto it = blocks_.find(user); it != blocks_.end()) {
        bytes_ -= it->first.size();
        blocks_.erase(it);
    }
}

std::optional<std::int64_t> block_list::until(std::string_view user, std::int64_t now_s) const {
    std::shared_lock lock(mutex_);
    if (blocks_.empty()) return std::nullopt;
    auto it = blocks_.find(user);
    if (it == blocks_.end() || it->second <= now_s) return std::nullopt;
    return it->second;
}

block_list::table block_list::replace(table blocks) {
    std::erase_if(blocks, [](const auto& b) { return b.first.size() > max_id_bytes; });
    std::size_t bytes = 0;
    for (const auto& b : blocks) bytes += b.first.size();
    while (blocks.size() > max_entries_ || bytes > max_bytes_) {
        bytes -= blocks.begin()->first.size();
        blocks.erase(blocks.begin());
    }
    std::unique_lock lock(mutex_);
    blocks_.swap(blocks);
    bytes_ = bytes;
    return blocks;
}

std::vector<std::pair<std::string, std::int64_t>> block_list::running(std::int64_t now_s) const {
    std::shared_lock lock(mutex_);
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& [user, end] : blocks_)
        if (end > now_s) out.emplace_back(user, end);
    return out;
}

std::size_t block_list::size() const {
    std::shared_lock lock(mutex_);
    return blocks_.size();
}

}  // namespace ckg::store
