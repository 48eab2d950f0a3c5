#include "service/payment_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <variant>

namespace coldtrack::service {

PaymentService::PaymentService(store::Store& store, WechatPayOptions options, Clock clock)
    : store_(store), options_(std::move(options)), clock_(std::move(clock)) {}

wechat::NotifyReply PaymentService::wechatpay_notify(const wechat::NotifyHeaders& headers,
                                                     std::string_view body) {
  const auto now = clock_();
  auto opened = wechat::open_notification(options_.notify, headers, body, now);
  if (auto* f = std::get_if<wechat::NotifyFailure>(&opened)) {
    spdlog::warn("wechatpay notification refused: {} ({})", wechat::to_string(f->error), f->reason);
    return wechat::failure_reply(*f);
  }
  const auto& n = std::get<wechat::Notification>(opened);
  if (!n.transaction) {  // authentic, but not a payment success: acknowledged and ignored
    spdlog::info("wechatpay notification {} ({}) acknowledged and ignored", n.id, n.event_type);
    return wechat::success_reply();
  }
  const auto& tx = *n.transaction;
  const auto order = store_.get_order(tx.out_trade_no);
  if (!order) {
    // WeChat Pay retries for a day: an order written a moment later is still found.
    spdlog::error("ALERT wechatpay payment {} for unknown order {}", tx.transaction_id,
                  tx.out_trade_no);
    return wechat::failure_reply(404, "unknown out_trade_no");
  }
  if (auto mismatches =
          wechat::check_transaction(tx, options_.appid, options_.mchid, order->amount_fen);
      !mismatches.empty()) {
    spdlog::error("ALERT wechatpay payment {} does not match order {}: {}", tx.transaction_id,
                  tx.out_trade_no, fmt::join(mismatches, "; "));
    return wechat::failure_reply(400, "the transaction does not match the order");
  }
  store::PaymentRecord p;
  p.order_no = tx.out_trade_no;
  p.provider = "wechatpay";
  p.transaction_id = tx.transaction_id;
  p.notify_id = n.id;
  p.amount_fen = tx.amount_total;
  p.payer_openid = tx.payer_openid;
  p.success_time = tx.success_time_ms.value_or(now);
  p.received_at = now;
  store::AuditRecord audit;
  audit.at = now;
  audit.actor = "payment:wechatpay";
  audit.role = "system";
  audit.action = "order.paid";
  audit.target = "order:" + tx.out_trade_no;
  // Transaction ids are digits and notification ids [A-Za-z0-9-]: no escaping needed.
  audit.detail = fmt::format(R"({{"transaction_id":"{}","notify_id":"{}","amount_fen":{}}})",
                             tx.transaction_id, n.id, tx.amount_total);
  const auto r = store_.record_payment(p, audit);
  if (const auto* a = std::get_if<store::PaymentApplied>(&r)) {
    if (!a->changed)
      spdlog::info("wechatpay payment {} for {} already recorded", tx.transaction_id,
                   tx.out_trade_no);
    return wechat::success_reply();
  }
  if (std::holds_alternative<store::NotFound>(r))
    return wechat::failure_reply(404, "unknown out_trade_no");
  const auto& c = std::get<store::Conflict>(r);
  spdlog::error("ALERT wechatpay payment {} for order {} not applied: {}", tx.transaction_id,
                tx.out_trade_no, c.message);
  return wechat::failure_reply(409, c.message);
}

}  // namespace coldtrack::service
