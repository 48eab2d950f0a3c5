#include "eta/eta.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace coldtrack::eta {
namespace {

using domain::floor_div;

constexpr EpochMs kMinuteMs = 60'000;
constexpr EpochMs kHourMs = 60 * kMinuteMs;
constexpr EpochMs kDayMs = 24 * kHourMs;

// Out-for-delivery -> delivered when nothing has been learned yet: median 3 h, 1-8 h.
constexpr double kDefaultOfdLo = 60, kDefaultOfdMedian = 180, kDefaultOfdHi = 480;

// UTC instant of the local midnight that starts t's local day.
EpochMs local_day_start(EpochMs t, const Options& o) {
  const EpochMs off = static_cast<EpochMs>(o.utc_offset_minutes) * kMinuteMs;
  return floor_div(t + off, kDayMs) * kDayMs - off;
}

EpochMs minutes_ms(double minutes) {
  return static_cast<EpochMs>(std::llround(minutes * 60'000));
}

std::string key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (std::string_view p : parts) {
    k.append(p);
    k.push_back('\x1f');  // unit separator: cannot occur in city or carrier names
  }
  return k;
}

std::string lane_key(const Lane& l) {
  return key({l.origin_city, l.dest_city, l.carrier, l.service});
}
std::string origin_key(const Lane& l) {
  return key({l.origin_city, l.carrier, l.service});
}
std::string ofd_lane_key(const Lane& l) {
  return key({l.dest_city, l.carrier});
}

const Histogram* find(const std::unordered_map<std::string, Histogram>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

bool is_terminal(std::string_view status) {
  return status == "DELIVERED" || status == "RETURNED" || status == "RETURNING";
}

std::string fmt1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// The fewest samples slower than the elapsed time that still make a conditional estimate.
double min_remaining(const Options& o) {
  return std::max(1, o.min_lane_samples / 4);
}

// Fewer samples, less trust: n / (n + 2) of the nominal coverage.
double shrink(double n) {
  return n / (n + 2);
}

// Keeps earliest <= most_likely <= latest, none of them before now, latest inside a window.
void order_and_clamp(Eta& e, EpochMs now, const Options& o) {
  const EpochMs floor_now = snap_forward(now, o);
  e.most_likely = std::max(e.most_likely, floor_now);
  e.earliest = std::clamp(e.earliest, now, e.most_likely);
  if (e.latest < e.most_likely) e.latest = window_end_of_day(e.most_likely, o);
}

}  // namespace

// ---- service levels --------------------------------------------------------------------------

ServiceLevels ServiceLevels::defaults() {
  ServiceLevels s;
  s.fallback_ = {2, 4};
  const std::pair<const char*, ServiceLevel> table[] = {
      {"SF", {1, 2}},
      {"SF_COLD", {1, 2}},
      {"JD", {1, 2}},
      {"KUAYUE", {1, 2}},
      {"JIUYE", {1, 3}},
      {"ZTO_COLD", {1, 3}},
      {"HEIGOU", {1, 3}},
      {"AXD", {1, 3}},
      {"ZTO", {2, 4}},
      {"YTO", {2, 4}},
      {"STO", {2, 4}},
      {"YUNDA", {2, 4}},
      {"JT", {2, 4}},
      {"BEST", {2, 4}},
      {"UC", {2, 4}},
      {"TTKD", {2, 4}},
      {"DEPPON", {2, 4}},
      {"ZJS", {2, 3}},
      {"SF_FREIGHT", {2, 3}},
      {"JD_FREIGHT", {2, 3}},
      {"ZTO_FREIGHT", {2, 4}},
      {"ANE", {2, 5}},
      {"DEPPON_FREIGHT", {2, 5}},
      {"EMS", {3, 5}},
      {"CHINA_POST", {3, 5}},
  };
  for (const auto& [code, level] : table) s.by_carrier_.emplace(code, level);
  return s;
}

std::optional<std::string> ServiceLevels::apply(std::string_view spec) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  auto number = [](std::string_view v, int& out) {
    if (v.empty() || v.size() > 2) return false;
    out = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  std::vector<std::pair<std::string, ServiceLevel>> parsed;  // applied only if all are good
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view raw = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const std::string_view item = trim(raw);
    if (item.empty()) continue;
    const std::string quoted = "service level \"" + std::string(item) + "\": ";
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return quoted + "expected CARRIER=MIN-MAX";
    const std::string_view code = trim(item.substr(0, eq));
    const std::string_view days = trim(item.substr(eq + 1));
    if (code.empty()) return quoted + "missing carrier code";
    if (code != "*") {
      for (char c : code) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
          return quoted + "carrier code must be upper-case letters, digits and '_'";
      }
    }
    ServiceLevel level;
    const std::size_t dash = days.find('-');
    const bool ok = dash == std::string_view::npos
                        ? number(days, level.min_days) && number(days, level.max_days)
                        : number(trim(days.substr(0, dash)), level.min_days) &&
                              number(trim(days.substr(dash + 1)), level.max_days);
    if (!ok) return quoted + "days must be MIN-MAX whole days (0-99)";
    if (level.min_days > level.max_days) return quoted + "min days greater than max days";
    parsed.emplace_back(std::string(code), level);
  }
  for (auto& [code, level] : parsed) {
    if (code == "*") {
      fallback_ = level;
    } else {
      by_carrier_[code] = level;
    }
  }
  return std::nullopt;
}

