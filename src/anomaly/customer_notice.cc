#include "anomaly/customer_notice.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "anomaly/rules.h"

namespace coldtrack::anomaly {
namespace {

int rank(std::string_view severity) {
  if (severity == kCritical) return 3;
  if (severity == kMajor) return 2;
  if (severity == kWarning) return 1;
  return 0;
}

// Whole hours from the evidence (rounded down, at least 1), or 0 when absent.
int evidence_hours(const std::string& evidence, std::string_view field) {
  boost::system::error_code ec;
  auto v = boost::json::parse(evidence, ec);
  if (ec || !v.is_object()) return 0;
  const auto* f = v.as_object().if_contains(field);
  if (!f || !f->is_number()) return 0;
  const double h = f->to_number<double>();
  return h < 1 ? 1 : static_cast<int>(h);
}

std::string hours_text(int h) {
  if (h <= 0) return "较长时间";
  if (h >= 48) return fmt::format("{}天", h / 24);
  return fmt::format("{}小时", h);
}

std::optional<CustomerNotice> notice_for(const OpenAnomaly& a) {
  CustomerNotice n{a.kind, a.severity, {}, {}};
  if (a.kind == kNoUpdate) {
    n.title = "物流更新延迟";
    n.message = a.reason == "NO_TRACE"
                    ? "快递公司暂未返回揽收信息，我们已在跟进。"
                    : fmt::format("物流已超过{}未更新，我们已在跟进快递公司。",
                                  hours_text(evidence_hours(a.evidence, "silent_hours")));
  } else if (a.kind == kCarrierProblem) {
    n.title = "配送异常";
    const auto label = reason_label_zh(a.reason);
    if (a.reason == "RETURNING" || a.reason == "RETURNED") {
      n.message = "包裹正在退回，我们会尽快与您联系处理。";
    } else if (label.empty() || a.reason == "OTHER") {
      n.message = "快递公司反馈配送遇到问题，我们已在处理，会尽快与您联系。";
    } else {
      n.message = fmt::format("快递公司反馈：{}。我们已在处理，会尽快与您联系。", label);
    }
  } else if (a.kind == kStuckAtPickup) {
    n.title = "包裹待取件";
    n.message = fmt::format("包裹已在自提点等待{}，冷冻食品请尽快取件。",
                            hours_text(evidence_hours(a.evidence, "waiting_hours")));
  } else if (a.kind == kNotSigned) {
    n.title = "派送时间较长";
    n.message = fmt::format("包裹派送已超过{}仍未签收，我们已在联系快递员。",
                            hours_text(evidence_hours(a.evidence, "out_for_delivery_hours")));
  } else if (a.kind == kLate) {
    n.title = "晚于预计送达";
    n.message = fmt::format("包裹比预计送达时间晚了约{}，我们已在跟进。",
                            hours_text(evidence_hours(a.evidence, "late_hours")));
  } else if (a.kind == kNotShipped) {
    n.title = "发货延迟";
    n.message = "订单付款后尚未按时发货，商家正在加紧处理。";
  } else if (a.kind == kTemperature) {
    n.title = "冷链温度异常";
    n.message = "运输途中温度曾超出冷链标准，我们正在核实商品状态，如有影响会为您处理。";
  } else {
    return std::nullopt;
  }
  return n;
}

}  // namespace

std::optional<CustomerNotice> customer_notice(const std::vector<OpenAnomaly>& open) {
  const OpenAnomaly* chosen = nullptr;
  for (const auto& a : open) {
    if (!is_known_kind(a.kind)) continue;
    if (!chosen || rank(a.severity) > rank(chosen->severity) ||
        (rank(a.severity) == rank(chosen->severity) && a.opened_at > chosen->opened_at))
      chosen = &a;
  }
  if (!chosen) return std::nullopt;
  return notice_for(*chosen);
}

}  // namespace coldtrack::anomaly
