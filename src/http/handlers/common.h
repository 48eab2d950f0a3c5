// Small pieces every handler file uses.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "domain/time.h"
#include "domain/validation.h"
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

// The 400 for an order number that cannot be one (`order_no`), nullopt for a valid one.
inline std::optional<Response> bad_order_no(const Context& ctx, std::string_view no) {
  if (domain::is_valid_order_no(no)) return std::nullopt;
  return error_response(ctx, boost::beast::http::status::bad_request, "invalid_argument",
                        "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'", "order_no");
}

// The order-list filters staff and customers share: `order_no`, `from`/`to` (RFC 3339 with
// offset, `to` exclusive) and `status` (one status or a comma list, any of them). The 400 when
// one is malformed.
inline std::optional<Response> read_order_filters(const Context& ctx, service::ListQuery& q) {
  const auto fail = [&](std::string_view field, std::string_view message) {
    return error_response(ctx, boost::beast::http::status::bad_request, "invalid_argument", message,
                          field);
  };
  if (auto v = ctx.query("order_no")) {
    if (auto bad = bad_order_no(ctx, *v)) return bad;
    q.order_no = *v;
  }
  for (auto [name, slot] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    if (auto v = ctx.query(name)) {
      auto t = domain::parse_rfc3339(*v);
      if (!t)
        return fail(name, "must be an RFC 3339 time with offset, e.g. 2026-11-25T00:00:00+08:00");
      *slot = *t;
    }
  }
  if (q.from && q.to && *q.from > *q.to) return fail("from", "must not be after to");
  if (auto v = ctx.query("status")) {
    std::string_view rest = *v;
    while (true) {
      const auto comma = rest.find(',');
      const auto one = rest.substr(0, comma);
      auto s = domain::parse_status(one);
      if (!s)
        return fail("status", "must be order statuses separated by commas, e.g. PAID,SHIPPED");
      if (std::find(q.statuses.begin(), q.statuses.end(), *s) == q.statuses.end())
        q.statuses.push_back(*s);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return std::nullopt;
}

// A positive decimal id ("42"); nullopt for anything else.
inline std::optional<std::int64_t> parse_positive_id(std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

// `limit` (1..500) and `cursor` (the last id seen) of a newest-first list by id. The 400 when
// either is malformed.
inline std::optional<Response> read_id_page(const Context& ctx, int& limit,
                                            std::optional<std::int64_t>& before_id) {
  const auto fail = [&](std::string_view field, std::string_view message) {
    return error_response(ctx, boost::beast::http::status::bad_request, "invalid_argument", message,
                          field);
  };
  if (auto v = ctx.query("limit")) {
    auto n = parse_positive_id(*v);
    if (!n || *n > 500) return fail("limit", "must be an integer from 1 to 500");
    limit = static_cast<int>(*n);
  }
  if (auto v = ctx.query("cursor")) {
    auto n = parse_positive_id(*v);
    if (!n) return fail("cursor", "is not a cursor returned by this API");
    before_id = *n;
  }
  return std::nullopt;
}

}  // namespace coldtrack::http
