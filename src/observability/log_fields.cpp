#include "chatkit_gateway/observability/log_fields.hpp"

namespace ckg::observability {

log_fields::member& log_fields::slot(json_key name) {
    for (auto& m : members_)
        if (m.name.view() == name.view()) return m;
    return members_.emplace_back(member{name, std::int64_t{0}});
}

void log_fields::set(json_key name, std::string_view text) {
    slot(name).value.emplace<std::string>(text);
}

void log_fields::set(json_key name, std::int64_t number) {
    slot(name).value = number;
}

const std::string* log_fields::text(std::string_view name) const {
    for (const auto& m : members_)
        if (m.name.view() == name) return std::get_if<std::string>(&m.value);
    return nullptr;
}

}  // namespace ckg::observability
