#include "anomaly/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "carriers/tracking.h"

namespace coldtrack::anomaly {
namespace {

constexpr EpochMs kHour = 3'600'000;

struct KindInfo {
  std::string_view code, label_zh;
};
constexpr std::array<KindInfo, 7> kKinds = {{
    {kNoUpdate, "长时间无物流更新"},
    {kCarrierProblem, "承运商异常"},
    {kStuckAtPickup, "驿站滞留未取"},
    {kLate, "晚于预计送达"},
    {kNotSigned, "派送后未签收"},
    {kNotShipped, "付款后超时未发货"},
    {kTemperature, "温度超标"},
}};

struct SeverityInfo {
  std::string_view code, label_zh;
};
constexpr std::array<SeverityInfo, 4> kSeverities = {{
    {kInfo, "提示"},
    {kWarning, "警告"},
    {kMajor, "严重"},
    {kCritical, "紧急"},
}};

constexpr std::array<std::string_view, 5> kRules = {"no_update_h", "pickup_h", "not_signed_h",
                                                    "late_grace_h", "ship_promise_h"};

EpochMs* rule_field(Thresholds& t, std::string_view rule) {
  if (rule == "no_update_h") return &t.no_update_ms;
  if (rule == "pickup_h") return &t.pickup_ms;
  if (rule == "not_signed_h") return &t.not_signed_ms;
  if (rule == "late_grace_h") return &t.late_grace_ms;
  if (rule == "ship_promise_h") return &t.ship_promise_ms;
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_scope(std::string_view scope) {
  if (scope.empty() || scope.size() > 32) return false;
  return std::all_of(scope.begin(), scope.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Parses the spec into (scope, rule, ms) triples, or an error.
std::optional<std::string> parse(std::string_view spec,
                                 std::vector<std::tuple<std::string, std::string, EpochMs>>& out) {
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    const auto item = trim(spec.substr(start, end - start));
    start = end + 1;
    if (item.empty()) {
      if (end == spec.size()) break;
      continue;
    }
    const auto eq = item.find('=');
    const auto dot = item.rfind('.', eq);
    if (eq == std::string_view::npos || dot == std::string_view::npos || dot > eq)
      return fmt::format("\"{}\": expected <carrier or category>.<rule>=<hours>", item);
    const auto scope = trim(item.substr(0, dot));
    const auto rule = trim(item.substr(dot + 1, eq - dot - 1));
    const auto value = trim(item.substr(eq + 1));
    if (!valid_scope(scope))
      return fmt::format("\"{}\": \"{}\" is not a carrier code or category", item, scope);
    if (std::find(kRules.begin(), kRules.end(), rule) == kRules.end())
      return fmt::format(
          "\"{}\": unknown rule \"{}\" (expected one of no_update_h, pickup_h, "
          "not_signed_h, late_grace_h, ship_promise_h)",
          item, rule);
    double hours = 0;
    const auto* first = value.data();
    const auto* last = value.data() + value.size();
    auto [p, ec] = std::from_chars(first, last, hours);
    if (ec != std::errc() || p != last || !std::isfinite(hours) || hours <= 0 || hours > 8760)
      return fmt::format("\"{}\": hours must be a number above 0 and at most 8760", item);
    out.emplace_back(std::string(scope), std::string(rule),
                     static_cast<EpochMs>(std::llround(hours * static_cast<double>(kHour))));
    if (end == spec.size()) break;
  }
  return std::nullopt;
}

std::string_view escalate(std::string_view severity) {
  if (severity == kInfo) return kWarning;
  if (severity == kWarning) return kMajor;
  return kCritical;
}

bool is_cold(std::string_view temp_class) {
  return temp_class == "frozen" || temp_class == "chilled";
}

// Base severity of a time-limit rule, one level up at twice the limit.
std::string_view timed_severity(std::string_view temp_class, EpochMs elapsed, EpochMs limit) {
  std::string_view s = is_cold(temp_class) ? kMajor : kWarning;
  if (elapsed >= 2 * limit) s = escalate(s);
  return s;
}

double hours(EpochMs ms) {
  return std::round(static_cast<double>(ms) / static_cast<double>(kHour) * 10.0) / 10.0;
}

}  // namespace

const std::vector<std::string>& all_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> v;
    for (const auto& k : kKinds) v.emplace_back(k.code);
    return v;
  }();
  return kinds;
}

const std::vector<std::string>& shipment_kinds() {
  static const std::vector<std::string> kinds = {
      std::string(kNoUpdate), std::string(kCarrierProblem), std::string(kStuckAtPickup),
      std::string(kLate), std::string(kNotSigned)};
  return kinds;
}

std::string_view kind_label_zh(std::string_view kind) {
  for (const auto& k : kKinds)
    if (k.code == kind) return k.label_zh;
  return {};
}

bool is_known_kind(std::string_view kind) {
  return !kind_label_zh(kind).empty();
}

std::string_view reason_label_zh(std::string_view reason) {
  if (auto carrier = carriers::reason_label_zh(reason); !carrier.empty()) return carrier;
  if (reason == "PAST_ETA") return "已超过预计送达时间";
  if (reason == "SHIP_PROMISE_MISSED") return "超过承诺发货时间";
  if (reason == "RETURNING") return "退回中";
  if (reason == "RETURNED") return "已退回";
  return {};
}

bool is_known_severity(std::string_view severity) {
  return !severity_label_zh(severity).empty();
}

std::string_view severity_label_zh(std::string_view severity) {
  for (const auto& s : kSeverities)
    if (s.code == severity) return s.label_zh;
  return {};
}

RuleSet::RuleSet() {
  defaults_["ambient"] = Thresholds{};
  // Frozen food thaws at a pickup point or in a courier's van within hours.
  Thresholds frozen;
  frozen.no_update_ms = 12 * kHour;
  frozen.pickup_ms = 8 * kHour;
  frozen.not_signed_ms = 6 * kHour;
  defaults_["frozen"] = frozen;
  Thresholds chilled;
  chilled.no_update_ms = 12 * kHour;
  chilled.pickup_ms = 12 * kHour;
  chilled.not_signed_ms = 8 * kHour;
  defaults_["chilled"] = chilled;
}

std::optional<std::string> RuleSet::apply_overrides(std::string_view spec) {
  std::vector<std::tuple<std::string, std::string, EpochMs>> items;
  if (auto err = parse(spec, items)) return err;
  for (auto& [scope, rule, ms] : items) overrides_[scope][rule] = ms;
  return std::nullopt;
}

void RuleSet::set_defaults(const std::string& temp_class, const Thresholds& t) {
  defaults_[temp_class] = t;
}

Thresholds RuleSet::resolve(std::string_view carrier, std::string_view temp_class) const {
  auto base = defaults_.find(temp_class);
  Thresholds t = base != defaults_.end() ? base->second : defaults_.at("ambient");
  for (auto rule : kRules) {
    std::optional<EpochMs> chosen;
    for (auto scope : {temp_class, carrier}) {
      auto s = overrides_.find(scope);
      if (s == overrides_.end()) continue;
      auto r = s->second.find(std::string(rule));
      if (r == s->second.end()) continue;
      chosen = chosen ? std::min(*chosen, r->second) : r->second;
    }
    if (chosen) *rule_field(t, rule) = *chosen;
  }
  return t;
}

std::optional<std::string> check_overrides(std::string_view spec) {
  std::vector<std::tuple<std::string, std::string, EpochMs>> items;
  return parse(spec, items);
}

std::vector<Finding> evaluate_shipment(const ShipmentFacts& f, const Thresholds& t, EpochMs now) {
  std::vector<Finding> out;
  const bool terminal = f.status == "DELIVERED" || f.status == "RETURNED";
  const bool cold = is_cold(f.temp_class);

  // Carrier problem states: what the carrier itself reports as trouble.
  if (f.status == "EXCEPTION" || f.status == "RETURNING" || f.status == "RETURNED") {
    const std::string reason =
        f.status == "EXCEPTION" ? (f.reason.empty() ? "OTHER" : f.reason) : f.status;
    std::string_view severity = kWarning;
    if (reason == "LOST" || reason == "DAMAGED") {
      severity = kCritical;
    } else if (reason == "REJECTED" || reason == "RETURNING" || reason == "RETURNED" ||
               reason == "UNREACHABLE" || reason == "PICKUP_OVERDUE") {
      severity = kMajor;
    }
    if (cold && severity != kCritical) severity = escalate(severity);
    out.push_back({std::string(kCarrierProblem), std::string(severity), reason,
                   fmt::format(R"({{"status":"{}","reason":"{}","status_at":{}}})", f.status,
                               f.reason, f.status_at ? std::to_string(*f.status_at) : "null")});
  }
  if (terminal) return out;

  // No update: measured from the newest carrier event (or the hand-over when the carrier has
  // none). A carrier clock ahead of ours is bounded by when we received that event.
  {
    const bool no_trace = !f.tracked || !f.last_event_at || f.status == "NO_INFO";
    EpochMs since = no_trace ? f.shipped_at : std::min(*f.last_event_at, now);
    if (!no_trace && f.received_at) since = std::min(since, *f.received_at);
    const EpochMs silent = now - since;
    if (silent >= t.no_update_ms && f.status != "EXCEPTION") {
      out.push_back({std::string(kNoUpdate),
                     std::string(timed_severity(f.temp_class, silent, t.no_update_ms)),
                     no_trace ? "NO_TRACE" : "NO_UPDATE",
                     fmt::format(R"({{"since":{},"silent_hours":{},"limit_hours":{}}})", since,
                                 hours(silent), hours(t.no_update_ms))});
    }
  }
  if (f.status == "AT_PICKUP_POINT" && f.status_at) {
    const EpochMs waited = now - std::min(*f.status_at, now);
    if (waited >= t.pickup_ms)
      out.push_back({std::string(kStuckAtPickup),
                     std::string(timed_severity(f.temp_class, waited, t.pickup_ms)),
                     "PICKUP_OVERDUE",
                     fmt::format(R"({{"since":{},"waiting_hours":{},"limit_hours":{}}})",
                                 *f.status_at, hours(waited), hours(t.pickup_ms))});
  }
  if (f.status == "OUT_FOR_DELIVERY" && f.status_at) {
    const EpochMs out_for = now - std::min(*f.status_at, now);
    if (out_for >= t.not_signed_ms)
      out.push_back({std::string(kNotSigned),
                     std::string(timed_severity(f.temp_class, out_for, t.not_signed_ms)),
                     "NOT_SIGNED_TIMEOUT",
                     fmt::format(R"({{"since":{},"out_for_delivery_hours":{},"limit_hours":{}}})",
                                 *f.status_at, hours(out_for), hours(t.not_signed_ms))});
  }
  if (f.eta_latest && now >= *f.eta_latest + t.late_grace_ms) {
    const EpochMs late_by = now - *f.eta_latest;
    out.push_back({std::string(kLate), std::string(cold ? kMajor : kWarning), "PAST_ETA",
                   fmt::format(R"({{"eta_latest":{},"late_hours":{},"grace_hours":{}}})",
                               *f.eta_latest, hours(late_by), hours(t.late_grace_ms))});
  }
  return out;
}

std::optional<Finding> evaluate_unshipped(EpochMs paid_at, const Thresholds& t, EpochMs now) {
  const EpochMs waited = now - paid_at;
  if (waited < t.ship_promise_ms) return std::nullopt;
  return Finding{std::string(kNotShipped),
                 std::string(waited >= 2 * t.ship_promise_ms ? kMajor : kWarning),
                 "SHIP_PROMISE_MISSED",
                 fmt::format(R"({{"paid_at":{},"waiting_hours":{},"promise_hours":{}}})", paid_at,
                             hours(waited), hours(t.ship_promise_ms))};
}

}  // namespace coldtrack::anomaly
