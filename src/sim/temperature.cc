#include "sim/temperature.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <numbers>
#include <thread>

#include "http/client.h"

namespace coldtrack::sim {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 5> kProfileNames = {
    "frozen_ok", "frozen_door_open", "frozen_failure", "chilled_ok", "chilled_failure"};

// ---- Model constants (minutes and °C) ---------------------------------------------------------

constexpr double kRoomC = 15.0;  // packing temperature, ±1 per seed
constexpr double kFrozenSetpointC = -21.0;
constexpr double kChilledSetpointC = 2.5;
constexpr double kFrozenFailureC = -5.0;  // where a failed reefer drifts to
constexpr double kChilledFailureC = 12.0;
constexpr double kCoolTauMin = 4.5;        // +0..1 per seed: within ~1 °C of setpoint at 20 min
constexpr double kCycleAmplitudeC = 0.5;   // compressor cycle
constexpr double kCyclePeriodMin = 30.0;   // +0..15 per seed
constexpr double kNoiseC = 0.3;            // uniform ±
constexpr double kFailureFraction = 0.4;   // of the stream's duration
constexpr double kFailureTauMin = 60.0;    // ~95% of the rise after 3 hours
constexpr double kCycleFadeTauMin = 10.0;  // the compressor stops after a failure
constexpr double kFirstDoorMin = 60.0;     // first opening 60..150 min after packing
constexpr double kFirstDoorSpreadMin = 90.0;
constexpr double kDoorGapMin = 120.0;  // then every 2..3 hours
constexpr double kDoorGapSpreadMin = 60.0;
constexpr double kDoorOpenMin = 3.0;  // open 3..6 minutes
constexpr double kDoorOpenSpreadMin = 3.0;
constexpr double kDoorRiseC = 5.0;  // peak rise 5..9 °C
constexpr double kDoorRiseSpreadC = 4.0;
constexpr double kDoorRiseTauMin = 1.5;
constexpr double kDoorDecayTauMin = 2.0;

// Independent streams of random numbers per seed.
enum class Draw : std::uint64_t { kRoom = 1, kCool, kPeriod, kPhase, kNoise, kDoor };

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, 1), a pure function of (seed, stream, index): portable across standard
// libraries, unlike <random>'s distributions.
double uniform(std::uint64_t seed, Draw d, std::uint64_t i) {
  const std::uint64_t h =
      splitmix(splitmix(seed ^ (static_cast<std::uint64_t>(d) * 0xd1b54a32d192ed03ULL)) + i);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

struct DoorOpening {
  double at_min, open_min, rise_c;
};

double door_delta(const std::vector<DoorOpening>& doors, double t) {
  double delta = 0;
  for (const DoorOpening& d : doors) {
    if (t < d.at_min) break;
    const double since = t - d.at_min;
    if (since <= d.open_min) {
      delta += d.rise_c * (1 - std::exp(-since / kDoorRiseTauMin)) /
               (1 - std::exp(-d.open_min / kDoorRiseTauMin));
    } else {
      delta += d.rise_c * std::exp(-(since - d.open_min) / kDoorDecayTauMin);
    }
  }
  return delta;
}

double round_tenth(double v) {
  const double r = std::round(v * 10) / 10;
  return r == 0 ? 0.0 : r;  // no "-0.0"
}

bool is_frozen(LoggerProfile p) {
  return p == LoggerProfile::kFrozenOk || p == LoggerProfile::kFrozenDoorOpen ||
         p == LoggerProfile::kFrozenFailure;
}

// ---- Push -------------------------------------------------------------------------------------

constexpr int kMaxRetries = 3;
constexpr std::size_t kMaxBatch = 1000;
constexpr std::size_t kMaxKeptBody = 2000;

struct Target {
  std::string host;
  unsigned short port = 80;
  std::string prefix;  // path before /api/..., no trailing '/'
};

std::optional<Target> parse_target(std::string_view url, std::string* why) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    *why = "must be an http URL like http://127.0.0.1:8080";
    return std::nullopt;
  }
  if (parsed->scheme() != "http") {
    *why = "only http URLs are supported";
    return std::nullopt;
  }
  Target t;
  t.host = std::string(parsed->encoded_host());
  if (t.host.size() >= 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  if (t.host.empty()) {
    *why = "must name a host";
    return std::nullopt;
  }
  if (parsed->has_port()) {
    const std::string port(parsed->port());
    if (port.empty() || port.size() > 5 || parsed->port_number() == 0) {
      *why = "has a bad port";
      return std::nullopt;
    }
    t.port = parsed->port_number();
  }
  if (parsed->has_query() || parsed->has_fragment()) {
    *why = "must not carry a query or fragment";
    return std::nullopt;
  }
  t.prefix = std::string(parsed->encoded_path());
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  return t;
}

