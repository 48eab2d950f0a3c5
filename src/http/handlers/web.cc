// The built front ends, served under their mounts (/m/ for the customer H5 page). A front end
// that was not built answers 404 naming how to build it, instead of failing the server.
#include <fmt/format.h>

#include "http/api.h"

namespace coldtrack::http {
namespace {

// Answers from memory on the I/O thread: nothing here blocks.
boost::asio::awaitable<Response> serve_web(const WebMount& web, Context& ctx) {
  if (web.site) co_return web.site->serve(ctx, ctx.params.at("path"));
  co_return error_response(ctx, beast_http::status::not_found, "not_found",
                           fmt::format("{} is not built here: {}", web.name, web.missing));
}

}  // namespace

void add_web_routes(Router& router, const WebMount& web) {
  // The lambda is no coroutine, so the frame holds no reference into it.
  router.add(beast_http::verb::get, web.mount + "{*path}", Access::kPublic, Role::kViewer,
             [&web](Context& ctx) { return serve_web(web, ctx); });
}

}  // namespace coldtrack::http
