// The simulator playing the SMS gateways (protocols/sms.md Part C): Aliyun SendSms (RPC style,
// signature v1) and Tencent Cloud SendSms (API 3.0, TC3-HMAC-SHA256), verified with the product's
// own protocol code (notify/sms/aliyun.h, tencent.h) so a signing bug shows on both sides.
//
// Aliyun (GET query or POST form, decoded once): AccessKeyId known, Signature, Timestamp within
// kAliyunTimestampWindowS, SignatureNonce not seen before, Action/Version/SignatureMethod, the
// business parameters, every number a mainland mobile, TemplateParam a JSON object without URLs,
// then at most kAliyunDailyLimit accepted messages per sign + template + number in any rolling
// 24 h. Gateway refusals are HTTP 4xx with {"RequestId","HostId","Code","Message","Recommend"};
// business refusals HTTP 200 with {"RequestId","Code","Message"}; success HTTP 200 with
// {"Message":"OK","RequestId","BizId","Code":"OK"}. The answer is always JSON (Format=XML too).
//
// Tencent (POST JSON): X-TC-Action/Version/Region/Timestamp, the Authorization recomputed over
// the exact Content-Type, Host and body received, the timestamp within 5 minutes (sms.md B.2),
// SmsSdkAppId known; then one SendStatusSet entry per number: invalid numbers and numbers over
// kTencentDailyLimit fail on their own, the others are sent. Every answer is HTTP 200.
//
// Accepted messages are recorded per number, in order. Faults apply to the next requests of a
// provider that pass authentication (see Fault). Thread-safe.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace coldtrack::sim {

class SmsGateway {
 public:
  // Unix milliseconds (wall clock: both protocols sign the real time); default system_clock.
  using Clock = std::function<std::int64_t()>;

  // (unverified) sms.md does not give Aliyun's timestamp tolerance; 15 minutes is Aliyun's
  // public RPC gateway rule. The one place this is decided.
  static constexpr std::int64_t kAliyunTimestampWindowS = 15 * 60;
  // sms.md A.5: notifications, same sign + template + number, rolling 24 h.
  static constexpr int kAliyunDailyLimit = 50;
  // (unverified) Aliyun's public API reference: at most 1000 numbers per request.
  static constexpr std::size_t kAliyunMaxNumbers = 1000;
  // sms.md B.2: "more than 5 minutes" from Tencent's clock.
  static constexpr std::int64_t kTencentTimestampWindowS = 5 * 60;
  // (unverified) sms.md names LimitExceeded.PhoneNumberDailyLimit but not the number; 10 per
  // number per SmsSdkAppId (rolling 24 h) is Tencent's default frequency policy.
  static constexpr int kTencentDailyLimit = 10;

  enum class Provider { kAliyun = 0, kTencent = 1 };
  enum class Fault {
    kRateLimit,        // Aliyun isv.BUSINESS_LIMIT_CONTROL; Tencent every number
                       // LimitExceeded.PhoneNumberDailyLimit
    kPermanent,        // Aliyun isv.MOBILE_NUMBER_ILLEGAL; Tencent every number
                       // InvalidParameterValue.IncorrectPhoneNumber
    kInternalError,    // Aliyun HTTP 503 without a Code; Tencent Error InternalError (ambiguous)
    kSignatureExpire,  // Tencent only: AuthFailure.SignatureExpire (nothing sent)
    kTimeout,          // Answer::hold, then HTTP 504 with an empty body; nothing sent
  };

  struct Keys {
    std::string aliyun_access_key_id, aliyun_access_key_secret;
    std::string tencent_secret_id, tencent_secret_key, tencent_sms_sdk_app_id;
  };

  struct Answer {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    bool hold = false;  // the timeout fault: the caller holds the answer, then sends it (504)
  };

  // One accepted message, per number.
  struct Message {
    Provider provider = Provider::kAliyun;
    std::string phone;      // Aliyun: as sent; Tencent: as sent (E.164 from the product)
    std::string sign_name;  // UTF-8
    std::string template_id;
    std::string params;      // Aliyun: TemplateParam (JSON object text); Tencent: JSON array
    std::string reference;   // Aliyun OutId / Tencent SessionContext ("" when absent)
    std::string id;          // Aliyun BizId / Tencent SerialNo
    std::string request_id;  // RequestId of the answer
    std::int64_t received_at_ms = 0;
  };

  explicit SmsGateway(Keys keys, Clock clock = {});

  // GET or POST /aliyun-sms/: `raw_query` without '?', `body` the form (POST).
  Answer aliyun(std::string_view method, std::string_view raw_query, std::string_view body);
  // POST /tencent-sms/: `path` as received (it is signed as the canonical URI), `headers` keyed
  // by lowercase name.
  Answer tencent(std::string_view path, const std::map<std::string, std::string>& headers,
                 std::string_view body);

  // The next `count` authenticated requests to `provider` fail with `fault`. False when the
  // fault does not apply to the provider (signature_expire is Tencent's).
  bool add_fault(Provider provider, Fault fault, int count);
  int pending_faults(Provider provider) const;

  std::vector<Message> messages() const;
  // {"messages":[{"provider":"aliyun","phone","sign_name","template_code","template_param":{..},
  //   "out_id","biz_id","request_id","received_at_ms"} | {"provider":"tencent","phone",
  //   "sign_name","template_id","template_params":[..],"session_context","serial_no",
  //   "request_id","received_at_ms"}, ...]}
  std::string messages_json() const;

  // Forgets messages, limits, nonces and faults.
  void reset();

 private:
  struct QueuedFault {
    Fault fault;
    int remaining;
  };
  std::int64_t now_ms() const;
  // Takes one queued fault of `p`, if any.
  bool take_fault_locked(Provider p, Fault* fault);
  // Accepted sends to `key` in the last 24 h (prunes older ones).
  int recent_locked(const std::string& key, std::int64_t now);
  Answer aliyun_params(std::string_view method, std::map<std::string, std::string> params);

  Keys keys_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> nonces_;            // AccessKeyId + nonce -> seen (ms)
  std::map<std::string, std::deque<std::int64_t>> sent_;  // limit key -> accept times (ms)
  std::array<std::deque<QueuedFault>, 2> faults_;
  std::vector<Message> messages_;
  std::uint64_t next_id_ = 1;
};

std::string_view to_string(SmsGateway::Provider p);

}  // namespace coldtrack::sim
