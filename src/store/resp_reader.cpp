#include "chatkit_gateway/store/resp_reader.hpp"

#include <hiredis/read.h>

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

void append_bulk(std::string& out, std::string_view arg) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out.append(arg);
    out += "\r\n";
}

}  // namespace

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (auto a : args) append_bulk(out, a);
}

void append_command(std::string& out, const std::vector<std::string>& args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
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
