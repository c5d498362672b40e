// What the simulator received, for tests to count upstream calls and check
// the headers and bodies the gateway sent. The Authorization header is
// recorded only as whether it matched the expected key.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace ckg::simulator {

class request_log {
public:
    void record(const std::string& endpoint, boost::json::object entry);
    boost::json::object snapshot() const;  // {"counts": {...}, "recent": [...]}
    void clear();

private:
    static constexpr std::size_t max_recent = 200;
    mutable std::mutex mutex_;
    std::map<std::string, std::int64_t> counts_;
    std::deque<boost::json::object> recent_;
};

}  // namespace ckg::simulator