ServiceLevel ServiceLevels::for_carrier(std::string_view carrier) const {
  auto it = by_carrier_.find(carrier);
  return it == by_carrier_.end() ? fallback_ : it->second;
}

// ---- time of day -----------------------------------------------------------------------------

EpochMs effective_dispatch(EpochMs shipped_at, const Options& o) {
  const EpochMs day = local_day_start(shipped_at, o);
  const EpochMs tod = shipped_at - day;
  const EpochMs start = o.delivery_start_hour * kHourMs;
  if (tod >= o.cutoff_hour * kHourMs) return day + kDayMs + start;
  if (tod < start) return day + start;
  return shipped_at;
}

EpochMs snap_forward(EpochMs t, const Options& o) {
  const EpochMs day = local_day_start(t, o);
  const EpochMs tod = t - day;
  if (tod < o.delivery_start_hour * kHourMs) return day + o.delivery_start_hour * kHourMs;
  if (tod > o.delivery_end_hour * kHourMs) return day + kDayMs + o.delivery_start_hour * kHourMs;
  return t;
}

EpochMs snap_back(EpochMs t, const Options& o) {
  const EpochMs day = local_day_start(t, o);
  const EpochMs tod = t - day;
  if (tod > o.delivery_end_hour * kHourMs) return day + o.delivery_end_hour * kHourMs;
  if (tod < o.delivery_start_hour * kHourMs) return day - kDayMs + o.delivery_end_hour * kHourMs;
  return t;
}

EpochMs window_end_of_day(EpochMs t, const Options& o) {
  return local_day_start(t, o) + o.delivery_end_hour * kHourMs;
}

std::string_view carrier_name_zh(std::string_view code) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"SF", "顺丰"},
      {"SF_COLD", "顺丰冷运"},
      {"SF_FREIGHT", "顺丰快运"},
      {"JD", "京东"},
      {"JD_FREIGHT", "京东快运"},
      {"ZTO", "中通"},
      {"ZTO_COLD", "中通冷链"},
      {"ZTO_FREIGHT", "中通快运"},
      {"YTO", "圆通"},
      {"STO", "申通"},
      {"YUNDA", "韵达"},
      {"EMS", "EMS"},
      {"CHINA_POST", "邮政快递包裹"},
      {"JT", "极兔"},
      {"DEPPON", "德邦"},
      {"DEPPON_FREIGHT", "德邦快运"},
      {"BEST", "百世"},
      {"UC", "优速"},
      {"ZJS", "宅急送"},
      {"TTKD", "天天"},
      {"ANE", "安能"},
      {"KUAYUE", "跨越"},
      {"JIUYE", "九曳供应链"},
      {"HEIGOU", "黑狗冷链"},
      {"AXD", "安鲜达"},
  };
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return code;
}

