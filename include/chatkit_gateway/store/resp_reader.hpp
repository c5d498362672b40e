// Parses Redis replies from bytes we read ourselves, with hiredis's
// redisReader (Debian's libhiredis-dev) doing the RESP parsing. Its reply
// objects are built by our callbacks straight into resp_value, under two
// caps that hiredis alone does not impose: the bytes buffered while a reply
// is incomplete (a "$999999999" bulk would otherwise be awaited in memory)
// and the elements of all arrays in one reply (a "*2000000000" header would
// otherwise allocate that many slots), and the string bytes of one reply.
#pragma once

#include "chatkit_gateway/store/resp_value.hpp"

#include <cstddef>
#include <string>

struct redisReader;

namespace ckg::store {

class resp_reader {
public:
    explicit resp_reader(std::size_t max_buffered_bytes = 8 << 20,
                         std::size_t max_elements = 1 << 20);
    ~resp_reader();
    resp_reader(const resp_reader&) = delete;
    resp_reader& operator=(const resp_reader&) = delete;

    // False (and the reader is broken) when more than max_buffered_bytes
    // would wait for a reply to complete.
    bool feed(const char* data, std::size_t size);

    enum class status { reply, need_more, error };
    // One complete reply into `out`, need_more, or error (protocol error or
    // a reply over the element cap; the connection must be closed).
    status next(resp_value& out);

    const std::string& error() const noexcept { return error_; }
    // What one reply may hold in total: array elements, and string bytes.
    struct budget {
        std::size_t elements;
        std::size_t bytes;
    };
    std::size_t buffered() const noexcept;

private:
    redisReader* reader_;
    std::size_t max_buffered_;
    std::size_t max_elements_;
    budget left_;
    std::string error_;
};

}  // namespace ckg::store
