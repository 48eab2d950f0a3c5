#include "notify/channels/sms_channel.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "security/crypto.h"

namespace coldtrack::notify {
namespace {

net::HttpRequest to_http(const sms::HttpRequest& r) {
  net::HttpRequest h;
  h.method = r.method;
  h.url = r.url;
  h.body = r.body;
  for (const auto& [name, value] : r.headers) h.headers[name] = value;
  return h;
}

SendReport report(const sms::Disposition& d, std::string why, std::string ref) {
  switch (d.outcome) {
    case sms::Outcome::kSent:
      return {SendStatus::kSent, "", std::move(ref), 0};
    case sms::Outcome::kRateLimited:
      // "defer or drop, never hammer" (sms.md): try once more in an hour.
      return {SendStatus::kRateLimited, std::move(why), {}, 3'600'000};
    case sms::Outcome::kPermanent:
      return {SendStatus::kFailed, std::move(why), {}, 0};
    case sms::Outcome::kRetryable:
      return {SendStatus::kRetry, std::move(why), {}, 0};
    case sms::Outcome::kUncertain:
      return {SendStatus::kUncertain, std::move(why), {}, 0};
  }
  return {SendStatus::kUncertain, std::move(why), {}, 0};
}

// Sends `build()` and, when nothing reached the provider, once more with a fresh build (new
// nonce/time, same OutId/SessionContext), as both providers' retry rules allow.
template <class Build>
std::optional<net::HttpResponse> send_with_transport_retry(net::HttpClient& http, Build build,
                                                           SendReport* failed) {
  for (int attempt = 0;; ++attempt) {
    auto built = build();
    if (auto* bad = std::get_if<sms::BuildError>(&built)) {
      *failed = {SendStatus::kFailed, fmt::format("{}: {}", bad->field, bad->message), {}, 0};
      return std::nullopt;
    }
    auto res = http.send(to_http(std::get<sms::HttpRequest>(built)));
    if (!res.transport_failed()) return res;
    if (res.request_sent) {
      *failed = {SendStatus::kUncertain, "no answer from the SMS provider: " + res.error, {}, 0};
      return std::nullopt;
    }
    if (attempt >= sms::kMaxTransportRetries) {
      *failed = {SendStatus::kRetry, "SMS provider unreachable: " + res.error, {}, 0};
      return std::nullopt;
    }
  }
}

}  // namespace

AliyunSmsChannel::AliyunSmsChannel(sms::aliyun::Config config, std::string template_code,
                                   net::HttpClient& http, LinkMaker link,
                                   std::function<domain::EpochMs()> clock)
    : config_(std::move(config)),
      template_code_(std::move(template_code)),
      http_(http),
      link_(std::move(link)),
      clock_(std::move(clock)) {}

SendReport AliyunSmsChannel::send(const Delivery& d) {
  if (d.phone.empty()) return {SendStatus::kFailed, "the order has no phone number", {}, 0};
  sms::aliyun::Message m;
  m.phone_numbers = {d.phone};
  m.template_code = template_code_;
  m.template_param = boost::json::serialize(boost::json::object{
      {"order_no", d.order_no}, {"status", d.text}, {"link", link_ ? link_(d.order_no) : ""}});
  m.out_id = std::to_string(d.job_id);
  SendReport failed;
  auto res = send_with_transport_retry(
      http_,
      [&] {
        return sms::aliyun::build_send_sms(config_, m, security::random_hex(16), clock_() / 1000);
      },
      &failed);
  if (!res) return failed;
  const auto r = sms::aliyun::parse_send_sms_response(res->status, res->body);
  return report(r.disposition, fmt::format("Aliyun {}: {}", r.code, r.message), r.biz_id);
}

TencentSmsChannel::TencentSmsChannel(sms::tencent::Config config, std::string template_id,
                                     net::HttpClient& http, LinkMaker link,
                                     std::function<domain::EpochMs()> clock)
    : config_(std::move(config)),
      template_id_(std::move(template_id)),
      http_(http),
      link_(std::move(link)),
      clock_(std::move(clock)) {}

SendReport TencentSmsChannel::send(const Delivery& d) {
  if (d.phone.empty()) return {SendStatus::kFailed, "the order has no phone number", {}, 0};
  sms::tencent::Message m;
  m.phone_numbers = {d.phone};
  m.template_id = template_id_;
  m.template_params = {d.order_no, d.text, link_ ? link_(d.order_no) : ""};
  m.session_context = std::to_string(d.job_id);
  // SignatureExpire means Tencent did not process it: re-sign and send once more.
  for (int round = 0; round < 2; ++round) {
    SendReport failed;
    auto res = send_with_transport_retry(
        http_, [&] { return sms::tencent::build_send_sms(config_, m, clock_() / 1000); }, &failed);
    if (!res) return failed;
    const auto r = sms::tencent::parse_send_sms_response(res->status, res->body, m.phone_numbers);
    if (!r.error_code.empty()) {
      auto rep =
          report(r.request, fmt::format("Tencent {}: {}", r.error_code, r.error_message), "");
      if (rep.status == SendStatus::kRetry && round == 0) continue;
      return rep;
    }
    if (r.numbers.empty())
      return {SendStatus::kUncertain, "Tencent answered without a status for the number", {}, 0};
    const auto& n = r.numbers.front();
    return report(n.disposition, fmt::format("Tencent {}: {}", n.code, n.message), n.serial_no);
  }
  return {SendStatus::kRetry, "Tencent signature expired twice", {}, 0};
}

}  // namespace coldtrack::notify
