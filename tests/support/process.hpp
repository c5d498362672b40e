// Runs the real binaries (gateway, simulator) as child processes, with a
// chosen environment and working directory, output captured to files, and
// every wait bounded in time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace ckg::test {

using env_map = std::map<std::string, std::string>;

class child_process {
public:
    child_process(std::vector<std::string> argv, env_map env, std::string cwd = {});
    ~child_process();  // kills the child if it still runs
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    void signal(int signo) const;
    pid_t pid() const noexcept { return pid_; }
    // The exit status, or nullopt if it still runs after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    std::string out() const;
    std::string err() const;

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string out_file_, err_file_;
};

struct process_result {
    int exit_code = -1;
    std::string out, err;
};

// Runs to completion (at most `timeout`, then killed: exit_code -1).
process_result run_process(std::vector<std::string> argv, env_map env, std::string cwd = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The variables every gateway run needs, with test secrets.
env_map gateway_env();

}  // namespace ckg::test
