// chatkit-gateway: see README.md and ../docs/architecture.md.
#include "chatkit_gateway/app/app.hpp"
#include "chatkit_gateway/app/cli.hpp"
#include "chatkit_gateway/app/open_file_limit.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/config/config_warnings.hpp"
#include "chatkit_gateway/observability/logger.hpp"

#include <sys/resource.h>

#ifdef CKG_WITH_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <thread>

namespace {

// Secrets live in this process's memory: keep them out of core files.
void disable_core_dumps() {
    rlimit none{0, 0};
    setrlimit(RLIMIT_CORE, &none);
}

// tcmalloc keeps freed memory in per-thread caches; its default total of
// 32 MiB would show up as resident memory under many connections, while the
// io threads' request churn fits in a few MiB.
void limit_allocator_caches() {
#ifdef CKG_WITH_TCMALLOC
    MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes",
                                                    4 << 20);
#endif
}

#ifdef CKG_WITH_TCMALLOC
// tcmalloc keeps the pages a wave of connections freed (a client can open
// thousands that begin a TLS handshake: ~40 KiB each) and, on its own, gives
// them back too slowly: a replica would stay hundreds of MiB above its
// working set. When more than free_limit lies free it is returned to the
// system, off the io threads (docs/operations.md, "Scaling"); at most once
// per release_gap, since pages given back cost a fault each when work that
// frees and takes memory in turn (a large block poll) takes them again.
void release_free_memory(std::stop_token stop) {
    constexpr std::size_t free_limit = 16 << 20;
    constexpr auto release_gap = std::chrono::seconds(10);
    std::mutex m;
    std::condition_variable_any wake;
    std::unique_lock lock(m);
    auto last_release = std::chrono::steady_clock::now() - release_gap;
    while (!stop.stop_requested()) {
        wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
        if (stop.stop_requested()) break;
        if (std::chrono::steady_clock::now() - last_release < release_gap) continue;
        std::size_t free_bytes = 0;
        MallocExtension::instance()->GetNumericProperty("tcmalloc.pageheap_free_bytes",
                                                        &free_bytes);
        if (free_bytes <= free_limit) continue;
        MallocExtension::instance()->ReleaseFreeMemory();
        last_release = std::chrono::steady_clock::now();
    }
}
#endif

void apply_log_level() {
    const char* name = std::getenv("CHATKIT_GATEWAY_LOG_LEVEL");
    if (name == nullptr) return;
    if (auto level = ckg::observability::log_level_from_name(name))
        ckg::observability::logger::set_level(*level);
}

int run(int argc, char** argv) {
    auto parsed = ckg::app::parse_cli(argc, argv);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        std::cerr << "chatkit-gateway: " << *error << "\n" << ckg::app::usage_text();
        return 2;
    }
    const auto& cli = std::get<ckg::app::cli_options>(parsed);
    if (cli.help) {
        std::cout << ckg::app::usage_text();
        return 0;
    }
    if (cli.version) {
        std::cout << ckg::app::version_text() << "\n";
        return 0;
    }
    apply_log_level();
    try {
        auto config =
            ckg::config::load_config_file(*cli.config_file, ckg::config::process_environment());
        const auto warnings = ckg::config::config_warnings(config);
        // A check prints its one verdict: the start-up's own log lines
        // (egress routes) would only be noise there; errors still show.
        if (cli.check_config)
            ckg::observability::logger::set_level(ckg::observability::log_level::error);
        ckg::app::app application(std::move(config));
        if (cli.check_config) {
            for (const auto& w : warnings) std::cerr << "config warning: " << w << "\n";
            std::cout << "configuration OK: " << *cli.config_file << "\n";
            return 0;
        }
        application.start();
#ifdef CKG_WITH_TCMALLOC
        std::jthread releaser(release_free_memory);
#endif
        return application.run();
    } catch (const ckg::config::config_error& e) {
        std::cerr << "config error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        ckg::observability::log_error("fatal", {{"error", e.what()}});
        std::cerr << "chatkit-gateway: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    disable_core_dumps();
    ckg::app::raise_open_file_limit();
    limit_allocator_caches();
    const int status = run(argc, argv);
    ckg::observability::logger::flush();  // lines still queued for the log writer
    return status;
}
