#include "chatkit_gateway/http/server_state.hpp"

#include <vector>

namespace ckg::http_server {

std::uint64_t server_state::add(std::weak_ptr<connection_base> c) {
    std::lock_guard lock(mutex_);
    const auto id = ++next_id_;
    connections_.emplace(id, std::move(c));
    return id;
}

void server_state::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    connections_.erase(id);
}

std::size_t server_state::open() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
}

bool server_state::reclaim_idle() {
    std::shared_ptr<connection_base> victim;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : connections_) {
            auto c = weak.lock();
            if (c && c->claim_if_idle()) {
                victim = std::move(c);
                break;
            }
        }
    }
    if (!victim) return false;
    victim->close_if_idle();
    return true;
}

bool server_state::reclaim_stalled() {
    if (!options.evict_stalled) return false;
    for (;;) {
        std::shared_ptr<connection_base> oldest;
        std::int64_t since = 0;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, weak] : connections_) {
                auto c = weak.lock();
                const auto s = c ? c->waiting_since() : 0;
                if (s > 0 && (since == 0 || s < since)) {
                    since = s;
                    oldest = std::move(c);
                }
            }
        }
        if (!oldest) return false;
        if (oldest->claim_if_waiting_since(since)) {
            oldest->close_now();
            return true;
        }
        // It moved on meanwhile (its request completed): look again.
    }
}

void server_state::for_each(const std::function<void(connection_base&)>& f) {
    std::vector<std::shared_ptr<connection_base>> live;
    {
        std::lock_guard lock(mutex_);
        live.reserve(connections_.size());
        for (auto& [id, weak] : connections_)
            if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (auto& c : live) f(*c);
}

}  // namespace ckg::http_server
