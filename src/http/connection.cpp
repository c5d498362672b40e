#include "chatkit_gateway/http/connection.hpp"

#include "chatkit_gateway/core/ascii.hpp"

#include "chatkit_gateway/http/error_response.hpp"
#include "chatkit_gateway/http/framing.hpp"
#include "chatkit_gateway/http/http_date.hpp"
#include "chatkit_gateway/http/request_id.hpp"
#include "chatkit_gateway/net/message_reader.hpp"
#include "chatkit_gateway/net/tls_stream.hpp"
#include "chatkit_gateway/net/wire_format.hpp"
#include "chatkit_gateway/observability/logger.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>
#include <type_traits>

namespace ckg::http_server {
namespace {

using transport::message_reader;
using transport::tls_stream;
using transport::to_wire;
using steady = std::chrono::steady_clock;

// What one request produced, for the access log.
struct request_outcome {
    bool keep_going = false;
    observability::log_fields log;  // the handler's extra access-log fields
    unsigned status = 0;
    std::string_view method = "-";  // method_name()
    std::string_view route = "-";
    std::string request_id;
};

// A request's method as its access line and metrics name it: "-" before its
// request line was read, "<unknown>" for a method Beast does not know
// (which the router answers 404 or 405).
std::string_view method_name(const http::request_header<>& h) {
    if (h.method() == http::verb::unknown && h.method_string().empty()) return "-";
    return http::to_string(h.method());
}

template <class Stream>
class connection final : public connection_base,
                         public std::enable_shared_from_this<connection<Stream>> {
public:
    static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;
    // What a read asks for while the header is incomplete: a typical
    // request (token included) fits, a larger one takes a few reads.
    static constexpr std::size_t idle_read_size = 2048;
    // Room beyond the header and body limits for a request's framing (chunk
    // lines, trailers): what one request may make us hold (docs/architecture.md).
    static constexpr std::size_t framing_allowance = 4096;
    // How long a refused request's remaining bytes are read and dropped.
    static constexpr std::chrono::seconds discard_time{2};

    connection(tcp::socket socket, std::shared_ptr<server_state> state,
               std::shared_ptr<ssl::context> tls)
        : state_(std::move(state)),
          tls_(std::move(tls)),
          stream_(make_stream(std::move(socket), tls_)),
          budget_(stream_.get_executor()),
          reader_(options().max_header_bytes + options().max_body_bytes + framing_allowance) {
        beast::error_code ec;
        remote_ = lowest().socket().remote_endpoint(ec);
        waiting_from_now();  // from accept, in the order of accepting
    }

    // Coroutine parameters are by value (STYLE habit 4): `self` keeps the
    // connection alive for the whole coroutine.
    // `id`: its entry in the registry, made when it was accepted.
    static net::awaitable<void> serve(std::shared_ptr<connection> self, std::uint64_t id) {
        try {
            co_await self->run();
        } catch (const std::exception& e) {
            observability::log_error("connection failed", {{"listener", self->state_->options.name},
                                                           {"error", e.what()}});
        }
        if (self->close_gracefully_) co_await self->shutdown_tls();
        self->close_socket(false);
        self->state_->remove(id);
    }

    void close_if_idle() override {
        auto self = this->shared_from_this();
        net::post(stream_.get_executor(), [self] {
            if (self->idle_) self->close_socket(false);
        });
    }

    void close_now() override {
        auto self = this->shared_from_this();
        net::post(stream_.get_executor(), [self] { self->close_socket(true); });
    }

private:
    static Stream make_stream(tcp::socket socket, const std::shared_ptr<ssl::context>& tls) {
        if constexpr (is_tls)
            return Stream(std::move(socket), *tls);
        else
            return Stream(std::move(socket));
    }

    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
    const server_options& options() const { return state_->options; }

    void close_socket(bool reset) {
        beast::error_code ec;
        if (reset) lowest().socket().set_option(tcp::socket::linger(true, 0), ec);
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
    }

    // header_timeout from now for the request being read (request_deadline_).
    // The connection now waits for this request's bytes (mark_waiting):
    // at max_connections the admin listener may close it for a newcomer.
    void start_request_budget() {
        const auto now = steady::now();
        request_deadline_ = now + options().header_timeout;
        budget_spent_ = false;
        waiting_since(now);
    }

    // What the listener's eviction of stalled connections reads
    // (server_options::evict_stalled): since when the connection waits on
    // its client, for a request's bytes or to take a reply. Nothing else
    // reads it, so the other listeners skip it.
    void waiting_since(steady::time_point t) {
        if (options().evict_stalled) this->mark_waiting(t);
    }
    // The same from now; the clock is read only where eviction uses it.
    void waiting_from_now() {
        if (options().evict_stalled) this->mark_waiting(steady::now());
    }
    void served() {
        if (options().evict_stalled) this->mark_served();
    }

    // Reads the header or the rest of a request that has begun, within its
    // budget. The budget has its own timer, which cancels the read rather
    // than closing the socket as the stream's own deadline would: a request
    // that stalls part-way is answered 408 (docs/api.md). What is already
    // buffered is parsed first: the usual request needs no read, and then
    // no timer either.
    template <class Parser>
    net::awaitable<beast::error_code> read_in_budget(Parser& parser, bool header_only) {
        beast::error_code ec;
        if (reader_.parse(parser, header_only, ec) != transport::parse_step::need_more)
            co_return ec;
        if (steady::now() >= request_deadline_) {
            budget_spent_ = true;
            co_return beast::error::timeout;
        }
        lowest().expires_never();
        arm_budget();
        ec = co_await reader_.read(stream_, parser, header_only);
        disarm_budget();
        co_return ec;
    }

    // The budget's timer, armed for one wait on the socket: when the
    // request's deadline passes first, it marks the budget spent and cancels
    // that wait. Each arming has its own number.
    void arm_budget() {
        const auto armed = ++budget_generation_;
        budget_.expires_at(request_deadline_);
        budget_.async_wait([self = this->shared_from_this(), armed](beast::error_code wec) {
            // A wait that fired as the read ended must not cancel a later operation.
            if (wec || self->budget_generation_ != armed) return;
            self->budget_spent_ = true;
            self->lowest().cancel();
        });
    }
    void disarm_budget() {
        ++budget_generation_;
        budget_.cancel();
    }

    // What a request whose read failed is answered: 408 once its budget is
    // spent, else as read_error says.
    std::optional<errc> refusal_for(const beast::error_code& ec) const {
        return budget_spent_ ? std::optional<errc>(errc::request_timeout) : read_error(ec);
    }

    // Whether the client sent its first bytes within the budget. A handshake
    // that starts reading makes OpenSSL take ~34 KiB of buffers, so a
    // connection that sends nothing (thousands may be opened and left) or
    // closes at once never starts one: it holds a few KiB until its budget
    // ends (docs/operations.md, "Scaling"). A wake-up with nothing to read
    // and no end of stream (the reactor may report readiness spuriously)
    // waits again.
    net::awaitable<bool> first_bytes_arrive() {
        auto& socket = lowest().socket();
        beast::error_code pec;
        socket.non_blocking(true, pec);  // for the peek; asynchronous operations are unaffected
        arm_budget();
        bool arrived = false;
        while (!pec) {
            auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, nothrow_awaitable);
            if (ec) break;  // the budget ran out, or the socket failed
            char first = 0;
            const auto n = socket.receive(net::buffer(&first, 1), tcp::socket::message_peek, pec);
            if (pec == net::error::would_block || pec == net::error::try_again) {
                pec = {};
                continue;
            }
            arrived = !pec && n > 0;  // 0 bytes: the client closed
            break;
        }
        disarm_budget();
        co_return arrived;
    }

