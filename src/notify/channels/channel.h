// A way to reach people: WeChat subscribe messages, SMS, the staff webhook. Each adapter speaks
// one provider's protocol over HTTP and reports what became of one message in the terms the
// notification worker acts on. Blocking: called on the worker pool.
#pragma once

#include <cstdint>
#include <string>

#include "domain/time.h"

namespace coldtrack::notify {

// One message to deliver, already worded.
struct Delivery {
  std::int64_t job_id = 0;  // our notification id: OutId / SessionContext for reconciliation
  std::string order_no;
  std::string recipient;   // WeChat: the openid
  std::string phone;       // SMS: normalized mainland mobile ("" when unknown)
  std::string text;        // ≤ 20 code points for customers; staff text may be longer
  std::string status;      // status phrase (≤ 5 Chinese characters), customers only
  domain::EpochMs at = 0;  // when it happened
  int attempt = 1;
};

enum class SendStatus {
  kSent,
  kRetry,        // nothing was delivered and trying again later is safe (backoff)
  kRateLimited,  // the provider asks us to slow down: retry after retry_after_ms
  kRefused,      // this channel cannot deliver it (no subscription left, invalid user or data):
                 // carry on with the next channel
  kFailed,       // permanent (configuration, invalid number): dead letter, an operator looks
  kUncertain,    // the provider may have delivered it; never re-sent automatically
};

struct SendReport {
  SendStatus status = SendStatus::kUncertain;
  std::string detail;        // why, for the notification record (never secrets)
  std::string provider_ref;  // msgid / BizId / SerialNo
  domain::EpochMs retry_after_ms = 0;
};

class Sender {
 public:
  virtual ~Sender() = default;
  virtual SendReport send(const Delivery& d) = 0;
};

}  // namespace coldtrack::notify
