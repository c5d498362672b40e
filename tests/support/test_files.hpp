// Small helpers the integration suites share: scratch directories, whole-file
// reads and writes, the token manifest of tests/support/make_tokens.py, and
// polling for something that happens just after a reply (logs, metrics).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace ckg::test {

// A fresh, empty directory under the system temp dir, unique to this process.
inline std::filesystem::path temp_dir(const std::string& name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("ckg-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::trunc) << text;
}

// The keys, tokens and cases PyJWT made for this run.
inline boost::json::object token_manifest() {
    return boost::json::parse(read_text(std::string(CKG_TEST_TOKENS_DIR) + "/manifest.json"))
        .as_object();
}

// Polls `f` every 20 ms for up to 3 s; whether it became true.
inline bool eventually(const std::function<bool()>& f) {
    for (int i = 0; i < 150; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace ckg::test
