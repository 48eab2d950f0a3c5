// Small pieces every handler file uses.
#pragma once

#include <initializer_list>
#include <optional>
#include <string_view>

#include "http/auth.h"
#include "http/context.h"
#include "service/order_service.h"

namespace coldtrack::http {

// Who is calling, for the services' permission checks and audit rows.
inline service::Actor actor_of(const Context& ctx) {
  return service::Actor{ctx.principal->actor, std::string(role_name(ctx.principal->role)),
                        ctx.request_id, ctx.client_addr};
}

// Rejects unknown query parameters: a typo ("phon=") must not silently widen a query.
inline std::optional<Response> check_query_names(const Context& ctx,
                                                 std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : ctx.query_map()) {
    bool ok = false;
    for (auto k : known) ok = ok || name == k;
    if (!ok)
      return error_response(ctx, boost::beast::http::status::bad_request, "invalid_argument",
                            "unknown query parameter", name);
  }
  return std::nullopt;
}

}  // namespace coldtrack::http
