// Uploads a WeChat-paid order's waybills to WeChat's shipping-info service
// (protocols/wechat-shipping.md), as a job of the notification worker: planned from the order's
// SHIPPED event, retried with backoff while that is safe, dead-lettered with the reason, and
// never blindly repeated when WeChat may have applied it. The payment's ledger (one upload + one
// re-upload) is kept in the store and consulted before anything is sent.
#pragma once

#include <functional>

#include "notify/channels/channel.h"
#include "service/pii.h"
#include "store/store.h"
#include "wechat/api_client.h"

namespace coldtrack::service {

class ShippingUploader final : public notify::Sender {
 public:
  ShippingUploader(store::Store& store, const PiiCodec& pii, wechat::ApiClient& api,
                   int utc_offset_minutes, std::function<domain::EpochMs()> clock);
  // d.order_no names the order; d.recipient is the payment's transaction_id.
  notify::SendReport send(const notify::Delivery& d) override;

 private:
  store::Store& store_;
  const PiiCodec& pii_;
  wechat::ApiClient& api_;
  int utc_offset_minutes_;
  std::function<domain::EpochMs()> clock_;
};

// "三鲜水饺 1kg*2、鲜牛奶*1" from the order's items JSON, cut to `max_chars` code points.
std::string item_description(const std::string& items_json, std::size_t max_chars = 120);

}  // namespace coldtrack::service
