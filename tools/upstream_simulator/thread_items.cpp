#include "thread_items.hpp"

#include <boost/json/array.hpp>

namespace ckg::simulator {
namespace {

// The members every item type shares.
boost::json::object item(const std::string& thread_id, std::size_t index, std::int64_t created,
                         std::string_view type) {
    // Item ids continue the thread's id: cthr_000001 -> cthi_000001_0, ...
    const std::string id =
        "cthi_" + thread_id.substr(thread_id.find('_') + 1) + "_" + std::to_string(index);
    return {{"id", id},
            {"object", "chatkit.thread_item"},
            {"created_at", created + static_cast<std::int64_t>(index)},
            {"thread_id", thread_id},
            {"type", type}};
}

boost::json::object user_message(boost::json::object base) {
    base["content"] =
        boost::json::array{{{"type", "input_text"}, {"text", "Hello"}},
                           {{"type", "quoted_text"}, {"text", "the onboarding guide"}}};
    base["attachments"] = boost::json::array{{{"type", "file"},
                                              {"id", "cfile_guide"},
                                              {"name", "guide.pdf"},
                                              {"mime_type", "application/pdf"},
                                              {"preview_url", nullptr}}};
    base["inference_options"] = {{"tool_choice", {{"id", "lookup_order"}}}, {"model", nullptr}};
    return base;
}

boost::json::object assistant_message(boost::json::object base) {
    boost::json::array annotations = {
        {{"type", "file"}, {"source", {{"type", "file"}, {"filename", "guide.pdf"}}}},
        {{"type", "url"}, {"source", {{"type", "url"}, {"url", "https://example.com/help"}}}}};
    base["content"] = boost::json::array{{{"type", "output_text"},
                                          {"text", "Hi, how can I help?"},
                                          {"annotations", std::move(annotations)}}};
    return base;
}

boost::json::object client_tool_call(boost::json::object base) {
    base["status"] = "completed";
    base["call_id"] = "call_lookup_1";
    base["name"] = "lookup_order";
    base["arguments"] = R"({"order":"A-1"})";
    base["output"] = R"({"status":"shipped"})";
    return base;
}

boost::json::object task(boost::json::object base) {
    base["task_type"] = "thought";
    base["heading"] = "Checking the order";
    base["summary"] = nullptr;
    return base;
}

boost::json::object task_group(boost::json::object base) {
    base["tasks"] = boost::json::array{
        {{"type", "custom"}, {"heading", "Looked up the order"}, {"summary", "Shipped yesterday"}},
        {{"type", "thought"}, {"heading", nullptr}, {"summary", nullptr}}};
    return base;
}

boost::json::object widget(boost::json::object base) {
    base["widget"] = R"({"type":"Card","children":[{"type":"Text","value":"Order A-1 shipped"}]})";
    return base;
}

}  // namespace

std::vector<boost::json::object> sample_thread_items(const std::string& thread_id,
                                                     std::int64_t created) {
    std::vector<boost::json::object> items;
    items.push_back(user_message(item(thread_id, 0, created, "chatkit.user_message")));
    items.push_back(assistant_message(item(thread_id, 1, created, "chatkit.assistant_message")));
    items.push_back(client_tool_call(item(thread_id, 2, created, "chatkit.client_tool_call")));
    items.push_back(task(item(thread_id, 3, created, "chatkit.task")));
    items.push_back(task_group(item(thread_id, 4, created, "chatkit.task_group")));
    items.push_back(widget(item(thread_id, 5, created, "chatkit.widget")));
    return items;
}

}  // namespace ckg::simulator