Eta nominal_eta(const Lane& lane, EpochMs shipped_at, const Options& o) {
  const ServiceLevel level = o.levels.for_carrier(lane.carrier);
  const EpochMs dispatch = effective_dispatch(shipped_at, o);
  const EpochMs day = local_day_start(dispatch, o);
  Eta e;
  e.earliest = std::max(day + level.min_days * kDayMs + o.delivery_start_hour * kHourMs,
                        snap_forward(dispatch, o));
  e.latest = std::max(day + level.max_days * kDayMs + o.delivery_end_hour * kHourMs, e.earliest);
  const EpochMs mid = dispatch + (level.min_days + level.max_days) * kDayMs / 2;
  e.most_likely = std::clamp(snap_forward(mid, o), e.earliest, e.latest);
  e.confidence = 0.5;
  e.basis = "service_level";
  e.basis_detail = std::string(carrier_name_zh(lane.carrier)) + " 标称 " +
                   std::to_string(level.min_days) + "-" + std::to_string(level.max_days) +
                   " 天 (历史样本不足)";
  return e;
}

// ---- histogram -------------------------------------------------------------------------------

void Histogram::add(std::int64_t minutes) {
  minutes = std::clamp<std::int64_t>(minutes, 0, kMaxMinutes);
  const auto bin = static_cast<std::size_t>(minutes / kBinMinutes);
  if (bin >= bins_.size()) bins_.resize(bin + 1, 0);
  ++bins_[bin];
  ++count_;
}

double Histogram::count_above(double after) const {
  if (after < 0) return static_cast<double>(count_);
  if (after >= static_cast<double>(bins_.size() * kBinMinutes)) return 0;
  const auto first = static_cast<std::size_t>(after / kBinMinutes);
  const double frac = (static_cast<double>(first + 1) * kBinMinutes - after) / kBinMinutes;
  double n = bins_[first] * frac;
  for (std::size_t b = first + 1; b < bins_.size(); ++b) n += bins_[b];
  return n;
}

double Histogram::quantile(double q, double after) const {
  const double total = count_above(after);
  const double target = std::clamp(q, 0.0, 1.0) * total;
  double cum = 0;
  std::size_t b = 0;
  double lo = 0;  // where the (possibly partial) current bin starts
  if (total <= 0) return static_cast<double>(bins_.size() * kBinMinutes);
  if (after >= 0) {
    b = static_cast<std::size_t>(after / kBinMinutes);
    lo = after;
  }
  for (; b < bins_.size(); ++b) {
    const double hi = static_cast<double>(b + 1) * kBinMinutes;
    lo = std::max(lo, static_cast<double>(b) * kBinMinutes);
    const double c = bins_[b] * (hi - lo) / kBinMinutes;
    if (c > 0 && cum + c >= target) return lo + (target - cum) / c * (hi - lo);
    cum += c;
  }
  return static_cast<double>(bins_.size()) * kBinMinutes;
}

// ---- model -----------------------------------------------------------------------------------

Model::Model(Options options) : options_(std::move(options)) {}

void Model::add(const Delivered& d) {
  if (d.delivered_at < d.shipped_at) return;
  const EpochMs dispatch = effective_dispatch(d.shipped_at, options_);
  const std::int64_t minutes = (d.delivered_at - dispatch) / kMinuteMs;
  lanes_[lane_key(d.lane)].add(minutes);
  origins_[origin_key(d.lane)].add(minutes);
  if (d.out_for_delivery_at && *d.out_for_delivery_at >= d.shipped_at &&
      *d.out_for_delivery_at <= d.delivered_at) {
    const std::int64_t ofd = (d.delivered_at - *d.out_for_delivery_at) / kMinuteMs;
    ofd_lanes_[ofd_lane_key(d.lane)].add(ofd);
    ofd_carriers_[d.lane.carrier].add(ofd);
  }
}

std::size_t Model::samples(const Lane& lane) const {
  const Histogram* h = find(lanes_, lane_key(lane));
  return h ? static_cast<std::size_t>(h->count()) : 0;
}

