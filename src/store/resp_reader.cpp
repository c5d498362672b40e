#include "chatkit_gateway/store/resp_reader.hpp"

#include <hiredis/read.h>

#include <charconv>
#include <memory>

namespace ckg::store {
namespace {

// What the reply being parsed may still hold. hiredis calls our callbacks
// only from inside redisReaderGetReply, on the calling thread, so a
// thread_local set around that call is enough.
thread_local resp_reader::budget* left = nullptr;

// Where a new object goes: into its parent array's slot, or a new root.
resp_value* place(const redisReadTask* task) {
    if (task->parent != nullptr) {
        auto* parent = static_cast<resp_value*>(task->parent->obj);
        return &parent->elements[static_cast<std::size_t>(task->idx)];
    }
    return new resp_value;
}

void* create_string(const redisReadTask* task, char* data, size_t len) {
    if (left == nullptr || len > left->bytes) return nullptr;  // hiredis reports "out of memory"
    left->bytes -= len;
    auto* v = place(task);
    v->type = task->type == REDIS_REPLY_ERROR    ? resp_value::kind::error
              : task->type == REDIS_REPLY_STATUS ? resp_value::kind::status
                                                 : resp_value::kind::string;
    v->text.assign(data, len);
    return v;
}

void* create_array(const redisReadTask* task, int elements) {
    const auto n = static_cast<std::size_t>(elements < 0 ? 0 : elements);
    if (left == nullptr || n > left->elements) return nullptr;
    left->elements -= n;
    auto* v = place(task);
    v->type = resp_value::kind::array;
    v->elements.resize(n);
    return v;
}

void* create_integer(const redisReadTask* task, long long value) {
    auto* v = place(task);
    v->type = resp_value::kind::integer;
    v->integer = value;
    return v;
}

void* create_nil(const redisReadTask* task) {
    auto* v = place(task);
    v->type = resp_value::kind::nil;
    return v;
}

// Only roots are freed: children live inside their parent's vector.
void free_object(void* object) {
    delete static_cast<resp_value*>(object);
}

redisReplyObjectFunctions functions = {create_string, create_array, create_integer, create_nil,
                                       free_object};

// "<mark><n>\r\n": an array's or a bulk string's header, the number
// written in place (this runs for every argument of every command).
void append_header(std::string& out, char mark, std::size_t n) {
    char header[24];
    header[0] = mark;
    auto* end = std::to_chars(header + 1, header + sizeof header - 2, n).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(header, end);
}

void append_bulk(std::string& out, std::string_view arg) {
    append_header(out, '$', arg.size());
    out.append(arg).append("\r\n");
}

// "*<count>\r\n", with the buffer reserved once for `count` arguments of
// `bytes` bytes in all (each with its header and CRLF), not grown argument
// by argument.
void start_array(std::string& out, std::size_t count, std::size_t bytes) {
    out.reserve(out.size() + 24 + bytes + 26 * count);
    append_header(out, '*', count);
}

}  // namespace

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
    std::size_t bytes = 0;
    for (auto a : args) bytes += a.size();
    start_array(out, args.size(), bytes);
    for (auto a : args) append_bulk(out, a);
}

void append_script_call(std::string& out, std::string_view verb, std::string_view script,
                        const std::vector<std::string>& keys,
                        const std::vector<std::string>& args) {
    char count[24];
    const auto* end = std::to_chars(count, count + sizeof count, keys.size()).ptr;
    std::size_t bytes = verb.size() + script.size() + sizeof count;
    for (const auto& k : keys) bytes += k.size();
    for (const auto& a : args) bytes += a.size();
    start_array(out, 3 + keys.size() + args.size(), bytes);
    append_bulk(out, verb);
    append_bulk(out, script);
    append_bulk(out, std::string_view(count, static_cast<std::size_t>(end - count)));
    for (const auto& k : keys) append_bulk(out, k);
    for (const auto& a : args) append_bulk(out, a);
}

resp_reader::resp_reader(std::size_t max_buffered_bytes, std::size_t max_elements)
    : reader_(redisReaderCreateWithFunctions(&functions)),
      max_buffered_(max_buffered_bytes),
      max_elements_(max_elements),
      left_{max_elements, max_buffered_bytes} {
    if (reader_ == nullptr) throw std::bad_alloc();
}

resp_reader::~resp_reader() {
    redisReaderFree(reader_);
}

std::size_t resp_reader::buffered() const noexcept {
    return reader_->len - reader_->pos;
}

bool resp_reader::feed(const char* data, std::size_t size) {
    if (!error_.empty()) return false;
    if (buffered() + size > max_buffered_) {
        error_ = "reply larger than the buffer cap";
        return false;
    }
    if (redisReaderFeed(reader_, data, size) != REDIS_OK) {
        error_ = reader_->errstr;
        return false;
    }
    return true;
}

resp_reader::status resp_reader::next(resp_value& out) {
    if (!error_.empty()) return status::error;
    left = &left_;
    void* reply = nullptr;
    const int rc = redisReaderGetReply(reader_, &reply);
    left = nullptr;
    if (rc != REDIS_OK) {
        error_ =
            reader_->err == REDIS_ERR_OOM ? "reply over the element or byte cap" : reader_->errstr;
        return status::error;
    }
    if (reply == nullptr) return status::need_more;
    std::unique_ptr<resp_value> owned(static_cast<resp_value*>(reply));
    left_ = {max_elements_, max_buffered_};  // the next reply starts with the whole budget
    out = std::move(*owned);
    return status::reply;
}

}  // namespace ckg::store
