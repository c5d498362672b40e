#include "chatkit_gateway/net/wire_format.hpp"

namespace ckg::transport {
namespace {

void append_version(unsigned version, std::string& out) {
    out += version == 10 ? "HTTP/1.0" : "HTTP/1.1";
}

void append_fields_and_body(const http::fields& fields, std::string_view extra_fields,
                            const std::string& body, std::string& out) {
    for (const auto& f : fields) {
        out.append(f.name_string().data(), f.name_string().size());
        out += ": ";
        out.append(f.value().data(), f.value().size());
        out += "\r\n";
    }
    out += extra_fields;
    out += "\r\n";
    out += body;
}

}  // namespace

void to_wire(const http::response<http::string_body>& res, std::string& out,
             std::string_view extra_fields) {
    out.clear();
    append_version(res.version(), out);
    out += ' ';
    out += std::to_string(res.result_int());
    out += ' ';
    const auto reason = res.reason();
    out.append(reason.data(), reason.size());
    out += "\r\n";
    append_fields_and_body(res.base(), extra_fields, res.body(), out);
}

void to_wire(const http::request<http::string_body>& req, std::string& out) {
    out.clear();
    const auto method = req.method_string();
    out.append(method.data(), method.size());
    out += ' ';
    const auto target = req.target();
    out.append(target.data(), target.size());
    out += ' ';
    append_version(req.version(), out);
    out += "\r\n";
    append_fields_and_body(req.base(), {}, req.body(), out);
}

}  // namespace ckg::transport
