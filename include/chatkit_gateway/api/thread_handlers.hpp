// The thread proxy (docs/api.md): list, retrieve, list items, delete,
// always scoped to the caller's upstream user id. Retrieve, items and delete
// first retrieve the thread upstream; absent and not-yours are the same 404,
// and nothing else is sent upstream for a thread that is not the caller's.
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/http/handler.hpp"

namespace ckg::api {

net::awaitable<http_server::reply> list_threads(http_server::request_context& ctx,
                                                gateway_services& s);
net::awaitable<http_server::reply> retrieve_thread(http_server::request_context& ctx,
                                                   gateway_services& s);
net::awaitable<http_server::reply> list_thread_items(http_server::request_context& ctx,
                                                     gateway_services& s);
net::awaitable<http_server::reply> delete_thread(http_server::request_context& ctx,
                                                 gateway_services& s);

}  // namespace ckg::api
