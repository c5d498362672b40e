// A Redis stand-in for tests of the gateway's Redis client: it reads RESP
// commands (parsed by hiredis's own reader, nothing of the gateway's) and
// answers each with the bytes a script returns — well-formed, malformed,
// oversized — and can write replies nobody asked for on every open
// connection. Plain TCP on 127.0.0.1; 5 s socket timeouts.
#pragma once

#include "hostile_peer.hpp"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::test {

using redis_words = std::vector<std::string>;
// The bytes answering one command ("" answers nothing). An answer that
// ends with hostile_redis::then_hang_up is sent without it, then the
// connection is closed.
using redis_script = std::function<std::string(const redis_words&)>;

class hostile_redis {
public:
    explicit hostile_redis(redis_script script);
    static constexpr std::string_view then_hang_up = "\x01hang up";

    // A server's answers inside MULTI ... EXEC, for scripts to return:
    // "+OK" to MULTI and "+QUEUED" to each command after it; nullopt for
    // EXEC and for commands outside one (the script answers those).
    static std::optional<std::string> in_transaction(const redis_words& w);
    // While answering EXEC: how many commands its connection queued.
    static std::size_t queued() noexcept;
    // EXEC's answer when every queued command answered an integer (1) but
    // the last, which answered `last` (the registry write's GET: no marker).
    static std::string exec_answer(std::string_view last = "$-1\r\n");

    unsigned short port() const noexcept { return listener_.port(); }
    std::size_t commands() const noexcept { return commands_.load(); }
    // Reads that returned bytes, on all connections: how many writes the
    // commands came in (or more, when one was split on its way).
    std::size_t reads() const noexcept { return reads_.load(); }
    std::size_t connections() const noexcept { return listener_.connections(); }
    // A reply nobody asked for, on every open connection, now.
    void push(std::string_view bytes) { listener_.send_to_all(bytes); }

private:
    void serve(const std::shared_ptr<peer_socket>& s);

    redis_script script_;
    std::atomic<std::size_t> commands_{0};
    std::atomic<std::size_t> reads_{0};
    loopback_listener listener_;  // last: stopped first
};

}  // namespace ckg::test
