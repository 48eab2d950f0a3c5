// What a customer is told about trouble with their order: one plain Chinese sentence for the
// most serious unresolved anomaly, without staff jargon, thresholds or blame. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coldtrack::anomaly {

struct OpenAnomaly {
  std::string kind, severity, reason;
  std::string evidence;  // the finding's JSON object text
  long long opened_at = 0;
};

struct CustomerNotice {
  std::string kind, severity;
  std::string title;    // "物流更新延迟"
  std::string message;  // "物流已超过26小时未更新，我们已在跟进快递公司。"
};

// The notice for the most severe of `open` (ties: the newest); nullopt when there is none or
// every kind is unknown.
std::optional<CustomerNotice> customer_notice(const std::vector<OpenAnomaly>& open);

}  // namespace coldtrack::anomaly