bool cancelled(const FeedControl& c) {
  return c.cancel != nullptr && c.cancel->load();
}

// Sleeps `d` unless cancelled meanwhile; false when cancelled.
bool pause(const FeedControl& c, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled(c)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(10), until - std::chrono::steady_clock::now()));
  }
  return !cancelled(c);
}

std::string clip(std::string s) {
  if (s.size() > kMaxKeptBody) s.resize(kMaxKeptBody);
  return s;
}

// ---- Request parsing --------------------------------------------------------------------------

bool fail(FeedRequestError* error, std::string field, std::string message) {
  if (error != nullptr) *error = FeedRequestError{std::move(field), std::move(message)};
  return false;
}

std::optional<std::int64_t> as_int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() &&
      v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v.get_uint64());
  return std::nullopt;
}

bool int_field(const json::object& o, std::string_view name, std::int64_t lo, std::int64_t hi,
               std::int64_t* out, FeedRequestError* error) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return true;  // keep the default
  const std::optional<std::int64_t> n = as_int(*v);
  if (!n || *n < lo || *n > hi)
    return fail(error, std::string(name),
                fmt::format("{} must be an integer between {} and {}", name, lo, hi));
  *out = *n;
  return true;
}

bool string_field(const json::object& o, std::string_view name, std::size_t max_len,
                  std::string* out, FeedRequestError* error) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string() || v->get_string().empty())
    return fail(error, std::string(name), fmt::format("{} is required (a string)", name));
  if (v->get_string().size() > max_len)
    return fail(error, std::string(name),
                fmt::format("{} must be at most {} characters", name, max_len));
  *out = std::string(v->get_string());
  return true;
}

}  // namespace

// ---- Profiles ---------------------------------------------------------------------------------

std::optional<LoggerProfile> parse_logger_profile(std::string_view s) {
  for (std::size_t i = 0; i < kProfileNames.size(); ++i)
    if (kProfileNames[i] == s) return static_cast<LoggerProfile>(i);
  return std::nullopt;
}

std::string_view to_string(LoggerProfile p) {
  const auto i = static_cast<std::size_t>(p);
  return i < kProfileNames.size() ? kProfileNames[i] : "unknown";
}

// ---- Model ------------------------------------------------------------------------------------

std::vector<LoggerReading> temperature_stream(LoggerProfile p, domain::EpochMs start,
                                              domain::EpochMs interval_ms, int count,
                                              std::uint64_t seed) {
  std::vector<LoggerReading> out;
  if (count <= 0 || interval_ms <= 0) return out;
  out.reserve(static_cast<std::size_t>(count));

  const bool frozen = is_frozen(p);
  const double setpoint = frozen ? kFrozenSetpointC : kChilledSetpointC;
  const double room = kRoomC + (uniform(seed, Draw::kRoom, 0) - 0.5) * 2;
  const double cool_tau = kCoolTauMin + uniform(seed, Draw::kCool, 0);
  const double period = kCyclePeriodMin + 15 * uniform(seed, Draw::kPeriod, 0);
  const double phase = 2 * std::numbers::pi * uniform(seed, Draw::kPhase, 0);
  const double interval_min = static_cast<double>(interval_ms) / 60'000.0;
  const double span_min = interval_min * count;

  const bool fails = p == LoggerProfile::kFrozenFailure || p == LoggerProfile::kChilledFailure;
  const double fail_at = kFailureFraction * span_min;
  const double fail_to = frozen ? kFrozenFailureC : kChilledFailureC;

  std::vector<DoorOpening> doors;
  if (p == LoggerProfile::kFrozenDoorOpen) {
    std::uint64_t k = 0;
    double at = kFirstDoorMin + kFirstDoorSpreadMin * uniform(seed, Draw::kDoor, k++);
    while (at < span_min) {
      DoorOpening d;
      d.at_min = at;
      d.open_min = kDoorOpenMin + kDoorOpenSpreadMin * uniform(seed, Draw::kDoor, k++);
      d.rise_c = kDoorRiseC + kDoorRiseSpreadC * uniform(seed, Draw::kDoor, k++);
      doors.push_back(d);
      at += d.open_min + kDoorGapMin + kDoorGapSpreadMin * uniform(seed, Draw::kDoor, k++);
    }
  }

  for (int i = 0; i < count; ++i) {
    const double t = interval_min * i;
    double cycle = kCycleAmplitudeC * std::sin(2 * std::numbers::pi * t / period + phase);
    double temp = setpoint + (room - setpoint) * std::exp(-t / cool_tau);
    if (fails && t >= fail_at) {
      const double since = t - fail_at;
      temp += (fail_to - setpoint) * (1 - std::exp(-since / kFailureTauMin));
      cycle *= std::exp(-since / kCycleFadeTauMin);
    }
    temp += cycle + door_delta(doors, t);
    temp += (uniform(seed, Draw::kNoise, static_cast<std::uint64_t>(i)) * 2 - 1) * kNoiseC;
    out.push_back(LoggerReading{start + interval_ms * i, round_tenth(temp)});
  }
  return out;
}

