#include "process.hpp"

#include "secret_scan.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ckg::test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string temp_name(const char* what) {
    static std::atomic<int> counter{0};
    return "/tmp/ckg-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "." +
           what;
}

}  // namespace

env_map gateway_env() {
    env_map env{{"PATH", "/usr/bin:/bin"},
                {"OPENAI_API_KEY", "sk-test-never-leaks-0123456789"},
                {"CHATKIT_GATEWAY_HANDLE_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
                {"CHATKIT_GATEWAY_DEV_HS256_SECRET", "dev-hs256-secret-for-tests"},
                {"CHATKIT_GATEWAY_USER_ID_KEY", "user-id-key-for-tests"}};
    // The sanitizer build's settings (scripts/test.sh --sanitize) reach the
    // gateway too: its reports must fail the test as the test's own do.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
        if (const char* v = std::getenv(name)) env[name] = v;
    return env;
}

child_process::child_process(std::vector<std::string> argv, env_map env, std::string cwd)
    : out_file_(temp_name("out")), err_file_(temp_name("err")) {
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        // Child: only async-signal-safe calls until exec.
        const int out = open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        dup2(err, 2);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
}

child_process::~child_process() {
    if (!status_) {
        kill(pid_, SIGKILL);
        int st = 0;
        waitpid(pid_, &st, 0);
    }
    record_observed(observed_kind::process_output, out());
    record_observed(observed_kind::process_output, err());
    unlink(out_file_.c_str());
    unlink(err_file_.c_str());
}

void child_process::signal(int signo) const {
    kill(pid_, signo);
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!status_) {
        int st = 0;
        const pid_t r = waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

std::string child_process::out() const {
    return read_file(out_file_);
}
std::string child_process::err() const {
    return read_file(err_file_);
}

process_result run_process(std::vector<std::string> argv, env_map env, std::string cwd,
                           std::chrono::milliseconds timeout) {
    child_process p(std::move(argv), std::move(env), std::move(cwd));
    process_result r;
    r.exit_code = p.wait(timeout).value_or(-1);
    r.out = p.out();
    r.err = p.err();
    return r;
}

}  // namespace ckg::test
