#include "wechat/api_client.h"

#include <spdlog/spdlog.h>

namespace coldtrack::wechat {
namespace {

net::HttpRequest to_http(const Request& r, std::chrono::milliseconds timeout) {
  net::HttpRequest h;
  h.method = r.method;
  h.url = r.url;
  h.body = r.body;
  if (!r.content_type.empty()) h.headers["Content-Type"] = r.content_type;
  h.timeout = timeout;
  return h;
}

ApiError invalid_input(const Invalid& bad) {
  return ApiError{ErrorKind::kInvalidData, 0, 0, bad.field + " " + bad.reason};
}

}  // namespace

ApiClient::ApiClient(AppConfig app, net::HttpClient& http, std::function<EpochMs()> clock,
                     std::chrono::milliseconds timeout)
    : app_(std::move(app)),
      http_(http),
      clock_(clock),
      timeout_(timeout),
      tokens_(
          [this](bool force) -> Result<AccessToken> {
            auto built = build_stable_token(app_, force);
            if (auto* bad = std::get_if<Invalid>(&built)) return invalid_input(*bad);
            const auto res = post(std::get<Request>(built));
            return parse_stable_token(res.status, res.body);
          },
          clock) {}

net::HttpResponse ApiClient::post(const Request& r) {
  auto res = http_.send(to_http(r, timeout_));
  if (res.transport_failed()) spdlog::warn("wechat {} failed: {}", r.log_url, res.error);
  return res;
}

Answer<SendReceipt> ApiClient::send_subscribe(const SubscribeMessage& message) {
  bool reached = false;
  auto result = tokens_.with_token<Result<SendReceipt>>(
      [&](const std::string& token) -> Result<SendReceipt> {
        auto built = build_subscribe_send(app_, token, message);
        if (auto* bad = std::get_if<Invalid>(&built)) return invalid_input(*bad);
        const auto res = post(std::get<Request>(built));
        reached = reached || !res.transport_failed() || res.request_sent;
        return parse_subscribe_send(res.status, res.body);
      },
      [](const Result<SendReceipt>& r) {
        const auto* e = std::get_if<ApiError>(&r);
        return e && e->kind == ErrorKind::kTokenInvalid;
      },
      [](const ApiError& e) -> Result<SendReceipt> { return e; });
  return {std::move(result), reached};
}

Answer<std::string> ApiClient::generate_urllink(const UrlLinkSpec& spec) {
  bool reached = false;
  auto result = tokens_.with_token<Result<std::string>>(
      [&](const std::string& token) -> Result<std::string> {
        auto built = build_generate_urllink(app_, token, spec, clock_());
        if (auto* bad = std::get_if<Invalid>(&built)) return invalid_input(*bad);
        const auto res = post(std::get<Request>(built));
        reached = reached || !res.transport_failed() || res.request_sent;
        return parse_generate_urllink(res.status, res.body);
      },
      [](const Result<std::string>& r) {
        const auto* e = std::get_if<ApiError>(&r);
        return e && e->kind == ErrorKind::kTokenInvalid;
      },
      [](const ApiError& e) -> Result<std::string> { return e; });
  return {std::move(result), reached};
}

ApiClient::UploadAnswer ApiClient::upload_shipping(const ShippingUpload& upload,
                                                   const UploadLedger& ledger) {
  UploadAnswer out;
  out.reached = false;
  out.result = tokens_.with_token<UploadResult>(
      [&](const std::string& token) -> UploadResult {
        auto built = build_upload_shipping_info(app_, token, upload, ledger);
        if (auto* bad = std::get_if<Invalid>(&built)) {
          out.refused = bad->field + " " + bad->reason;
          return UploadResult{UploadOutcome::kRejected, 0, 0, out.refused};
        }
        const auto res = post(std::get<Request>(built));
        out.reached = out.reached || !res.transport_failed() || res.request_sent;
        return parse_upload_shipping_info(res.status, res.body);
      },
      [](const UploadResult& r) { return r.outcome == UploadOutcome::kRefreshToken; },
      [](const ApiError& e) {
        return UploadResult{UploadOutcome::kRetryLater, e.errcode, e.http_status, e.message};
      });
  return out;
}

}  // namespace coldtrack::wechat
