// In-memory state of the upstream simulator: ChatKit sessions, threads and
// thread items, seeded with a few threads for several users. Thread-safe.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ckg::simulator {

struct list_query {
    std::optional<std::string> user;
    std::optional<std::string> after;
    std::optional<std::string> before;
    std::size_t limit = 20;
    bool ascending = false;
};

class simulator_store {
public:
    // Seeds `threads_per_user` threads (with a few items each) per user.
    explicit simulator_store(const std::vector<std::string>& seed_users,
                             unsigned threads_per_user = 3);

    // The most sessions kept: beyond it the oldest is forgotten (cancelling
    // it then answers 404), so a long dev run or a benchmark that mints
    // millions of sessions stays at a few tens of MiB.
    static constexpr std::size_t max_sessions = 50'000;

    // Creates an active session from a validated create-session body.
    boost::json::object create_session(const boost::json::object& body);
    // The session after cancelling it; nullopt when the id is unknown.
    std::optional<boost::json::object> cancel_session(const std::string& id);
    // Every session kept (the last max_sessions created), in id order (for
    // tests and the dev run).
    boost::json::array sessions() const;

    boost::json::object list_threads(const list_query& q) const;
    std::optional<boost::json::object> thread(const std::string& id) const;
    std::optional<boost::json::object> list_items(const std::string& thread_id,
                                                  const list_query& q) const;
    bool delete_thread(const std::string& id);

    // Adds a thread owned by `user`; returns its id (for tests).
    std::string add_thread(const std::string& user, const std::string& title);

private:
    struct thread_record {
        boost::json::object thread;
        std::vector<boost::json::object> items;
    };
    std::string add_thread_locked(const std::string& user, const std::string& title);

    mutable std::mutex mutex_;
    std::map<std::string, boost::json::object> sessions_;
    std::deque<std::string> session_order_;  // ids, oldest first
    std::vector<thread_record> threads_;     // in creation order
    std::int64_t clock_ = 1'760'000'000;     // deterministic created_at values
    unsigned next_thread_ = 0;
};

}  // namespace ckg::simulator
