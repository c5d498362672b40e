// Faults the simulator injects per endpoint, set at run time through its
// control API (PUT /__sim/faults/{endpoint}): an error status, a connection
// reset before any reply byte, a hang, a malformed JSON reply, only a
// delay, or (thread lists) "unscoped": the user filter ignored, as a buggy
// upstream might, to test the gateway's own scoping. Each fault applies `count` times (or until
// cleared). Thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace ckg::simulator {

enum class fault_mode { status, reset, hang, malformed, delay, unscoped };

struct fault {
    fault_mode mode = fault_mode::status;
    unsigned status = 500;
    std::chrono::milliseconds delay{0};
    std::chrono::milliseconds hang{60000};
    std::optional<unsigned> retry_after;
    std::string message = "Injected fault.";  // the error body's message (status faults)
    int remaining = -1;                       // -1: until cleared
};

class fault_plan {
public:
    // Parses {"mode", "status", "delay_ms", "hang_ms", "retry_after", "message", "count"};
    // returns nullopt and sets `error` for anything else.
    static std::optional<fault> parse(const boost::json::object& body, std::string& error);

    void set(const std::string& endpoint, fault f);
    void clear();
    // The fault for this endpoint ("*" matches all), consuming one use.
    std::optional<fault> take(const std::string& endpoint);

private:
    std::mutex mutex_;
    std::map<std::string, fault> faults_;
};

}  // namespace ckg::simulator
