// What one system call costs on this machine, and the one the upstream pool
// makes before every reuse (docs/architecture.md, "net/"): a non-blocking
// recv(MSG_PEEK) on an idle keep-alive TCP connection, which finds nothing.
// bench/run-ab-bench.sh prints both beside the A/B figures: on a virtual
// machine where a system call costs a microsecond, that check is a visible
// share of a mint's CPU; on bare metal it is a tenth of that.
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace {

// A connected loopback TCP pair with nothing in flight.
class idle_connection {
public:
    idle_connection() {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        auto* addr = reinterpret_cast<sockaddr*>(&a);
        if (listener_ < 0 || ::bind(listener_, addr, len) != 0 || ::listen(listener_, 1) != 0 ||
            ::getsockname(listener_, addr, &len) != 0)
            throw std::runtime_error("cannot listen on loopback");
        client_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (client_ < 0 || ::connect(client_, addr, len) != 0)
            throw std::runtime_error("cannot connect on loopback");
        server_ = ::accept(listener_, nullptr, nullptr);
        if (server_ < 0) throw std::runtime_error("cannot accept on loopback");
    }
    ~idle_connection() {
        ::close(server_);
        ::close(client_);
        ::close(listener_);
    }
    idle_connection(const idle_connection&) = delete;
    idle_connection& operator=(const idle_connection&) = delete;
    int client() const { return client_; }

private:
    int listener_ = -1, client_ = -1, server_ = -1;
};

void getppid_call(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(::getppid());
}
BENCHMARK(getppid_call);

void peek_idle_socket(benchmark::State& state) {
    idle_connection c;
    char byte = 0;
    for (auto _ : state) {
        const auto n = ::recv(c.client(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            state.SkipWithError("the idle connection was not empty");
            break;
        }
    }
}
BENCHMARK(peek_idle_socket);

}  // namespace

BENCHMARK_MAIN();