// ---- Push -------------------------------------------------------------------------------------

std::string feed_body(std::string_view device_id, const std::vector<LoggerReading>& readings,
                      std::size_t first, std::size_t count) {
  std::string out = R"({"device_id":)";
  out += json::serialize(json::string(device_id));
  out += R"(,"readings":[)";
  const std::size_t end = std::min(readings.size(), first + count);
  for (std::size_t i = first; i < end; ++i) {
    if (i != first) out += ',';
    // temp_c as plain decimal text (Boost.JSON would write -1.95E1).
    out += fmt::format(R"({{"at":"{}","temp_c":{:.1f}}})",
                       domain::format_rfc3339(readings[i].at, 480), readings[i].temp_c);
  }
  out += "]}";
  return out;
}

FeedResult push_feed(const LoggerFeed& feed, const FeedControl& control) {
  FeedResult out;
  std::string why;
  const std::optional<Target> target = parse_target(feed.target_url, &why);
  if (!target) {
    ++out.failures;
    out.last_body = "target_url " + why;
    spdlog::warn("sim: logger {} for shipment {}: target_url {}", feed.device_id, feed.shipment_id,
                 why);
    if (control.progress) control.progress(out);
    return out;
  }
  const std::vector<LoggerReading> readings =
      temperature_stream(feed.profile, feed.start, feed.interval_ms, feed.count, feed.seed);
  const std::size_t batch =
      std::clamp<std::size_t>(static_cast<std::size_t>(std::max(feed.batch, 1)), 1, kMaxBatch);
  const std::string path =
      fmt::format("{}/api/shipments/{}/temperatures", target->prefix, feed.shipment_id);
  const http::Credentials creds{feed.api_key, feed.api_secret};

  try {
    http::Client client(target->host, target->port);
    for (std::size_t first = 0; first < readings.size(); first += batch) {
      const std::size_t n = std::min(batch, readings.size() - first);
      const std::string body = feed_body(feed.device_id, readings, first, n);
      const std::map<std::string, std::string> headers = {
          {"Idempotency-Key",
           fmt::format("{}-{}-{}", feed.device_id, feed.shipment_id, readings[first].at)}};
      bool stored = false;
      for (int attempt = 0; attempt <= kMaxRetries; ++attempt) {
        if (attempt > 0 && !pause(control, control.retry_delay * (1 << (attempt - 1)))) return out;
        if (cancelled(control)) return out;
        bool retryable = false;
        try {
          http::ClientResponse res = client.request("POST", path, body, creds, headers);
          out.last_status = res.status;
          out.last_body = clip(std::move(res.body));
          if (res.status >= 200 && res.status < 300) {
            stored = true;
            ++out.batches_sent;
            out.readings_sent += static_cast<int>(n);
          } else {
            ++out.failures;
            retryable = res.status >= 500;
          }
        } catch (const std::exception& e) {
          ++out.failures;
          out.last_status = 0;
          out.last_body = clip(e.what());
          retryable = true;
        }
        if (control.progress) control.progress(out);
        if (stored || !retryable) break;
        spdlog::debug("sim: logger {} batch at {} failed (attempt {}): {} {}", feed.device_id,
                      readings[first].at, attempt + 1, out.last_status, out.last_body);
      }
      if (!stored) {
        spdlog::warn(
            "sim: logger {} for shipment {} stopped: batch of {} readings from {} refused "
            "({} {})",
            feed.device_id, feed.shipment_id, n, domain::format_rfc3339(readings[first].at, 480),
            out.last_status, out.last_body);
        return out;
      }
    }
  } catch (const std::exception& e) {  // not expected (allocation, formatting)
    ++out.failures;
    out.last_body = clip(e.what());
    if (control.progress) control.progress(out);
    return out;
  }
  spdlog::info("sim: logger {} for shipment {}: {} readings in {} batches", feed.device_id,
               feed.shipment_id, out.readings_sent, out.batches_sent);
  return out;
}

