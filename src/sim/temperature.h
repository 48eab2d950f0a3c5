// Cold-chain data loggers for simulated shipments: a pure, seeded temperature model and a
// blocking feeder that pushes a stream to ColdTrack exactly as a logger gateway would.
//
// Model (all profiles): the logger is packed at room temperature (~+15 °C) and cools
// exponentially to the setpoint within ~20 minutes (frozen -21 °C, chilled +2.5 °C); on top of
// that a slow compressor cycle (±0.5 °C, 30-45 min period) and sensor noise (±0.3 °C).
//   frozen_door_open  every ~2-3 hours the door is open for 3-6 minutes: the temperature rises
//                     5-9 °C and decays back within a few minutes after the door closes.
//   *_failure         from 40% of the stream the refrigeration unit has failed: the temperature
//                     rises steadily toward -5 °C (frozen) or +12 °C (chilled), ~95% of the
//                     way after 3 hours, and stays there.
// Values are rounded to 0.1 °C. Everything is a function of (seed, reading index) plus, for
// failures, the stream length: the same seed gives the same stream.
//
// Push (push_feed): POST {target_url}/api/shipments/{shipment_id}/temperatures, signed with the
// API key (http::Client), body {"device_id":"LOG-1","readings":[{"at":RFC 3339 +08:00,
// "temp_c":-19.5},...]}, at most `batch` (1..1000) readings per request, header
// Idempotency-Key "<device_id>-<shipment_id>-<first reading's epoch ms>". A 2xx means stored.
// Connection errors and 5xx are retried up to 3 times per batch (4 attempts); after that, or
// on any other status (4xx), the feed logs and stops (later readings are not sent).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"

namespace coldtrack::sim {

enum class LoggerProfile {
  kFrozenOk,
  kFrozenDoorOpen,
  kFrozenFailure,
  kChilledOk,
  kChilledFailure
};

// "frozen_ok", "frozen_door_open", "frozen_failure", "chilled_ok", "chilled_failure".
std::optional<LoggerProfile> parse_logger_profile(std::string_view);
std::string_view to_string(LoggerProfile);

struct LoggerReading {
  domain::EpochMs at;
  double temp_c;
};

// `count` readings at start, start + interval_ms, ...; empty when count <= 0 or
// interval_ms <= 0. Deterministic per seed.
std::vector<LoggerReading> temperature_stream(LoggerProfile p, domain::EpochMs start,
                                              domain::EpochMs interval_ms, int count,
                                              std::uint64_t seed);

struct LoggerFeed {
  std::string target_url;  // "http://host:port" (an optional path prefix is kept)
  std::string api_key, api_secret;
  std::int64_t shipment_id = 0;
  std::string device_id;
  LoggerProfile profile = LoggerProfile::kFrozenOk;
  domain::EpochMs start = 0;
  domain::EpochMs interval_ms = 60'000;
  int count = 600;
  int batch = 500;  // readings per request, clamped to 1..1000
  std::uint64_t seed = 1;
};

struct FeedResult {
  int batches_sent = 0;   // batches stored (answered 2xx)
  int readings_sent = 0;  // readings in those batches
  int failures = 0;       // failed attempts (connection error, 5xx, or the final 4xx)
  int last_status = 0;    // HTTP status of the last attempt, 0 = no answer
  std::string last_body;  // its body, or the connection error
};

// Optional hooks for running a feed in the background.
struct FeedControl {
  // When set and true, the feed stops before its next attempt (an attempt in flight finishes).
  const std::atomic<bool>* cancel = nullptr;
  // Called after every attempt with the result so far.
  std::function<void(const FeedResult&)> progress;
  // Wait before retry n (1..3): retry_delay * 2^(n-1).
  std::chrono::milliseconds retry_delay{250};
};

// Blocking; never throws.
FeedResult push_feed(const LoggerFeed& feed, const FeedControl& control = {});

// The request body for one batch (exposed for tests and tools).
std::string feed_body(std::string_view device_id, const std::vector<LoggerReading>& readings,
                      std::size_t first, std::size_t count);

// The simulator's POST /sim/loggers body (simulator.h): a JSON object with target_url,
// api_key, api_secret, shipment_id, device_id, profile (required) and start (RFC 3339 or epoch
// ms; default now - count * interval), interval_s (1..86400, default 60), count (1..100000,
// default 600), batch (1..1000, default 500), seed (default `default_seed`). Unknown fields are
// refused. On failure returns nullopt and names the field ("body" for a non-object).
struct FeedRequestError {
  std::string field;
  std::string message;
};
std::optional<LoggerFeed> parse_logger_feed(std::string_view body, domain::EpochMs now,
                                            std::uint64_t default_seed, FeedRequestError* error);

}  // namespace coldtrack::sim
