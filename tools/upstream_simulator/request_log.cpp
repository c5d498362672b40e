#include "request_log.hpp"

namespace ckg::simulator {

void request_log::record(const std::string& endpoint, boost::json::object entry) {
    std::lock_guard lock(mutex_);
    ++counts_[endpoint];
    entry["endpoint"] = endpoint;
    recent_.push_back(std::move(entry));
    if (recent_.size() > max_recent) recent_.pop_front();
}

boost::json::object request_log::snapshot() const {
    std::lock_guard lock(mutex_);
    boost::json::object counts;
    for (const auto& [k, v] : counts_) counts[k] = v;
    boost::json::array recent;
    for (const auto& e : recent_) recent.push_back(e);
    return {{"counts", std::move(counts)}, {"recent", std::move(recent)}};
}

void request_log::clear() {
    std::lock_guard lock(mutex_);
    counts_.clear();
    recent_.clear();
}

}  // namespace ckg::simulator
