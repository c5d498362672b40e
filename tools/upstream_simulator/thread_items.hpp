// Sample thread items for the simulator's seeded threads: one of every
// ThreadItem type the upstream returns (user message with quoted text, an
// attachment and inference options; assistant message with file and URL
// annotations; client tool call; task; task group; widget), each with every
// member the upstream schema requires, so clients meet the real variety.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ckg::simulator {

// Items of thread `thread_id`, created at `created`, `created + 1`, ...
std::vector<boost::json::object> sample_thread_items(const std::string& thread_id,
                                                     std::int64_t created);

}  // namespace ckg::simulator
