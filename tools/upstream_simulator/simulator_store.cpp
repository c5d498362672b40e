#include "simulator_store.hpp"

#include "chatkit_gateway/core/random.hpp"

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

boost::json::object default_chatkit_configuration() {
    return {{"automatic_thread_titling", {{"enabled", true}}},
            {"file_upload", {{"enabled", false}, {"max_file_size", 512}, {"max_files", 10}}},
            {"history", {{"enabled", true}, {"recent_threads", nullptr}}}};
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
    const auto created = ++clock_;
    thread_record r;
    r.thread = {{"id", id},
                {"object", "chatkit.thread"},
                {"created_at", created},
                {"status", {{"type", "active"}}},
                {"title", title},
                {"user", user}};
    for (int i = 0; i < 3; ++i) {
        const bool from_user = i % 2 == 0;
        char item_id[48];
        std::snprintf(item_id, sizeof item_id, "cthi_%06u_%d", next_thread_, i);
        r.items.push_back(
            {{"id", item_id},
             {"object", "chatkit.thread_item"},
             {"thread_id", id},
             {"created_at", created + i},
             {"type", from_user ? "chatkit.user_message" : "chatkit.assistant_message"},
             {"content",
              boost::json::array{{{"type", from_user ? "input_text" : "output_text"},
                                  {"text", from_user ? "Hello" : "Hi, how can I help?"}}}}});
    }
    threads_.push_back(std::move(r));
    return id;
}

boost::json::object simulator_store::create_session(const boost::json::object& body) {
    const auto& workflow = body.at("workflow").get_object();
    std::int64_t seconds = 600;
    if (const auto* e = body.if_contains("expires_after"); e && e->is_object())
        if (const auto* s = e->get_object().if_contains("seconds"); s && s->is_int64())
            seconds = s->get_int64();
    std::int64_t per_minute = 10;
    if (const auto* r = body.if_contains("rate_limits"); r && r->is_object())
        if (const auto* m = r->get_object().if_contains("max_requests_per_1_minute");
            m && m->is_int64())
            per_minute = m->get_int64();
    bool tracing = true;
    if (const auto* t = workflow.if_contains("tracing"); t && t->is_object())
        if (const auto* e = t->get_object().if_contains("enabled"); e && e->is_bool())
            tracing = e->get_bool();
    boost::json::object session = {
        {"id", hex_id("cksess_")},
        {"object", "chatkit.session"},
        {"client_secret", "ek_" + random_alnum(48)},
        {"expires_at", unix_now() + seconds},
        {"max_requests_per_1_minute", per_minute},
        {"rate_limits", {{"max_requests_per_1_minute", per_minute}}},
        {"status", "active"},
        {"user", body.at("user")},
        {"chatkit_configuration", default_chatkit_configuration()},
        {"workflow",
         {{"id", workflow.at("id")},
          {"version", workflow.contains("version") ? workflow.at("version") : nullptr},
          {"state_variables", workflow.contains("state_variables") ? workflow.at("state_variables")
                                                                   : boost::json::object{}},
          {"tracing", {{"enabled", tracing}}}}}};
    std::lock_guard lock(mutex_);
    sessions_.emplace(std::string(session.at("id").get_string()), session);
    return session;
}

std::optional<boost::json::object> simulator_store::cancel_session(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    it->second["status"] = "cancelled";
    return it->second;
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
