// The service's threads: one io_context per thread, each run by exactly that
// thread (Asio's concurrency hint 1). A connection lives its whole life on
// one context, so its handlers never race and need no strand, and an
// upstream pool per context keeps a request and its upstream call on the
// same thread. Listeners hand accepted connections to the contexts in turn.
#pragma once

#include "chatkit_gateway/core/asio.hpp"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace ckg {

class io_pool {
public:
    // `threads` contexts (at least one).
    explicit io_pool(std::size_t threads);
    ~io_pool();  // stops and joins
    io_pool(const io_pool&) = delete;
    io_pool& operator=(const io_pool&) = delete;

    std::size_t size() const noexcept { return contexts_.size(); }
    net::io_context& at(std::size_t i) noexcept { return *contexts_[i]; }
    // The contexts in turn, for spreading connections. Thread-safe.
    net::io_context& next() noexcept;
    // The index of the context that `ex` runs on; size() when none of ours.
    std::size_t index_of(const net::any_io_executor& ex) const noexcept;

    // Runs every context on its own new thread.
    void start();
    // Runs context 0 on the calling thread and the others on new threads;
    // returns once stop() was called and every thread has finished.
    void run();
    // Stops every context; run() returns and start()'s threads end. Thread-safe.
    void stop();
    void join();

private:
    using guard = net::executor_work_guard<net::io_context::executor_type>;
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::vector<guard> guards_;  // contexts with nothing to do keep running until stop()
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace ckg