std::optional<Eta> Model::predict(const Progress& p, EpochMs now) const {
  const std::string_view status = p.tracking_status;
  if (is_terminal(status)) return std::nullopt;
  if (status == "OUT_FOR_DELIVERY") return predict_out_for_delivery(p, now);
  Eta e = predict_transit(p, now);
  if (status == "AT_PICKUP_POINT") {
    // Ready for collection: the customer decides when; lockers do not keep delivery hours.
    const EpochMs ready = p.status_at.value_or(now);
    e.basis = e.basis.substr(0, e.basis.find('+')) + "+at_pickup_point";
    e.earliest = ready;
    e.most_likely = std::max(ready, now);
    e.latest = window_end_of_day(e.most_likely + kDayMs, options_);
    e.confidence = 0.4;
    e.basis_detail = "已到自提点/快递柜, 等待收件人取件";
  } else if (status == "EXCEPTION") {
    e.latest = snap_back(e.latest + kDayMs, options_);
    e.confidence *= 0.6;
    e.basis += "+exception";
    e.basis_detail += "; 运输异常, 最晚时间顺延 1 天";
  }
  return e;
}

Eta Model::predict_transit(const Progress& p, EpochMs now) const {
  const Options& o = options_;
  const EpochMs dispatch = effective_dispatch(p.shipped_at, o);
  const double elapsed = static_cast<double>(now - dispatch) / kMinuteMs;  // < 0: not yet
  const double lo_q = (1 - o.interval) / 2, hi_q = (1 + o.interval) / 2;
  const bool after_cutoff =
      p.shipped_at - local_day_start(p.shipped_at, o) >= o.cutoff_hour * kHourMs;
  const std::string cutoff_note =
      after_cutoff ? "; " + std::to_string(o.cutoff_hour) + ":00 后交寄, 次日发出" : "";
  const std::string elapsed_note = "; 已在途 " + fmt1(std::max(0.0, elapsed) / 1440) + " 天";

  struct Candidate {
    const Histogram* h;
    const char* basis;
    std::string detail;
    double trust;  // a pooled-destination basis is less specific than the lane itself
  };
  const std::string name(carrier_name_zh(p.lane.carrier));
  const Candidate candidates[] = {
      {find(lanes_, lane_key(p.lane)), "lane",
       p.lane.origin_city + "→" + p.lane.dest_city + " " + name, 1.0},
      {find(origins_, origin_key(p.lane)), "carrier", p.lane.origin_city + "发出 " + name, 0.9},
  };
  for (const Candidate& c : candidates) {
    if (!c.h || c.h->count() < static_cast<std::uint64_t>(std::max(o.min_lane_samples, 1)))
      continue;
    const double total = static_cast<double>(c.h->count());
    const double remaining = c.h->count_above(elapsed);
    if (remaining < min_remaining(o)) continue;  // slower than nearly all: try the next basis
    const bool conditioned = remaining < total;
    Eta e;
    e.earliest = snap_forward(dispatch + minutes_ms(c.h->quantile(lo_q, elapsed)), o);
    e.most_likely = snap_forward(dispatch + minutes_ms(c.h->quantile(0.5, elapsed)), o);
    e.latest = snap_back(dispatch + minutes_ms(c.h->quantile(hi_q, elapsed)), o);
    order_and_clamp(e, now, o);
    e.confidence = o.interval * shrink(remaining) * c.trust;
    e.basis = std::string(c.basis) + (conditioned ? "+elapsed" : "");
    e.samples = static_cast<int>(std::llround(remaining));
    e.basis_detail = c.detail + " 近 " + std::to_string(c.h->count()) + " 单";
    if (std::string_view(c.basis) == "carrier") e.basis_detail += "(各目的地)";
    e.basis_detail += ": 中位 " + fmt1(c.h->quantile(0.5) / 1440) + " 天" + cutoff_note;
    if (conditioned) {
      e.basis_detail += elapsed_note + ", 按其中更慢的 " + std::to_string(e.samples) + " 单估计";
    }
    return e;
  }

  Eta e = nominal_eta(p.lane, p.shipped_at, o);
  e.basis_detail += cutoff_note;
  if (now > e.latest) {
    // Later than the promise and than everything learned: expect the next windows.
    e.earliest = snap_forward(now, o);
    e.most_likely = snap_forward(e.earliest + kDayMs / 2, o);
    e.latest = window_end_of_day(e.earliest + kDayMs, o);
    e.confidence = 0.3;
    e.basis += "+elapsed";
    e.basis_detail += elapsed_note + ", 已超出标称时效, 预计在接下来的派送时段送达";
  } else if (now > e.earliest) {
    order_and_clamp(e, now, o);
    e.basis += "+elapsed";
    e.basis_detail += elapsed_note;
  }
  return e;
}

