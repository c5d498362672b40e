// The upstream simulator: an HTTPS implementation of every ChatKit endpoint
// the gateway calls (shared/upstream/chatkit-api-reference.md) over an
// in-memory store, checking credentials and request shapes the way the
// upstream does, with faults and latency that tests and benchmarks inject
// through a control API under /__sim/ (faults, recorded requests, threads,
// sessions).
#pragma once

#include "chatkit_gateway/http/router.hpp"
#include "fault_plan.hpp"
#include "request_log.hpp"
#include "simulator_store.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace ckg::simulator {

struct simulator_settings {
    std::string api_key;                   // the Bearer token every call must carry
    std::chrono::milliseconds latency{0};  // added to every API call
    std::vector<std::string> seed_users{"dev-user", "alice", "bob"};
};

class simulator {
public:
    explicit simulator(simulator_settings settings);

    // The router must not outlive this object.
    http_server::router make_router();

    simulator_store& store() { return store_; }
    fault_plan& faults() { return faults_; }
    request_log& log() { return log_; }

private:
    using logic = http_server::reply (simulator::*)(http_server::request_context&);
    static net::awaitable<http_server::reply> api_call(simulator* self,
                                                       http_server::request_context& ctx,
                                                       std::string endpoint, logic fn);
    static net::awaitable<http_server::reply> apply_fault(http_server::request_context& ctx,
                                                          fault f);
    std::optional<http_server::reply> check_credentials(http_server::request_context& ctx) const;

    http_server::reply create_session(http_server::request_context& ctx);
    http_server::reply cancel_session(http_server::request_context& ctx);
    http_server::reply list_threads(http_server::request_context& ctx);
    http_server::reply list_all_threads(http_server::request_context& ctx);  // the "unscoped" fault
    http_server::reply retrieve_thread(http_server::request_context& ctx);
    http_server::reply list_items(http_server::request_context& ctx);
    http_server::reply delete_thread(http_server::request_context& ctx);

    http_server::reply set_fault(http_server::request_context& ctx);
    http_server::reply clear_faults(http_server::request_context& ctx);
    http_server::reply requests(http_server::request_context& ctx);
    http_server::reply clear_requests(http_server::request_context& ctx);
    http_server::reply add_thread(http_server::request_context& ctx);
    http_server::reply list_sessions(http_server::request_context& ctx);

    simulator_settings settings_;
    simulator_store store_;
    fault_plan faults_;
    request_log log_;
};

}  // namespace ckg::simulator
