// The one failure the configuration loader reports: the dotted key path
// (e.g. "auth.issuers[0].jwks_file") and what is wrong with it. main()
// prints it as one line, "config error: <path>: <problem>", and exits 2.
#pragma once

#include <stdexcept>
#include <string>

namespace ckg::config {

class config_error : public std::runtime_error {
public:
    config_error(std::string path, std::string problem)
        : std::runtime_error(path + ": " + problem),
          path_(std::move(path)),
          problem_(std::move(problem)) {}

    const std::string& path() const noexcept { return path_; }
    const std::string& problem() const noexcept { return problem_; }

private:
    std::string path_;
    std::string problem_;
};

}  // namespace ckg::config
