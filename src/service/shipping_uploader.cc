#include "service/shipping_uploader.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <map>

namespace coldtrack::service {
namespace {

wechat::UploadLedger to_ledger(const store::ShippingLedgerRecord& r) {
  wechat::UploadLedger l;
  l.used = r.used;
  l.last_upload_time = r.last_upload_time;
  l.unresolved = r.unresolved;
  return l;
}

store::ShippingLedgerRecord to_record(const wechat::UploadLedger& l) {
  return {l.used, l.last_upload_time, l.unresolved};
}

}  // namespace

std::string item_description(const std::string& items_json, std::size_t max_chars) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(items_json, ec);
  std::string out;
  if (!ec && v.is_array()) {
    for (const auto& item : v.get_array()) {
      const auto* o = item.if_object();
      if (!o) continue;
      const auto* name = o->if_contains("name");
      const auto* qty = o->if_contains("quantity");
      if (!name || !name->is_string()) continue;
      if (!out.empty()) out += "、";
      out += std::string(name->get_string());
      if (qty && qty->is_int64()) out += fmt::format("*{}", qty->get_int64());
    }
  }
  if (out.empty()) out = "商品";
  // Cut at a code point boundary.
  std::size_t chars = 0, i = 0;
  for (; i < out.size(); ++i) {
    if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80 && chars++ == max_chars) break;
  }
  return out.substr(0, i);
}

ShippingUploader::ShippingUploader(store::Store& store, const PiiCodec& pii, wechat::ApiClient& api,
                                   int utc_offset_minutes, std::function<domain::EpochMs()> clock)
    : store_(store),
      pii_(pii),
      api_(api),
      utc_offset_minutes_(utc_offset_minutes),
      clock_(std::move(clock)) {}

notify::SendReport ShippingUploader::send(const notify::Delivery& d) {
  using S = notify::SendStatus;
  const auto order = store_.get_order(d.order_no);
  if (!order) return {S::kFailed, "the order no longer exists", {}, 0};
  const auto payment = store_.payment_for(d.order_no);
  if (!payment || payment->transaction_id != d.recipient)
    return {S::kFailed, "no WeChat Pay payment " + d.recipient + " on this order", {}, 0};
  if (order->shipments.empty()) return {S::kFailed, "the order has no waybill", {}, 0};

  std::map<std::string, std::string> wechat_codes;
  for (const auto& c : store_.carriers()) wechat_codes[c.code] = c.wechat_code;
  wechat::ShippingUpload u;
  u.order_key = wechat::OrderKey::transaction(payment->transaction_id);
  u.logistics_type = wechat::LogisticsType::kExpress;
  u.delivery_mode =
      order->shipments.size() > 1 ? wechat::DeliveryMode::kSplit : wechat::DeliveryMode::kUnified;
  u.is_all_delivered = true;
  u.payer_openid = payment->payer_openid;
  u.utc_offset_minutes = utc_offset_minutes_;
  const auto phone = pii_.open(order->phone_sealed, "customer.phone").value_or("");
  const auto items = item_description(order->items_json);
  for (const auto& s : order->shipments) {
    const auto code = wechat_codes[s.carrier];
    if (code.empty())
      return {S::kFailed,
              fmt::format("carrier {} has no WeChat carrier id (set wechat_code with PUT "
                          "/api/carriers/{})",
                          s.carrier, s.carrier),
              {},
              0};
    u.shipping_list.push_back({s.waybill_no, code, items, phone});
  }
  // Later than any previous upload, as WeChat requires.
  auto ledger = to_ledger(store_.shipping_ledger(payment->transaction_id));
  u.upload_time = std::max(clock_(), ledger.last_upload_time.value_or(0) + 1000);
  if (ledger.permission() == wechat::UploadLedger::Permission::kUnresolved)
    return {S::kUncertain,
            "an earlier upload may have been applied; check the order in WeChat's console",
            {},
            0};
  if (ledger.permission() == wechat::UploadLedger::Permission::kExhausted)
    return {S::kFailed, "the one re-upload of this payment was used already", {}, 0};

  const auto answer = api_.upload_shipping(u, ledger);
  if (!answer.refused.empty()) return {S::kFailed, answer.refused, {}, 0};
  const auto& r = answer.result;
  const std::string why = fmt::format("WeChat {}: {}", r.errcode, r.message);
  if (!answer.reached && r.outcome != wechat::UploadOutcome::kApplied)
    return {S::kRetry, "WeChat unreachable: " + r.message, {}, 0};
  ledger = wechat::record(ledger, u.upload_time, r);
  store_.save_shipping_ledger(payment->transaction_id, to_record(ledger), clock_());
  switch (r.outcome) {
    case wechat::UploadOutcome::kApplied:
      return {S::kSent, "", payment->transaction_id, 0};
    case wechat::UploadOutcome::kRetryLater:
    case wechat::UploadOutcome::kRefreshToken:
      return {S::kRateLimited, why, {}, 60'000};
    case wechat::UploadOutcome::kUnknown:
      return {S::kUncertain, why, {}, 0};
    case wechat::UploadOutcome::kRejected:
      return {S::kFailed, why, {}, 0};
  }
  return {S::kFailed, why, {}, 0};
}

}  // namespace coldtrack::service
