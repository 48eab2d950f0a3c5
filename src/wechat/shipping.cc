#include "wechat/shipping.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "domain/time.h"

namespace coldtrack::wechat {
namespace {

namespace json = boost::json;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool contact_required(std::string_view express_company) {
  const auto& list = kUnverifiedShipping.contact_required_for;
  return std::find(list.begin(), list.end(), express_company) != list.end();
}

std::string parcel_field(std::size_t i, std::string_view name) {
  return "shipping_list[" + std::to_string(i) + "]." + std::string(name);
}

}  // namespace

UploadLedger::Permission UploadLedger::permission() const {
  if (unresolved) return Permission::kUnresolved;
  if (used <= 0) return Permission::kFirstUpload;
  if (used < kMaxUploadsPerPayment) return Permission::kLastReupload;
  return Permission::kExhausted;
}

UploadLedger record(UploadLedger ledger, EpochMs upload_time, const UploadResult& result) {
  switch (result.outcome) {
    case UploadOutcome::kApplied:
      ++ledger.used;
      ledger.unresolved = false;
      ledger.last_upload_time = upload_time;
      break;
    case UploadOutcome::kUnknown:
      ledger.unresolved = true;
      ledger.last_upload_time = upload_time;
      break;
    case UploadOutcome::kRejected:
      if (kUnverifiedShipping.rejected_upload_counts) {
        ++ledger.used;
        ledger.last_upload_time = upload_time;
      }
      break;
    case UploadOutcome::kRefreshToken:
    case UploadOutcome::kRetryLater:
      break;  // refused before processing: the same upload may be sent again
  }
  return ledger;
}

UploadLedger resolve(UploadLedger ledger, bool was_applied) {
  if (!ledger.unresolved) return ledger;
  ledger.unresolved = false;
  if (was_applied) ++ledger.used;
  return ledger;
}

std::optional<std::string> mask_contact(std::string_view phone) {
  const auto& r = kUnverifiedShipping;
  const std::size_t keep = r.contact_keep_head + r.contact_keep_tail;
  if (all_digits(phone) && phone.size() > keep) {
    std::string out(phone.substr(0, r.contact_keep_head));
    out += r.contact_mask;
    out += phone.substr(phone.size() - r.contact_keep_tail);
    return out;
  }
  if (phone.size() == keep + r.contact_mask.size() &&
      all_digits(phone.substr(0, r.contact_keep_head)) &&
      phone.substr(r.contact_keep_head, r.contact_mask.size()) == r.contact_mask &&
      all_digits(phone.substr(phone.size() - r.contact_keep_tail)))
    return std::string(phone);
  return std::nullopt;
}

Built build_upload_shipping_info(const AppConfig& app, std::string_view access_token,
                                 const ShippingUpload& upload, const UploadLedger& ledger) {
  switch (ledger.permission()) {
    case UploadLedger::Permission::kUnresolved:
      return Invalid{"order_key", "the previous upload's outcome is unknown: check it first"};
    case UploadLedger::Permission::kExhausted:
      return Invalid{"order_key", "the payment's one re-upload is already used"};
    case UploadLedger::Permission::kFirstUpload:
    case UploadLedger::Permission::kLastReupload:
      break;
  }
  if (ledger.last_upload_time && upload.upload_time <= *ledger.last_upload_time)
    return Invalid{"upload_time", "must be later than the previous upload"};

  json::object key;
  key["order_number_type"] = static_cast<int>(upload.order_key.type);
  if (upload.order_key.type == OrderNumberType::kMerchantOrder) {
    if (upload.order_key.mchid.empty()) return Invalid{"order_key.mchid", "empty"};
    if (upload.order_key.out_trade_no.empty()) return Invalid{"order_key.out_trade_no", "empty"};
    key["mchid"] = upload.order_key.mchid;
    key["out_trade_no"] = upload.order_key.out_trade_no;
  } else {
    if (upload.order_key.transaction_id.empty())
      return Invalid{"order_key.transaction_id", "empty"};
    key["transaction_id"] = upload.order_key.transaction_id;
  }
  if (upload.payer_openid.empty()) return Invalid{"payer.openid", "empty"};

  const bool express = upload.logistics_type == LogisticsType::kExpress;
  const bool split = upload.delivery_mode == DeliveryMode::kSplit;
  const std::size_t n = upload.shipping_list.size();
  if (split && !express) return Invalid{"delivery_mode", "split delivery is only for express"};
  if (n == 0) return Invalid{"shipping_list", "empty"};
  if (n > kMaxParcels) return Invalid{"shipping_list", "more than 10 parcels"};
  if (!split && n != 1) return Invalid{"shipping_list", "unified delivery takes one parcel"};

  json::array list;
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const Parcel& p = upload.shipping_list[i];
    if (express && p.tracking_no.empty()) return Invalid{parcel_field(i, "tracking_no"), "empty"};
    if (express && p.express_company.empty())
      return Invalid{parcel_field(i, "express_company"), "empty"};
    if (!p.tracking_no.empty() && !seen.insert(p.tracking_no).second)
      return Invalid{parcel_field(i, "tracking_no"), "duplicate"};
    if (p.item_desc.empty()) return Invalid{parcel_field(i, "item_desc"), "empty"};
    json::object item;
    if (!p.tracking_no.empty()) item["tracking_no"] = p.tracking_no;
    if (!p.express_company.empty()) item["express_company"] = p.express_company;
    item["item_desc"] = p.item_desc;
    if (contact_required(p.express_company)) {
      auto masked = mask_contact(p.receiver_phone);
      if (!masked)
        return Invalid{parcel_field(i, "contact.receiver_contact"),
                       "a receiver phone is required for this carrier"};
      json::object contact;
      contact["receiver_contact"] = *masked;
      item["contact"] = std::move(contact);
    }
    list.push_back(std::move(item));
  }

