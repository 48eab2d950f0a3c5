// Carrier push receivers: POST /api/callbacks/kdniao and /api/callbacks/kuaidi100. Each push is
// verified with the provider's own signature before anything is parsed, stored durably, and
// only then answered with the exact success reply the provider expects (it retries otherwise).
#include <spdlog/spdlog.h>

#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "http/api.h"
#include "http/blocking.h"

namespace coldtrack::http {
namespace {

namespace asio = boost::asio;
using beast_http::status;
using beast_http::verb;

Response reply(const Context& ctx, status st, const carriers::ReplyBody& body) {
  return body_response(ctx, st, body.content_type, body.body);
}

// Shared flow once a provider's protocol has parsed (or refused) the push.
template <class MakeReply>
asio::awaitable<Response> ingest(Api& api, Context& ctx, std::string_view provider,
                                 carriers::PushResult push, MakeReply make_reply) {
  if (!push.verified) {
    // Refused and stored nowhere; the body is not logged (it may be an attacker's).
    api.metrics.carrier_push(provider, "bad_signature");
    spdlog::warn("{} push refused: {}", provider, push.error);
    co_return reply(ctx, status::unauthorized, make_reply(false, "signature verification failed"));
  }
  if (!push.error.empty()) {
    api.metrics.carrier_push(provider, "malformed");
    spdlog::warn("{} push malformed: {}", provider, push.error);
    co_return reply(ctx, status::bad_request, make_reply(false, "malformed push"));
  }
  auto work = [&api, snaps = std::move(push.snapshots)]() -> std::optional<service::IngestResult> {
    try {
      return api.tracking.ingest(snaps);
    } catch (const std::exception& e) {
      spdlog::error("push not stored: {}", e.what());
      return std::nullopt;
    }
  };
  const auto r = co_await on_pool(api.pool, std::move(work));
  if (!r) {  // not stored: tell the provider to retry
    api.metrics.carrier_push(provider, "store_error");
    co_return reply(ctx, status::service_unavailable, make_reply(false, "temporarily unavailable"));
  }
  api.metrics.carrier_push(provider,
                           r->unknown_waybills == r->snapshots ? "unknown_waybill" : "ok");
  co_return reply(ctx, status::ok, make_reply(true, ""));
}

asio::awaitable<Response> kdniao_push(Api& api, Context& ctx) {
  const auto* proto = api.kdniao;
  if (!proto) {
    co_return error_response(ctx, status::service_unavailable, "unavailable",
                             "the Kdniao provider is not configured");
  }
  auto push = proto->parse_push(ctx.req.body());
  const auto now = api.orders.now();
  // Named, not temporaries: GCC 12 destroys temporaries in a co_await expression twice.
  auto make_reply = [proto, now](bool ok, std::string_view reason) {
    return proto->push_reply(ok, reason, now);
  };
  co_return co_await ingest(api, ctx, "kdniao", std::move(push), std::move(make_reply));
}

asio::awaitable<Response> kuaidi100_push(Api& api, Context& ctx) {
  const auto* proto = api.kuaidi100;
  if (!proto) {
    co_return error_response(ctx, status::service_unavailable, "unavailable",
                             "the Kuaidi100 provider is not configured");
  }
  carriers::kuaidi100::PushMeta meta;
  auto push = proto->parse_push(ctx.req.body(), &meta);
  if (push.verified && push.error.empty() && !meta.corrected_com.empty()) {
    // Kuaidi100 found our carrier code wrong: move the shipment before applying the snapshot
    // (which names the corrected carrier).
    for (const auto& snap : push.snapshots) {
      auto fix = [&api, waybill = snap.waybill_no, from = meta.com_old, to = meta.corrected_com] {
        return api.tracking.reassign_carrier("kuaidi100", waybill, from, to);
      };
      co_await on_pool(api.pool, std::move(fix));
    }
  }
  auto make_reply = [proto](bool ok, std::string_view message) {
    return proto->push_reply(ok, message);
  };
  co_return co_await ingest(api, ctx, "kuaidi100", std::move(push), std::move(make_reply));
}

// WeChat Pay v3 payment notification: verified on the raw body bytes, decrypted, checked
// against the order and applied before the reply (204, or a FAIL body so WeChat Pay retries).
asio::awaitable<Response> wechatpay_notify(Api& api, Context& ctx) {
  if (!api.payments)
    co_return error_response(ctx, status::service_unavailable, "unavailable",
                             "WeChat Pay is not configured");
  wechat::NotifyHeaders h;
  auto header = [&ctx](std::string_view name) {
    auto it = ctx.req.find(name);
    return it == ctx.req.end() ? std::string() : std::string(it->value());
  };
  h.timestamp = header("Wechatpay-Timestamp");
  h.nonce = header("Wechatpay-Nonce");
  h.signature = header("Wechatpay-Signature");
  h.serial = header("Wechatpay-Serial");
  h.signature_type = header("Wechatpay-Signature-Type");
  auto work = [&api, h, body = ctx.req.body()] {
    try {
      return api.payments->wechatpay_notify(h, body);
    } catch (const std::exception& e) {
      spdlog::error("wechatpay notification not stored: {}", e.what());
      return wechat::failure_reply(503, "temporarily unavailable");
    }
  };
  const auto r = co_await on_pool(api.pool, std::move(work));
  co_return body_response(ctx, static_cast<status>(r.status),
                          r.content_type.empty() ? "text/plain" : r.content_type, r.body);
}

}  // namespace

void add_callback_routes(Router& router, Api& api) {
  router.add(verb::post, "/api/callbacks/wechatpay", Access::kPublic, Role::kViewer,
             bind(api, wechatpay_notify));
  router.add(verb::post, "/api/callbacks/kdniao", Access::kPublic, Role::kViewer,
             bind(api, kdniao_push));
  router.add(verb::post, "/api/callbacks/kuaidi100", Access::kPublic, Role::kViewer,
             bind(api, kuaidi100_push));
}

}  // namespace coldtrack::http
