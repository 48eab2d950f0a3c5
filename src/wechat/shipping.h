// WeChat shipping-information upload (发货信息管理, protocols/wechat-shipping.md). For many shop
// mini-programs the buyer's payment stays frozen until the shipment is uploaded here, and each
// payment gets exactly one re-upload, so the upload is built strictly and the re-upload rule is
// enforced before anything is sent. Pure protocol code: no sockets, no clocks.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wechat/miniprogram.h"

namespace coldtrack::wechat {

// Every (unverified) detail of wechat-shipping.md, in one place, so it can be corrected without
// touching logic.
struct UnverifiedShippingRules {
  // shipping_list[].contact.receiver_contact carries the receiver's phone masked like
  // "138****5678": the first 3 and last 4 digits kept, "****" between.
  std::size_t contact_keep_head = 3;
  std::size_t contact_keep_tail = 4;
  std::string_view contact_mask = "****";
  // WeChat express_company ids for which the contact is needed. For other carriers it is left
  // out (the less personal data leaves, the better).
  std::array<std::string_view, 1> contact_required_for{"SF"};
  // Whether an upload WeChat rejected (errcode != 0) uses up the payment's one re-upload. The
  // doc only says re-sending and changing count; we assume a rejected call changed nothing.
  bool rejected_upload_counts = false;
};
inline constexpr UnverifiedShippingRules kUnverifiedShipping{};

// A payment may be uploaded once and then re-uploaded exactly once (documented).
inline constexpr int kMaxUploadsPerPayment = 2;
// Split delivery: at most 10 parcels per payment (documented).
inline constexpr std::size_t kMaxParcels = 10;

enum class OrderNumberType { kMerchantOrder = 1, kTransactionId = 2 };
enum class LogisticsType { kExpress = 1, kSameCity = 2, kVirtual = 3, kBuyerPickup = 4 };
enum class DeliveryMode { kUnified = 1, kSplit = 2 };

// Which WeChat Pay payment: our out_trade_no under a merchant id, or WeChat's transaction_id.
struct OrderKey {
  OrderNumberType type = OrderNumberType::kTransactionId;
  std::string mchid;
  std::string out_trade_no;
  std::string transaction_id;

  static OrderKey merchant_order(std::string mchid, std::string out_trade_no) {
    return {OrderNumberType::kMerchantOrder, std::move(mchid), std::move(out_trade_no), {}};
  }
  static OrderKey transaction(std::string transaction_id) {
    return {OrderNumberType::kTransactionId, {}, {}, std::move(transaction_id)};
  }
};

struct Parcel {
  std::string tracking_no;      // required for express delivery
  std::string express_company;  // WeChat's carrier id (get_delivery_list), not Kdniao/Kuaidi100
  std::string item_desc;        // what is in the parcel, required
  // The full phone (digits) or an already masked one; only the masked form is ever sent, and
  // only where kUnverifiedShipping requires it.
  std::string receiver_phone;
};

struct ShippingUpload {
  OrderKey order_key;
  LogisticsType logistics_type = LogisticsType::kExpress;
  DeliveryMode delivery_mode = DeliveryMode::kUnified;
  bool is_all_delivered = true;  // split delivery: does this upload complete the order
  std::vector<Parcel> shipping_list;
  EpochMs upload_time = 0;  // sent as RFC 3339 in utc_offset_minutes
  int utc_offset_minutes = 8 * 60;
  std::string payer_openid;
};

// What we recorded about one payment's uploads. The single place the re-upload rule lives:
// permission() decides, record() updates after every answer (or missing answer).
struct UploadLedger {
  // Uploads that used a chance: those WeChat applied (errcode 0), plus rejected ones if
  // kUnverifiedShipping.rejected_upload_counts.
  int used = 0;
  std::optional<EpochMs> last_upload_time;  // of the last upload sent, whatever its answer
  bool unresolved = false;                  // the last upload may or may not have been applied

  enum class Permission {
    kFirstUpload,
    kLastReupload,  // the one re-upload: only with the final waybill
    kExhausted,     // both chances used: an operator must handle it in WeChat's console
    kUnresolved,    // find out whether the last upload was applied first (resolve())
  };
  Permission permission() const;
};

enum class UploadOutcome {
  kApplied,       // record it; never send the same upload again
  kRefreshToken,  // 40001/42001: rejected before processing; refresh the token, retry once
  kRetryLater,    // rate limited (45011, HTTP 429): rejected; the same upload may be sent later
  kUnknown,       // -1, 5xx, no response, unreadable body: may have been applied. Never resend
                  // blindly; check the order's shipping state (or an operator) first
  kRejected,      // any other errcode or HTTP status: not applied; fix data or configuration
};

struct UploadResult {
  UploadOutcome outcome = UploadOutcome::kUnknown;
  int errcode = 0;
  int http_status = 0;
  std::string message;
};

// The ledger after sending an upload stamped `upload_time` and getting `result`.
UploadLedger record(UploadLedger ledger, EpochMs upload_time, const UploadResult& result);
// After checking an unresolved upload: whether WeChat had applied it.
UploadLedger resolve(UploadLedger ledger, bool was_applied);

// Receiver phone as receiver_contact ("13812345678" -> "138****5678"); an already masked value
// of that shape is kept. nullopt if it is neither.
std::optional<std::string> mask_contact(std::string_view phone);

// POST /wxa/sec/order/upload_shipping_info?access_token=TOKEN. Refused (Invalid) when the
// ledger does not permit an upload, upload_time is not later than the last one, or the body
// breaks a documented rule (split only for express, 1..10 parcels, unified = one parcel,
// tracking numbers unique, contact where required).
Built build_upload_shipping_info(const AppConfig& app, std::string_view access_token,
                                 const ShippingUpload& upload, const UploadLedger& ledger);
UploadResult parse_upload_shipping_info(int http_status, std::string_view body);

// POST /wxa/sec/order/is_trade_managed {"appid"}: whether this service applies at all.
Built build_is_trade_managed(const AppConfig& app, std::string_view access_token);
Result<bool> parse_is_trade_managed(int http_status, std::string_view body);

}  // namespace coldtrack::wechat
