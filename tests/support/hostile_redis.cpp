#include "hostile_redis.hpp"

#include <hiredis/hiredis.h>

#include <memory>

namespace ckg::test {
namespace {

struct reader_deleter {
    void operator()(redisReader* r) const { redisReaderFree(r); }
};

// The words of one command (an array of bulk strings, as clients send them).
redis_words words_of(const redisReply* r) {
    redis_words words;
    if (r->type != REDIS_REPLY_ARRAY) return words;
    for (std::size_t i = 0; i < r->elements; ++i)
        words.emplace_back(r->element[i]->str, r->element[i]->len);
    return words;
}

// Each connection is served on a thread of its own: its transaction, if any.
thread_local bool in_multi = false;
thread_local std::size_t queued_commands = 0;

void track_transaction(const redis_words& w) {
    if (w.empty()) return;
    if (w[0] == "MULTI") {
        in_multi = true;
        queued_commands = 0;
    } else if (in_multi && w[0] != "EXEC") {
        ++queued_commands;
    }
}

}  // namespace

std::optional<std::string> hostile_redis::in_transaction(const redis_words& w) {
    if (!w.empty() && w[0] == "MULTI") return "+OK\r\n";
    if (in_multi && !w.empty() && w[0] != "EXEC") return "+QUEUED\r\n";
    return std::nullopt;
}

std::size_t hostile_redis::queued() noexcept {
    return queued_commands;
}

std::string hostile_redis::exec_answer(std::string_view last) {
    // Appended, not "*" + std::string&&: g++ 12 wrongly warns on that.
    std::string out = "*";
    out.append(std::to_string(queued_commands)).append("\r\n");
    for (std::size_t i = 1; i < queued_commands; ++i) out += ":1\r\n";
    out.append(last);
    return out;
}

hostile_redis::hostile_redis(redis_script script)
    : script_(std::move(script)),
      listener_(false, [this](const std::shared_ptr<peer_socket>& s) { serve(s); }) {}

void hostile_redis::serve(const std::shared_ptr<peer_socket>& s) {
    // Plain allocation functions: the default reply objects.
    std::unique_ptr<redisReader, reader_deleter> reader(redisReaderCreate());
    while (!listener_.stopping()) {
        const auto bytes = s->recv_some();
        if (bytes.empty()) return;
        ++reads_;
        if (redisReaderFeed(reader.get(), bytes.data(), bytes.size()) != REDIS_OK) return;
        for (;;) {
            void* reply = nullptr;
            if (redisReaderGetReply(reader.get(), &reply) != REDIS_OK) return;
            if (reply == nullptr) break;
            const auto words = words_of(static_cast<redisReply*>(reply));
            freeReplyObject(reply);
            ++commands_;
            track_transaction(words);
            auto answer = script_(words);
            if (!words.empty() && words[0] == "EXEC") in_multi = false;
            const bool hang_up = answer.ends_with(then_hang_up);
            if (hang_up) answer.resize(answer.size() - then_hang_up.size());
            if (!answer.empty() && !s->send_all(answer)) return;
            if (hang_up) return;  // the socket closes with its last owner
        }
    }
}

}  // namespace ckg::test