    net::awaitable<void> run() {
        // The first request's one budget starts at accept: a client that
        // takes nearly all of it for each of the handshake, the first byte,
        // the header and the body does not get four of them.
        start_request_budget();
        if constexpr (is_tls) {
            if (!co_await first_bytes_arrive()) co_return;
            lowest().expires_at(request_deadline_);
            auto [ec] = co_await stream_.async_handshake(tls_stream::server, nothrow_awaitable);
            if (ec) {
                observability::log_debug("tls handshake failed",
                                         {{"listener", options().name}, {"error", ec.message()}});
                co_return;
            }
        }
        while (co_await wait_for_request()) {
            auto outcome = co_await serve_request();
            if (!outcome.keep_going) break;
        }
    }

    // Waits for the first byte of the next request: within the first
    // request's budget, or idle_timeout between keep-alive requests (whose
    // budget then starts at their first byte). Returns false when the
    // connection should end quietly.
    net::awaitable<bool> wait_for_request() {
        if (reader_.buffered() > 0) {
            start_request_budget();
            co_return true;
        }
        if (state_->closing.load()) {
            close_gracefully_ = true;
            co_return false;
        }
        idle_ = true;
        if (!first_request_) mark_idle();  // may be closed to make room (server.cpp)
        // An idle connection holds only a small buffer (thousands may wait);
        // a large request's buffer is given back first.
        reader_.shrink(2 * idle_read_size);
        if (first_request_)
            lowest().expires_at(request_deadline_);
        else
            lowest().expires_after(options().idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(reader_.buffer().prepare(idle_read_size),
                                                        nothrow_awaitable);
        idle_ = false;
        if (!first_request_) start_request_budget();
        if (!first_request_ && !mark_busy())
            co_return false;  // claimed for a new connection meanwhile
        first_request_ = false;
        if (ec) co_return false;
        reader_.buffer().commit(n);
        co_return true;
    }

    net::awaitable<request_outcome> serve_request() {
        const auto started = steady::now();
        http::request_parser<http::string_body> parser;  // a new parser per message (beast#2715)
        parser.header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
        parser.body_limit(options().max_body_bytes);
        transport::refuse_unclean_chunk_extensions(parser);
        reader_.start_message();

        // Read the header, then the body: both within the request's one budget.
        // A header refused part-way still has the fields read before the
        // fault: its answer echoes their X-Request-Id when there is one, but
        // gets no listener headers (a later field could be a second Origin).
        if (auto hec = co_await read_in_budget(parser, true))
            co_return co_await refuse(refusal_for(hec), &parser.get(),
                                      header_read_whole(parser, hec), started);

        const auto& header = parser.get();
        auto header_fields = fields_before_trailer(header, parser.chunked());
        const auto target = origin_form_target(header.target());
        if (has_ambiguous_framing(header) || has_bad_host(header) || !target)
            co_return co_await refuse(errc::invalid_request, &header, true, started);
        if (parser.content_length() && *parser.content_length() > options().max_body_bytes)
            co_return co_await refuse(errc::body_too_large, &header, true, started);
        if (iequals_ascii(header[http::field::expect], "100-continue") &&
            !co_await send_continue(header.version()))
            co_return request_outcome{};

        const auto bec = co_await read_in_budget(parser, false);
        drop_trailer_fields(parser.get(), std::move(header_fields));
        if (bec) co_return co_await refuse(refusal_for(bec), &parser.get(), true, started);

        served();  // a whole request: never evicted for a newcomer
        request req = parser.release();
        if (req.target() != *target) req.target(*target);  // an absolute-form target's path
        request_outcome outcome;
        outcome.request_id = request_id_for(req["X-Request-Id"]);
        outcome.method = method_name(req);
        reply r = co_await dispatch(req, outcome);
        if (r.after == after_reply::reset) {
            close_socket(true);
            co_return outcome;
        }
        const bool keep_alive =
            req.keep_alive() && r.after == after_reply::keep_alive && !state_->closing.load();
        finish_response(r.res, &req, true, outcome.request_id, keep_alive);
        outcome.status = r.res.result_int();
        outcome.log = std::move(r.log);

        // Write the reply. Until the client has taken it, the connection
        // waits on the client again (as for a request's bytes): one that
        // never reads can be closed for a newcomer (evict_stalled).
        lowest().expires_after(options().idle_timeout);
        waiting_from_now();
        auto [wec, wn] = co_await write(r.res);
        served();
        record(outcome, started);
        if (wec) co_return outcome;
        outcome.keep_going = keep_alive;
        close_gracefully_ = !keep_alive;
        co_return outcome;
    }

    // Whether a header read that failed with `ec` still read every field:
    // Beast refuses a declared Content-Length over the body limit once the
    // header has ended (its finish_header).
    template <class Parser>
    static bool header_read_whole(const Parser& parser, const beast::error_code& ec) {
        return parser.is_header_done() || ec == http::error::body_limit;
    }

    // Maps a read failure to the status to answer with; nullopt: close quietly.
    static std::optional<errc> read_error(const beast::error_code& ec) {
        if (ec == http::error::header_limit) return errc::headers_too_large;
        if (ec == http::error::body_limit) return errc::body_too_large;
        if (ec == http::error::end_of_stream || ec == net::error::eof ||
            ec == beast::error::timeout || ec == net::error::operation_aborted ||
            ec == net::error::connection_reset || ec == http::error::partial_message ||
            ec.category() == net::error::get_ssl_category() ||
            ec == net::ssl::error::stream_truncated)
            return std::nullopt;
        return errc::invalid_request;
    }

    // Answers a request that cannot be served (framing, size, syntax), then
    // closes: after such an error the byte stream cannot be trusted.
    // `header` is what was read of it; `whole` when that is all of it.
    net::awaitable<request_outcome> refuse(std::optional<errc> code,
                                           const http::request_header<>* header, bool whole,
                                           steady::time_point started) {
        request_outcome outcome;
        if (!code) co_return outcome;
        outcome.request_id = request_id_for(header ? std::string_view((*header)["X-Request-Id"])
                                                   : std::string_view{});
        if (header) outcome.method = method_name(*header);
        const unsigned version = header ? header->version() : 11;
        auto res = make_error_response(api_error{*code, {}, {}, {}}, version);
        finish_response(res, header, whole, outcome.request_id, false);
        outcome.status = res.result_int();
        lowest().expires_after(options().header_timeout);
        auto [wec, wn] = co_await write(res);
        record(outcome, started);
        if (!wec) co_await discard_rest();
        co_return outcome;
    }

    // After a refusal: says it is done sending (FIN, or close_notify), then
    // reads and drops what the client still sends, bounded by time rather
    // than bytes. A client that writes its whole body before reading then
    // reads the answer; closing with its bytes unread would reset the
    // connection and destroy the answer in flight.
    net::awaitable<void> discard_rest() {
        const auto deadline = steady::now() + discard_time;
        if constexpr (is_tls) {
            lowest().expires_at(deadline);
            auto [sec] = co_await stream_.async_shutdown(nothrow_awaitable);
            if (sec) co_return;
        } else {
            beast::error_code ignored;
            lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
        reader_.buffer().clear();
        for (;;) {
            lowest().expires_at(deadline);
            // Prepared and never committed: the same bytes are reused for every read.
            auto [ec, n] =
                co_await stream_.async_read_some(reader_.buffer().prepare(4096), nothrow_awaitable);
            if (ec) co_return;
        }
    }

    // One buffer, one write (net/wire_format.hpp).
    net::awaitable<std::tuple<beast::error_code, std::size_t>> write(const response& res) {
        to_wire(res, wire_, reply_fields_);
        auto written = co_await net::async_write(stream_, net::buffer(wire_), nothrow_awaitable);
        if (wire_.capacity() > 64 * 1024)
            std::string().swap(wire_);  // a large reply's buffer is not kept
        co_return written;
    }

    net::awaitable<bool> send_continue(unsigned version) {
        http::response<http::empty_body> res{http::status::continue_, version};
        lowest().expires_at(request_deadline_);
        auto [ec, n] = co_await http::async_write(stream_, res, nothrow_awaitable);
        co_return !ec;
    }

    net::awaitable<reply> dispatch(const request& req, request_outcome& outcome) {
        const std::string_view target = req.target();
        const auto q = target.find('?');
        const auto path = target.substr(0, q);
        const auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
        auto match = state_->routes.match(req.method(), path);
        if (!match) co_return make_error_reply({errc::not_found, {}, {}, {}}, req.version());
        outcome.route = match->pattern;
        if (match->target == nullptr)
            co_return make_error_reply({errc::method_not_allowed, {}, {}, match->allow},
                                       req.version());
        request_context ctx{req,    path, query, std::move(match->params), outcome.request_id,
                            remote_};
        std::optional<reply> r;
        try {
            r = co_await (*match->target)(ctx);
        } catch (const std::exception& e) {
            // One catch per request (STYLE habit 5): the client gets a 500, the log the reason.
            observability::log_error("handler failed",
                                     {{"request_id", outcome.request_id}, {"error", e.what()}});
        }
        if (!r) r = make_error_reply({errc::internal_error, {}, {}, {}}, req.version());
        co_return std::move(*r);
    }

    // The headers every reply carries are the connection's: formatted once
    // into reply_fields_ (written after the handler's own by write()), and
    // any a handler set is dropped. The request id is sane (request_id.hpp).
    // `header` is what was read of the request (null: nothing); the
    // listener's decorate() adds its headers for it when it was read whole.
    void finish_response(response& res, const request_header* header, bool whole,
                         const std::string& request_id, bool keep_alive) {
        res.version(header ? header->version() : 11);
        if (header && whole && options().decorate) options().decorate(*header, res);
        res.erase("X-Request-Id");
        res.erase(http::field::cache_control);
        res.erase(http::field::vary);
        res.erase(http::field::date);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        // Beast writes "Content-Length: 0" on a 204 too, which RFC 9110
        // (section 8.6) forbids: such an answer has no body by its status.
        if (res.result() == http::status::no_content) res.content_length(boost::none);
        reply_fields_.assign("X-Request-Id: ")
            .append(request_id)
            .append("\r\nCache-Control: no-store\r\nDate: ")
            .append(http_date_now())
            .append("\r\n");
        if (options().public_headers) reply_fields_.append("Vary: Origin\r\n");
    }

    // The single point where a finished request is logged and counted.
    void record(const request_outcome& o, steady::time_point started) const {
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started);
        if (options().metrics)
            options().metrics->record_request(
                {options().name, o.route, o.method, o.status, elapsed});
        if (!options().access_log ||
            !observability::logger::enabled(observability::log_level::info))
            return;
        const std::int64_t micros = elapsed.count();
        observability::log_line line(observability::log_level::info, "request");
        line.add("listener", options().name)
            .add("request_id", o.request_id)
            .add("method", o.method)
            .add("route", o.route)
            .add("status", std::int64_t{o.status})
            .add("duration_ms", (micros + 500) / 1000)
            .add("duration_us", micros)
            .add_all(o.log);
        observability::logger::write(line);
    }

    net::awaitable<void> shutdown_tls() {
        if constexpr (is_tls) {
            // Bounded: a peer that never answers close_notify does not hold us.
            lowest().expires_after(std::chrono::seconds(2));
            co_await stream_.async_shutdown(nothrow_awaitable);
        }
        co_return;
    }

    std::shared_ptr<server_state> state_;
    std::shared_ptr<ssl::context> tls_;  // keeps the context this connection was accepted with
    Stream stream_;
    // The timer of the request budget while a read waits for the peer
    // (read_in_budget); each arming has its own number.
    net::steady_timer budget_;
    std::uint64_t budget_generation_ = 0;
    bool budget_spent_ = false;  // this request's budget ran out
    message_reader reader_;      // the request bytes received, bounded per request
    std::string wire_;           // the reply being written
    std::string reply_fields_;   // its common headers (finish_response)
    tcp::endpoint remote_;
    bool idle_ = false;  // waiting for a request; only touched on the connection's thread
    bool first_request_ = true;
    // When the request being read must be complete: header_timeout after
    // accept for the first, after its first byte for each later one.
    steady::time_point request_deadline_{};
    bool close_gracefully_ = false;
};

template <class Stream>
void spawn(tcp::socket socket, std::shared_ptr<server_state> state,
           std::shared_ptr<ssl::context> tls) {
    auto executor = socket.get_executor();
    auto c = std::make_shared<connection<Stream>>(std::move(socket), state, std::move(tls));
    // Counted now, on the accepting thread, so that max_connections holds
    // even for a burst accepted before any of its connections runs.
    const auto id = state->add(c);
    net::co_spawn(executor, connection<Stream>::serve(std::move(c), id), net::detached);
}

}  // namespace

void start_connection(tcp::socket socket, std::shared_ptr<server_state> state) {
    if (state->tls) {
        auto ctx = state->tls->current();
        spawn<tls_stream>(std::move(socket), std::move(state), std::move(ctx));
    } else {
        spawn<beast::tcp_stream>(std::move(socket), std::move(state), nullptr);
    }
}

}  // namespace ckg::http_server
