#include "carriers/tracking.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>

namespace coldtrack::carriers {
namespace {

struct StatusInfo {
  TrackingStatus status;
  std::string_view code;
  std::string_view label_zh;
  bool terminal;
};

// carrier-codes.md §2, in enum order.
constexpr std::array<StatusInfo, 11> kStatuses{{
    {TrackingStatus::kNoInfo, "NO_INFO", "暂无轨迹", false},
    {TrackingStatus::kAwaitingPickup, "AWAITING_PICKUP", "待揽收", false},
    {TrackingStatus::kPickedUp, "PICKED_UP", "已揽收", false},
    {TrackingStatus::kInTransit, "IN_TRANSIT", "运输中", false},
    {TrackingStatus::kOutForDelivery, "OUT_FOR_DELIVERY", "派送中", false},
    {TrackingStatus::kAtPickupPoint, "AT_PICKUP_POINT", "待取件", false},
    {TrackingStatus::kDelivered, "DELIVERED", "已签收", true},
    {TrackingStatus::kException, "EXCEPTION", "异常", false},
    {TrackingStatus::kReturning, "RETURNING", "退回中", false},
    {TrackingStatus::kReturned, "RETURNED", "已退回", true},
    {TrackingStatus::kCustoms, "CUSTOMS", "清关中", false},
}};

struct ReasonInfo {
  std::string_view code;
  std::string_view label_zh;
};

// carrier-codes.md §2 reason codes.
constexpr std::array<ReasonInfo, 19> kReasons{{
    {"NO_TRACE", "发货无轨迹"},
    {"NO_UPDATE", "长时间未更新"},
    {"NOT_SIGNED_TIMEOUT", "超时未签收"},
    {"PICKUP_OVERDUE", "超时未取"},
    {"REJECTED", "拒收"},
    {"DELIVERY_FAILED", "派送失败"},
    {"UNREACHABLE", "联系不上收件人"},
    {"ADDRESS_PROBLEM", "地址异常"},
    {"DAMAGED", "破损"},
    {"LOST", "丢失"},
    {"DELAYED", "延误"},
    {"HELD", "扣留"},
    {"REDIRECTED", "拦截改址"},
    {"CANCELLED", "已取消"},
    {"COLLECTION_FAILED", "揽收失败"},
    {"MISSORTED", "错分"},
    {"CUSTOMS_PROBLEM", "清关异常"},
    {"OTHER", "其他异常"},
    {"FORWARDED", "转寄"},
}};

const StatusInfo* find_status(TrackingStatus s) {
  for (const auto& info : kStatuses) {
    if (info.status == s) return &info;
  }
  return nullptr;
}

const ReasonInfo* find_reason(std::string_view code) {
  for (const auto& info : kReasons) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

constexpr EpochMs kChinaOffsetMs = 8LL * 3600 * 1000;

// "yyyy-MM-dd HH:mm[:ss]" or "yyyy/MM/dd HH:mm[:ss]" (also 'T' as separator), China time.
std::optional<EpochMs> parse_china_local(std::string_view s) {
  if (s.size() != 16 && s.size() != 19) return std::nullopt;
  const char sep = s[4];
  if (sep != '-' && sep != '/') return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, 0, 4, y) || !read_digits(s, 5, 2, mo) || s[7] != sep ||
      !read_digits(s, 8, 2, d))
    return std::nullopt;
  if (s[10] != ' ' && s[10] != 'T') return std::nullopt;
  if (!read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi)) return std::nullopt;
  if (s.size() == 19 && (s[16] != ':' || !read_digits(s, 17, 2, sec))) return std::nullopt;
  if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const EpochMs day_ms = duration_cast<milliseconds>(sys_days{ymd}.time_since_epoch()).count();
  return day_ms + ((h * 60LL + mi) * 60 + sec) * 1000 - kChinaOffsetMs;
}

}  // namespace

std::string_view to_string(TrackingStatus s) {
  const auto* info = find_status(s);
  return info ? info->code : std::string_view{"NO_INFO"};
}

std::string_view label_zh(TrackingStatus s) {
  const auto* info = find_status(s);
  return info ? info->label_zh : std::string_view{"暂无轨迹"};
}

std::optional<TrackingStatus> parse_tracking_status(std::string_view s) {
  for (const auto& info : kStatuses) {
    if (info.code == s) return info.status;
  }
  return std::nullopt;
}

bool is_terminal(TrackingStatus s) {
  const auto* info = find_status(s);
  return info != nullptr && info->terminal;
}

bool is_known_reason(std::string_view reason) {
  return find_reason(reason) != nullptr;
}

std::string_view reason_label_zh(std::string_view reason) {
  const auto* info = find_reason(reason);
  return info ? info->label_zh : std::string_view{};
}

std::optional<EpochMs> newest_trace_time(const Snapshot& s) {
  if (s.traces.empty()) return std::nullopt;
  EpochMs newest = s.traces.front().time;
  for (const auto& t : s.traces) newest = std::max(newest, t.time);
  return newest;
}

bool supersedes(const Snapshot& candidate, const Snapshot& current) {
  const auto cand = newest_trace_time(candidate);
  if (!cand) return false;  // no traces: never replaces anything
  const auto cur = newest_trace_time(current);
  if (!cur) return true;  // traces beat no traces
  if (*cand != *cur) return *cand > *cur;
  return candidate.traces.size() > current.traces.size();
}

void normalize_traces(std::vector<Trace>& traces) {
  // Stable: traces with the same time keep the carrier's order.
  std::stable_sort(traces.begin(), traces.end(),
                   [](const Trace& a, const Trace& b) { return a.time < b.time; });
  std::vector<Trace> out;
  out.reserve(traces.size());
  std::size_t group_start = 0;  // first index in `out` with the current time
  for (auto& t : traces) {
    if (!out.empty() && out.back().time != t.time) group_start = out.size();
    const auto dup = std::find_if(out.begin() + static_cast<std::ptrdiff_t>(group_start), out.end(),
                                  [&](const Trace& o) { return o.description == t.description; });
    if (dup == out.end()) {
      out.push_back(std::move(t));
      continue;
    }
    // Same event reported twice: keep the first, but do not lose what only the copy has.
    if (dup->location.empty()) dup->location = std::move(t.location);
    if (dup->raw_code.empty()) dup->raw_code = std::move(t.raw_code);
  }
  traces = std::move(out);
}

std::optional<EpochMs> parse_carrier_time(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  if (auto local = parse_china_local(s)) return local;
  return domain::parse_rfc3339(s);  // requires an explicit offset
}

}  // namespace coldtrack::carriers
