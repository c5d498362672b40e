#include "chatkit_gateway/core/io_pool.hpp"

#include <algorithm>

namespace ckg {

io_pool::io_pool(std::size_t threads) {
    const auto n = std::max<std::size_t>(1, threads);
    contexts_.reserve(n);
    guards_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        contexts_.push_back(std::make_unique<net::io_context>(1));
        guards_.push_back(net::make_work_guard(*contexts_.back()));
    }
}

io_pool::~io_pool() {
    stop();
    join();
}

net::io_context& io_pool::next() noexcept {
    return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

std::size_t io_pool::index_of(const net::any_io_executor& ex) const noexcept {
    const auto* context = &net::query(ex, net::execution::context);
    for (std::size_t i = 0; i < contexts_.size(); ++i)
        if (static_cast<const net::execution_context*>(contexts_[i].get()) == context) return i;
    return contexts_.size();
}

void io_pool::start() {
    for (auto& c : contexts_) threads_.emplace_back([ctx = c.get()] { ctx->run(); });
}

void io_pool::run() {
    for (std::size_t i = 1; i < contexts_.size(); ++i)
        threads_.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
    contexts_[0]->run();
    join();
}

void io_pool::stop() {
    for (auto& c : contexts_) c->stop();
}

void io_pool::join() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace ckg
