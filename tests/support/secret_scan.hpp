// The suite-wide secret check of the integration tests: every response
// header and body a test client receives, every log line the service writes
// in-process, and the output of every child process (gateway, simulator) is
// recorded; at exit the test process fails if any of it contains the upstream
// API key, an end-user token, an HMAC or handle key of the test setup, or
// (log lines and process output only) a client secret.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::test {

enum class observed_kind { response, log_line, process_output };

void record_observed(observed_kind kind, std::string_view text);

// A logger sink that records each line (installed for the whole test run;
// fixtures that capture lines themselves record them too).
std::function<void(std::string_view)> recording_log_sink();

std::size_t observed_count();

// Checks everything recorded so far; returns one line per leak found.
std::vector<std::string> find_leaks();

}  // namespace ckg::test
