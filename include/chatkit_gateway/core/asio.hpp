// Asio and Beast aliases shared by the rooms that do I/O (http/, upstream/).
// Rooms with pure logic never include this header, so they compile fast.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ckg {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// Boost 1.81 needs an explicit completion token: errors come back as values,
// never as exceptions, because EOF, resets and timeouts are expected events.
constexpr auto nothrow_awaitable = net::as_tuple(net::use_awaitable);

}  // namespace ckg