Eta Model::predict_out_for_delivery(const Progress& p, EpochMs now) const {
  const Options& o = options_;
  const double coverage = (1 + o.interval) / 2;  // hours, not days: a wider interval is cheap
  const double lo_q = (1 - coverage) / 2, hi_q = (1 + coverage) / 2;
  EpochMs base = p.status_at.value_or(now);
  if (base > window_end_of_day(base, o)) base = snap_forward(base, o);  // a late-night scan
  const double elapsed = static_cast<double>(now - base) / kMinuteMs;
  const std::string name(carrier_name_zh(p.lane.carrier));
  const auto min_samples = static_cast<std::uint64_t>(std::max(o.min_lane_samples, 1));

  const Histogram* h = find(ofd_lanes_, ofd_lane_key(p.lane));
  std::string level = "lane";
  std::string detail = p.lane.dest_city + " " + name;
  if (!h || h->count() < min_samples) {
    h = find(ofd_carriers_, p.lane.carrier);
    level = "carrier";
    detail = name;
  }
  if (h && h->count() < min_samples) h = nullptr;

  Eta e;
  double lo = kDefaultOfdLo, median = kDefaultOfdMedian, hi = kDefaultOfdHi;
  if (h) {
    median = h->quantile(0.5);
    e.basis_detail = "派送中: " + detail + " 派件→签收 近 " + std::to_string(h->count()) +
                     " 单: 中位 " + fmt1(median / 60) + " 小时";
  } else {
    level = "service_level";
    e.basis_detail = "派送中: 通常 1-8 小时内签收 (中位 3 小时)";
  }
  e.basis = level + "+out_for_delivery";

  const EpochMs day_end = window_end_of_day(snap_forward(base, o), o);
  if (now > day_end) {
    // Out for delivery on an earlier day and still not signed for: the next window.
    e.earliest = snap_forward(now, o);
    e.latest = window_end_of_day(e.earliest, o);
    e.most_likely = std::min(e.earliest + minutes_ms(median), e.latest);
    e.confidence = coverage * 0.6;
    e.samples = h ? static_cast<int>(h->count()) : 0;
    e.basis += "+elapsed";
    e.basis_detail += "; 当日未签收, 顺延至下一派送时段";
    return e;
  }
  const double remaining = h ? h->count_above(elapsed) : 0;
  bool conditioned = false;
  if (h && remaining >= min_remaining(o)) {
    lo = h->quantile(lo_q, elapsed);
    median = h->quantile(0.5, elapsed);
    hi = h->quantile(hi_q, elapsed);
    conditioned = remaining < static_cast<double>(h->count());
    e.confidence = coverage * shrink(remaining);
    e.samples = static_cast<int>(std::llround(remaining));
  } else {
    // The default shape, or slower than nearly all learned: keep a sensible remainder.
    conditioned = elapsed > lo;
    lo = std::max(lo, elapsed);
    median = std::max(median, elapsed + 60);
    hi = std::max(hi, median + 120);
    e.confidence = h ? coverage * 0.6 : coverage * 0.95;
    e.samples = h ? static_cast<int>(h->count()) : 0;
  }
  if (conditioned) e.basis += "+elapsed";
  const EpochMs day_start = snap_forward(base, o);
  e.earliest = std::clamp(base + minutes_ms(lo), day_start, day_end);
  e.most_likely = std::clamp(base + minutes_ms(median), day_start, day_end);
  e.latest = std::clamp(base + minutes_ms(hi), day_start, day_end);
  order_and_clamp(e, now, o);
  return e;
}

}  // namespace coldtrack::eta