  json::object body;
  body["order_key"] = std::move(key);
  body["logistics_type"] = static_cast<int>(upload.logistics_type);
  body["delivery_mode"] = static_cast<int>(upload.delivery_mode);
  body["is_all_delivered"] = split ? upload.is_all_delivered : true;
  body["shipping_list"] = std::move(list);
  body["upload_time"] = domain::format_rfc3339(upload.upload_time, upload.utc_offset_minutes);
  json::object payer;
  payer["openid"] = upload.payer_openid;
  body["payer"] = std::move(payer);
  return build_token_post(app, "/wxa/sec/order/upload_shipping_info", access_token,
                          json::serialize(body));
}

UploadResult parse_upload_shipping_info(int http_status, std::string_view body) {
  UploadResult r;
  r.http_status = http_status;
  auto err = reply_error(http_status, body, true);
  if (!err) {
    r.outcome = UploadOutcome::kApplied;
    return r;
  }
  r.errcode = err->errcode;
  r.message = std::move(err->message);
  switch (err->kind) {
    case ErrorKind::kTokenInvalid:
      r.outcome = UploadOutcome::kRefreshToken;
      break;
    case ErrorKind::kRateLimited:
      r.outcome = UploadOutcome::kRetryLater;
      break;
    case ErrorKind::kRetryable:
      r.outcome = UploadOutcome::kUnknown;
      break;
    default:
      r.outcome = UploadOutcome::kRejected;
      break;
  }
  return r;
}

Built build_is_trade_managed(const AppConfig& app, std::string_view access_token) {
  if (app.appid.empty()) return Invalid{"appid", "empty"};
  json::object body;
  body["appid"] = app.appid;
  return build_token_post(app, "/wxa/sec/order/is_trade_managed", access_token,
                          json::serialize(body));
}

Result<bool> parse_is_trade_managed(int http_status, std::string_view body) {
  if (auto err = reply_error(http_status, body, true)) return std::move(*err);
  std::error_code ec;
  const json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  const json::value* flag = ec ? nullptr : v.as_object().if_contains("is_trade_managed");
  if (flag && flag->is_int64() && (flag->get_int64() == 0 || flag->get_int64() == 1))
    return flag->get_int64() == 1;
  if (flag && flag->is_bool()) return flag->get_bool();
  return ApiError{ErrorKind::kRetryable, 0, http_status,
                  "malformed response: is_trade_managed is not 0 or 1"};
}

}  // namespace coldtrack::wechat