// ---- Control request --------------------------------------------------------------------------

std::optional<LoggerFeed> parse_logger_feed(std::string_view body, domain::EpochMs now,
                                            std::uint64_t default_seed, FeedRequestError* error) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    fail(error, "body", "body must be a JSON object");
    return std::nullopt;
  }
  const json::object& o = v.get_object();
  static constexpr std::array<std::string_view, 11> kFields = {
      "target_url", "api_key",    "api_secret", "shipment_id", "device_id", "profile",
      "start",      "interval_s", "count",      "batch",       "seed"};
  for (const auto& [key, value] : o) {
    if (std::find(kFields.begin(), kFields.end(), std::string_view(key)) == kFields.end()) {
      fail(error, std::string(key), fmt::format("unknown field {}", std::string_view(key)));
      return std::nullopt;
    }
  }

  LoggerFeed f;
  f.seed = default_seed;
  if (!string_field(o, "target_url", 2048, &f.target_url, error)) return std::nullopt;
  if (std::string why; !parse_target(f.target_url, &why)) {
    fail(error, "target_url", "target_url " + why);
    return std::nullopt;
  }
  if (!string_field(o, "api_key", 256, &f.api_key, error) ||
      !string_field(o, "api_secret", 1024, &f.api_secret, error))
    return std::nullopt;

  if (!o.contains("shipment_id")) {
    fail(error, "shipment_id", "shipment_id is required (a positive integer)");
    return std::nullopt;
  }
  if (!int_field(o, "shipment_id", 1, std::numeric_limits<std::int64_t>::max(), &f.shipment_id,
                 error))
    return std::nullopt;

  // Printable ASCII without spaces: it goes into the Idempotency-Key header too.
  if (!string_field(o, "device_id", 64, &f.device_id, error)) return std::nullopt;
  for (const char c : f.device_id) {
    if (c <= ' ' || c > '~') {
      fail(error, "device_id", "device_id must be printable ASCII without spaces");
      return std::nullopt;
    }
  }

  std::string profile;
  if (!string_field(o, "profile", 64, &profile, error)) return std::nullopt;
  const std::optional<LoggerProfile> p = parse_logger_profile(profile);
  if (!p) {
    fail(error, "profile",
         "profile must be one of frozen_ok, frozen_door_open, frozen_failure, chilled_ok, "
         "chilled_failure");
    return std::nullopt;
  }
  f.profile = *p;

  if (const json::value* iv = o.if_contains("interval_s")) {
    if (!iv->is_number() || !(iv->to_number<double>() >= 1 && iv->to_number<double>() <= 86400)) {
      fail(error, "interval_s", "interval_s must be a number of seconds between 1 and 86400");
      return std::nullopt;
    }
    f.interval_ms = std::llround(iv->to_number<double>() * 1000);
  }
  std::int64_t count = f.count, batch = f.batch;
  if (!int_field(o, "count", 1, 100'000, &count, error) ||
      !int_field(o, "batch", 1, static_cast<std::int64_t>(kMaxBatch), &batch, error))
    return std::nullopt;
  f.count = static_cast<int>(count);
  f.batch = static_cast<int>(batch);
  if (const json::value* sv = o.if_contains("seed")) {
    if (sv->is_uint64()) {
      f.seed = sv->get_uint64();
    } else if (sv->is_int64() && sv->get_int64() >= 0) {
      f.seed = static_cast<std::uint64_t>(sv->get_int64());
    } else {
      fail(error, "seed", "seed must be a non-negative integer");
      return std::nullopt;
    }
  }

  f.start = now - static_cast<domain::EpochMs>(f.count) * f.interval_ms;
  if (const json::value* st = o.if_contains("start")) {
    std::optional<domain::EpochMs> t;
    if (st->is_string()) {
      t = domain::parse_rfc3339(st->get_string());
    } else if (const std::optional<std::int64_t> n = as_int(*st); n && *n >= 0) {
      t = *n;
    }
    if (!t) {
      fail(error, "start", "start must be an RFC 3339 time with offset or epoch milliseconds");
      return std::nullopt;
    }
    f.start = *t;
  }
  return f;
}

}  // namespace coldtrack::sim
