#include "simulator_store.hpp"

#include "chatkit_gateway/core/random.hpp"
#include "session_resource.hpp"
#include "thread_items.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace ckg::simulator {
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string hex_id(const std::string& prefix) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = prefix;
    for (unsigned char b : random_bytes(12)) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

// Every third thread is locked and every fifth closed, so clients meet each
// ThreadResource status the upstream returns.
boost::json::object status_for(unsigned thread_number) {
    if (thread_number % 5 == 0) return {{"type", "closed"}, {"reason", "Resolved"}};
    if (thread_number % 3 == 0) return {{"type", "locked"}, {"reason", nullptr}};
    return {{"type", "active"}};
}

// Cursor pagination as the upstream does it: order by creation, then start
// after `after` or stop before `before`, then take `limit`.
template <class Item, class Id>
boost::json::object paginate(std::vector<const Item*> all, const list_query& q, Id id_of) {
    if (!q.ascending) std::reverse(all.begin(), all.end());
    auto begin = all.begin(), end = all.end();
    if (q.after) {
        auto it = std::find_if(all.begin(), all.end(),
                               [&](const Item* i) { return id_of(*i) == *q.after; });
        begin = it == all.end() ? all.end() : it + 1;
    }
    if (q.before) {
        auto it =
            std::find_if(begin, all.end(), [&](const Item* i) { return id_of(*i) == *q.before; });
        end = it;
        if (end - begin > static_cast<std::ptrdiff_t>(q.limit))
            begin = end - static_cast<std::ptrdiff_t>(q.limit);
    }
    boost::json::array data;
    for (auto it = begin; it != end && data.size() < q.limit; ++it) data.push_back(**it);
    const bool has_more = static_cast<std::size_t>(end - begin) > data.size();
    boost::json::value first = nullptr, last = nullptr;
    if (!data.empty()) {
        first = data.front().at("id");
        last = data.back().at("id");
    }
    return {{"object", "list"},
            {"data", std::move(data)},
            {"first_id", first},
            {"last_id", last},
            {"has_more", has_more}};
}

}  // namespace

simulator_store::simulator_store(const std::vector<std::string>& seed_users,
                                 unsigned threads_per_user) {
    for (const auto& user : seed_users)
        for (unsigned n = 1; n <= threads_per_user; ++n)
            add_thread_locked(user, "Conversation " + std::to_string(n) + " of " + user);
}

std::string simulator_store::add_thread(const std::string& user, const std::string& title) {
    std::lock_guard lock(mutex_);
    return add_thread_locked(user, title);
}

std::string simulator_store::add_thread_locked(const std::string& user, const std::string& title) {
    char id[32];
    std::snprintf(id, sizeof id, "cthr_%06u", ++next_thread_);
    const auto created = clock_ += 10;  // room for its items' created_at
    thread_record r;
    r.thread = {{"id", id},
                {"object", "chatkit.thread"},
                {"created_at", created},
                {"status", status_for(next_thread_)},
                {"title", title},
                {"user", user}};
    r.items = sample_thread_items(id, created);
    threads_.push_back(std::move(r));
    return id;
}

boost::json::object simulator_store::create_session(const boost::json::object& body) {
    auto session =
        make_session_resource(body, hex_id("cksess_"), "ek_" + random_alnum(48), unix_now());
    std::lock_guard lock(mutex_);
    std::string id(session.at("id").get_string());
    if (sessions_.emplace(id, session).second) session_order_.push_back(std::move(id));
    if (session_order_.size() > max_sessions) {
        sessions_.erase(session_order_.front());
        session_order_.pop_front();
    }
    return session;
}

std::optional<boost::json::object> simulator_store::cancel_session(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    it->second["status"] = "cancelled";
    return it->second;
}

boost::json::array simulator_store::sessions() const {
    std::lock_guard lock(mutex_);
    boost::json::array out;
    for (const auto& [id, session] : sessions_) out.push_back(session);
    return out;
}

boost::json::object simulator_store::list_threads(const list_query& q) const {
    std::lock_guard lock(mutex_);
    std::vector<const boost::json::object*> matching;
    for (const auto& r : threads_)
        if (!q.user || r.thread.at("user").get_string() == *q.user) matching.push_back(&r.thread);
    return paginate<boost::json::object>(std::move(matching), q, [](const boost::json::object& t) {
        return t.at("id").get_string();
    });
}

std::optional<boost::json::object> simulator_store::thread(const std::string& id) const {
    std::lock_guard lock(mutex_);
    for (const auto& r : threads_)
        if (r.thread.at("id").get_string() == id) return r.thread;
    return std::nullopt;
}

std::optional<boost::json::object> simulator_store::list_items(const std::string& thread_id,
                                                               const list_query& q) const {
    std::lock_guard lock(mutex_);
    for (const auto& r : threads_) {
        if (r.thread.at("id").get_string() != thread_id) continue;
        std::vector<const boost::json::object*> items;
        for (const auto& i : r.items) items.push_back(&i);
        return paginate<boost::json::object>(std::move(items), q, [](const boost::json::object& i) {
            return i.at("id").get_string();
        });
    }
    return std::nullopt;
}

bool simulator_store::delete_thread(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(threads_.begin(), threads_.end(), [&](const thread_record& r) {
        return r.thread.at("id").get_string() == id;
    });
    if (it == threads_.end()) return false;
    threads_.erase(it);
    return true;
}

}  // namespace ckg::simulator
