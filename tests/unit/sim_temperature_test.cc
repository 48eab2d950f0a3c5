// Cold-chain logger streams (sim/temperature.h): the model's behaviour per profile, the push to
// ColdTrack's temperature API against a local receiver, and the simulator's /sim/loggers route.
#include "sim/temperature.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "security/signing.h"
#include "sim/simulator.h"

namespace coldtrack::sim {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using domain::EpochMs;

constexpr EpochMs kStart = 1'795'000'000'000;  // 2026-11-18T19:06:40+08:00
constexpr EpochMs kMinute = 60'000;
constexpr int kSeeds = 40;

// Consecutive readings above `threshold`: [first index, last index].
struct Span {
  std::size_t first, last;
};
std::vector<Span> SpansAbove(const std::vector<LoggerReading>& r, double threshold) {
  std::vector<Span> runs;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i].temp_c <= threshold) continue;
    if (!runs.empty() && runs.back().last + 1 == i)
      runs.back().last = i;
    else
      runs.push_back({i, i});
  }
  return runs;
}

// ---- Model ------------------------------------------------------------------------------------

TEST(SimTemperatureProfile, NamesRoundTrip) {
  for (const auto p :
       {LoggerProfile::kFrozenOk, LoggerProfile::kFrozenDoorOpen, LoggerProfile::kFrozenFailure,
        LoggerProfile::kChilledOk, LoggerProfile::kChilledFailure}) {
    EXPECT_EQ(parse_logger_profile(to_string(p)), p);
  }
  EXPECT_EQ(parse_logger_profile("frozen_door_open"), LoggerProfile::kFrozenDoorOpen);
  EXPECT_FALSE(parse_logger_profile("FROZEN_OK"));
  EXPECT_FALSE(parse_logger_profile(""));
}

TEST(SimTemperatureStream, DeterministicPerSeedWithTimestampsAndTenths) {
  const auto a = temperature_stream(LoggerProfile::kFrozenDoorOpen, kStart, kMinute, 600, 7);
  const auto b = temperature_stream(LoggerProfile::kFrozenDoorOpen, kStart, kMinute, 600, 7);
  const auto c = temperature_stream(LoggerProfile::kFrozenDoorOpen, kStart, kMinute, 600, 8);
  ASSERT_EQ(a.size(), 600u);
  ASSERT_EQ(b.size(), 600u);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].at, kStart + static_cast<EpochMs>(i) * kMinute);
    EXPECT_EQ(a[i].at, b[i].at);
    EXPECT_EQ(a[i].temp_c, b[i].temp_c) << i;
    EXPECT_NEAR(a[i].temp_c * 10, std::round(a[i].temp_c * 10), 1e-6) << a[i].temp_c;
    differs = differs || a[i].temp_c != c[i].temp_c;
  }
  EXPECT_TRUE(differs) << "another seed gives another stream";
  // A longer stream of a non-failure profile extends the same one.
  const auto longer = temperature_stream(LoggerProfile::kFrozenDoorOpen, kStart, kMinute, 900, 7);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].temp_c, longer[i].temp_c);

  EXPECT_TRUE(temperature_stream(LoggerProfile::kFrozenOk, kStart, kMinute, 0, 1).empty());
  EXPECT_TRUE(temperature_stream(LoggerProfile::kFrozenOk, kStart, 0, 10, 1).empty());
}

TEST(SimTemperatureStream, FrozenOkCoolsFromRoomAndStaysFrozen) {
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const auto r = temperature_stream(LoggerProfile::kFrozenOk, kStart, kMinute, 600, seed);
    EXPECT_GT(r.front().temp_c, 12.0) << "packed at room temperature, seed " << seed;
    EXPECT_LT(r[20].temp_c, -18.0) << "cold within ~20 minutes, seed " << seed;
    double lo = 100, hi = -100;
    for (std::size_t i = 30; i < r.size(); ++i) {
      EXPECT_LE(r[i].temp_c, -18.0) << "seed " << seed << " minute " << i;
      lo = std::min(lo, r[i].temp_c);
      hi = std::max(hi, r[i].temp_c);
    }
    EXPECT_GE(lo, -22.0) << seed;  // setpoint -21, cycle ±0.5, noise ±0.3
    EXPECT_LE(hi, -20.0) << seed;
    EXPECT_GT(hi - lo, 0.5) << "cycle and noise make it move, seed " << seed;
  }
}

TEST(SimTemperatureStream, DoorOpenSpikesAreShortAndReturnBelowMinus18) {
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const auto r = temperature_stream(LoggerProfile::kFrozenDoorOpen, kStart, kMinute, 600, seed);
    std::vector<Span> runs;
    for (const Span& span : SpansAbove(r, -18.0)) {
      if (span.first < 30)
        EXPECT_LT(span.last, 20u) << "the cool-down, seed " << seed;
      else
        runs.push_back(span);
    }
    // 10 hours, an opening every ~2-3 hours from 1-2.5 hours in: 3 or 4 spikes.
    EXPECT_GE(runs.size(), 3u) << seed;
    EXPECT_LE(runs.size(), 5u) << seed;
    for (const Span& run : runs) {
      const EpochMs lasted = r[run.last].at - r[run.first].at + kMinute;
      EXPECT_LT(lasted, 10 * kMinute) << "seed " << seed << " at minute " << run.first;
      double peak = -100;
      for (std::size_t i = run.first; i <= run.last; ++i) peak = std::max(peak, r[i].temp_c);
      EXPECT_LT(peak, -10.0) << seed;
      if (run.last + 1 < r.size()) {  // not cut off by the end of the stream
        EXPECT_GT(peak, -17.5) << seed;
        EXPECT_LE(r[run.last + 1].temp_c, -18.0);
        // Back near the setpoint a quarter of an hour later.
        if (run.last + 15 < r.size()) {
          EXPECT_LE(r[run.last + 15].temp_c, -19.5) << seed;
        }
      }
    }
    // Spikes are ~2-3 hours apart.
    for (std::size_t i = 1; i < runs.size(); ++i)
      EXPECT_GE(runs[i].first - runs[i - 1].first, 110u) << seed;
  }
}

TEST(SimTemperatureStream, FrozenFailureRisesFromFortyPercentAndStaysUp) {
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const auto r = temperature_stream(LoggerProfile::kFrozenFailure, kStart, kMinute, 600, seed);
    for (std::size_t i = 30; i < 240; ++i)
      EXPECT_LE(r[i].temp_c, -18.0) << "fine before the failure, seed " << seed;
    EXPECT_GT(r.back().temp_c, -10.0) << seed;
    EXPECT_LT(r.back().temp_c, -3.0) << "toward -5, not beyond, seed " << seed;
    const std::vector<Span> runs = SpansAbove(r, -18.0);
    ASSERT_GE(runs.size(), 2u);
    const Span& last = runs.back();
    EXPECT_EQ(last.last, r.size() - 1) << "stays up";
    EXPECT_GT(r[last.last].at - r[last.first].at, 60 * kMinute) << seed;
    EXPECT_GE(last.first, 240u);
    EXPECT_LT(last.first, 240u + 30u) << "rises promptly, seed " << seed;
    // Steady: three hours after the failure it is close to where it ends.
    EXPECT_GT(r[240 + 180].temp_c, -7.0) << seed;
  }
}

TEST(SimTemperatureStream, ChilledProfiles) {
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const auto ok = temperature_stream(LoggerProfile::kChilledOk, kStart, kMinute, 600, seed);
    EXPECT_GT(ok.front().temp_c, 12.0);
    for (std::size_t i = 30; i < ok.size(); ++i) {
      EXPECT_GE(ok[i].temp_c, 0.0) << seed;
      EXPECT_LE(ok[i].temp_c, 4.0) << seed;
    }
    const auto bad = temperature_stream(LoggerProfile::kChilledFailure, kStart, kMinute, 600, seed);
    for (std::size_t i = 30; i < 240; ++i) EXPECT_LE(bad[i].temp_c, 4.0) << seed;
    EXPECT_GT(bad.back().temp_c, 10.0) << seed;
    EXPECT_LT(bad.back().temp_c, 13.0) << seed;
    const std::vector<Span> warm = SpansAbove(bad, 4.0);
    EXPECT_EQ(warm.back().last, bad.size() - 1);
    EXPECT_GT(bad[warm.back().last].at - bad[warm.back().first].at, 60 * kMinute);
  }
}

// ---- Request parsing --------------------------------------------------------------------------

std::string FeedJson(const std::string& extra = "") {
  return R"({"target_url":"http://127.0.0.1:8080","api_key":"k","api_secret":"s",)"
         R"("shipment_id":42,"device_id":"LOG-1","profile":"frozen_failure")" +
         extra + "}";
}

TEST(SimTemperatureRequest, ParsesDefaultsAndOverrides) {
  const EpochMs now = kStart + 123;
  FeedRequestError error;
  auto f = parse_logger_feed(FeedJson(), now, 9, &error);
  ASSERT_TRUE(f) << error.field << ": " << error.message;
  EXPECT_EQ(f->target_url, "http://127.0.0.1:8080");
  EXPECT_EQ(f->shipment_id, 42);
  EXPECT_EQ(f->device_id, "LOG-1");
  EXPECT_EQ(f->profile, LoggerProfile::kFrozenFailure);
  EXPECT_EQ(f->interval_ms, 60'000);
  EXPECT_EQ(f->count, 600);
  EXPECT_EQ(f->batch, 500);
  EXPECT_EQ(f->seed, 9u);
  EXPECT_EQ(f->start, now - 600 * 60'000) << "the stream ends now";

  f = parse_logger_feed(
      FeedJson(R"(,"start":"2026-11-25T10:00:00+08:00","interval_s":30,"count":10,)"
               R"("batch":3,"seed":5)"),
      now, 9, &error);
  ASSERT_TRUE(f) << error.field << ": " << error.message;
  EXPECT_EQ(f->start, domain::parse_rfc3339("2026-11-25T02:00:00Z"));
  EXPECT_EQ(f->interval_ms, 30'000);
  EXPECT_EQ(f->count, 10);
  EXPECT_EQ(f->batch, 3);
  EXPECT_EQ(f->seed, 5u);

  f = parse_logger_feed(FeedJson(R"(,"start":1795000000000)"), now, 9, &error);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->start, kStart);
}

TEST(SimTemperatureRequest, BadInputNamesTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1]", "body"},
      {"{", "body"},
      {R"({"api_key":"k"})", "target_url"},
      {R"({"target_url":"ftp://x","api_key":"k","api_secret":"s"})", "target_url"},
      {R"({"target_url":"http://x:1","api_secret":"s"})", "api_key"},
      {R"({"target_url":"http://x:1","api_key":"k","api_secret":"s","shipment_id":0})",
       "shipment_id"},
      {R"({"target_url":"http://x:1","api_key":"k","api_secret":"s","shipment_id":"1"})",
       "shipment_id"},
      {R"({"target_url":"http://x:1","api_key":"k","api_secret":"s","shipment_id":1})",
       "device_id"},
      {R"({"target_url":"http://x:1","api_key":"k","api_secret":"s","shipment_id":1,)"
       R"("device_id":"LOG 1","profile":"frozen_ok"})",
       "device_id"},
      {R"({"target_url":"http://x:1","api_key":"k","api_secret":"s","shipment_id":1,)"
       R"("device_id":"LOG-1","profile":"frozen_okay"})",
       "profile"},
      {FeedJson(R"(,"interval_s":0)"), "interval_s"},
      {FeedJson(R"(,"interval_s":"60")"), "interval_s"},
      {FeedJson(R"(,"count":0)"), "count"},
      {FeedJson(R"(,"count":100001)"), "count"},
      {FeedJson(R"(,"batch":1001)"), "batch"},
      {FeedJson(R"(,"batch":2.5)"), "batch"},
      {FeedJson(R"(,"seed":-1)"), "seed"},
      {FeedJson(R"(,"start":"2026-11-25T10:00:00")"), "start"},
      {FeedJson(R"(,"start":true)"), "start"},
      {FeedJson(R"(,"interval_ms":1000)"), "interval_ms"},
  };
  for (const auto& [body, field] : cases) {
    FeedRequestError error;
    EXPECT_FALSE(parse_logger_feed(body, kStart, 1, &error)) << body;
    EXPECT_EQ(error.field, field) << body << " -> " << error.message;
    EXPECT_FALSE(error.message.empty());
  }
}

// ---- Push -------------------------------------------------------------------------------------

constexpr char kKey[] = "ak_logger";
constexpr char kSecret[] = "secret-for-loggers";

struct Seen {
  std::string target;
  std::string shipment_id;
  std::map<std::string, std::string> headers;
  std::string body;
  bool signature_ok = false;
};

// ColdTrack's temperature endpoint as a scripted receiver on a real http::Server: answers the
// queued statuses in turn (201 when the queue is empty) and records every request.
class Receiver {
 public:
  Receiver() {
    router_.add(http::beast_http::verb::post, "/api/shipments/{shipment_id}/temperatures",
                http::Access::kPublic, http::Role::kViewer,
                [this](http::Context& ctx) { return Respond(on_request(ctx)); });
    http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    server_ = std::make_unique<http::Server>(so, router_, nullptr, nullptr, pool_, metrics_,
                                             [] { return std::int64_t{0}; });
    port_ = server_->start();
  }
  ~Receiver() {
    server_->drain(0ms);
    server_->stop();
    pool_.join();
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  void answer(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    statuses_.insert(statuses_.end(), statuses);
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  static boost::asio::awaitable<http::Response> Respond(http::Response res) { co_return res; }

  http::Response on_request(http::Context& ctx) {
    Seen s;
    s.target = std::string(ctx.req.target());
    s.shipment_id = ctx.params["shipment_id"];
    for (const auto& f : ctx.req) s.headers[std::string(f.name_string())] = std::string(f.value());
    s.body = ctx.req.body();
    const auto header = [&](const char* name) { return std::string(ctx.req[name]); };
    s.signature_ok = header("X-Api-Key") == kKey &&
                     header("X-Signature") ==
                         security::sign_request(kSecret, "POST", ctx.path, ctx.raw_query,
                                                header("X-Timestamp"), header("X-Nonce"), s.body);
    int status = 201;
    {
      std::lock_guard lock(mu_);
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      seen_.push_back(std::move(s));
    }
    return http::json_response(ctx, static_cast<http::beast_http::status>(status),
                               json::object{{"status", status}});
  }

  std::mutex mu_;
  std::deque<int> statuses_;
  std::vector<Seen> seen_;
  http::Router router_;
  boost::asio::thread_pool pool_{1};
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  unsigned short port_ = 0;
};

LoggerFeed Feed(const std::string& url, int count, int batch) {
  LoggerFeed f;
  f.target_url = url;
  f.api_key = kKey;
  f.api_secret = kSecret;
  f.shipment_id = 77;
  f.device_id = "LOG-1";
  f.profile = LoggerProfile::kFrozenDoorOpen;
  f.start = kStart;
  f.interval_ms = kMinute;
  f.count = count;
  f.batch = batch;
  f.seed = 3;
  return f;
}

FeedControl Fast() {
  FeedControl c;
  c.retry_delay = 1ms;
  return c;
}

TEST(SimTemperaturePush, SplitsIntoSignedBatchesWithTheDocumentedBody) {
  Receiver receiver;
  const LoggerFeed feed = Feed(receiver.url(), 1200, 500);
  const FeedResult r = push_feed(feed, Fast());
  EXPECT_EQ(r.batches_sent, 3);
  EXPECT_EQ(r.readings_sent, 1200);
  EXPECT_EQ(r.failures, 0);
  EXPECT_EQ(r.last_status, 201);

  const auto expected =
      temperature_stream(feed.profile, feed.start, feed.interval_ms, feed.count, feed.seed);
  const std::vector<Seen> seen = receiver.seen();
  ASSERT_EQ(seen.size(), 3u);
  const std::vector<std::size_t> sizes = {500, 500, 200};
  std::size_t next = 0;
  for (std::size_t b = 0; b < seen.size(); ++b) {
    const Seen& s = seen[b];
    EXPECT_EQ(s.target, "/api/shipments/77/temperatures");
    EXPECT_EQ(s.shipment_id, "77");
    EXPECT_TRUE(s.signature_ok) << "X-Api-Key / X-Signature over the exact body";
    EXPECT_TRUE(s.headers.contains("X-Timestamp"));
    EXPECT_TRUE(s.headers.contains("X-Nonce"));
    EXPECT_EQ(s.headers.at("Content-Type"), "application/json");
    EXPECT_EQ(s.headers.at("Idempotency-Key"), fmt::format("LOG-1-77-{}", expected[next].at));

    const json::object body = json::parse(s.body).as_object();
    EXPECT_EQ(body.size(), 2u);
    EXPECT_EQ(body.at("device_id").as_string(), "LOG-1");
    const json::array& readings = body.at("readings").as_array();
    ASSERT_EQ(readings.size(), sizes[b]);
    for (const json::value& v : readings) {
      const json::object& o = v.as_object();
      EXPECT_EQ(o.size(), 2u);
      const std::string at(o.at("at").as_string());
      EXPECT_TRUE(at.ends_with("+08:00")) << at;
      EXPECT_EQ(domain::parse_rfc3339(at), expected[next].at);
      EXPECT_NEAR(o.at("temp_c").to_number<double>(), expected[next].temp_c, 1e-9);
      ++next;
    }
  }
  EXPECT_EQ(next, expected.size());
  // Plain decimals, e.g. "temp_c":-21.3 (not exponent notation).
  EXPECT_EQ(seen[0].body.find('E'), std::string::npos);
  EXPECT_NE(seen[0].body.find(R"({"at":"2026-11-18T19:06:40+08:00","temp_c":)"), std::string::npos)
      << seen[0].body.substr(0, 120);
}

TEST(SimTemperaturePush, RetriesConnectionErrorsAnd5xxButStopsOn4xx) {
  {
    Receiver receiver;
    receiver.answer({500, 503, 201, 502});
    const FeedResult r = push_feed(Feed(receiver.url(), 10, 4), Fast());
    EXPECT_EQ(r.batches_sent, 3);
    EXPECT_EQ(r.readings_sent, 10);
    EXPECT_EQ(r.failures, 3);
    const auto seen = receiver.seen();
    ASSERT_EQ(seen.size(), 6u);
    // The retries of a batch repeat it with the same Idempotency-Key and body, freshly signed.
    EXPECT_EQ(seen[0].body, seen[2].body);
    EXPECT_EQ(seen[0].headers.at("Idempotency-Key"), seen[2].headers.at("Idempotency-Key"));
    EXPECT_NE(seen[0].headers.at("X-Nonce"), seen[1].headers.at("X-Nonce"));
    EXPECT_EQ(seen[3].body, seen[4].body);
    EXPECT_NE(seen[4].body, seen[5].body);
    for (const Seen& s : seen) EXPECT_TRUE(s.signature_ok);
  }
  {
    Receiver receiver;  // a batch that keeps failing: 1 try + 3 retries, then the feed stops
    receiver.answer({201, 500, 500, 500, 500});
    const FeedResult r = push_feed(Feed(receiver.url(), 10, 4), Fast());
    EXPECT_EQ(r.batches_sent, 1);
    EXPECT_EQ(r.readings_sent, 4);
    EXPECT_EQ(r.failures, 4);
    EXPECT_EQ(r.last_status, 500);
    EXPECT_EQ(receiver.seen().size(), 5u);
  }
  {
    Receiver receiver;  // 4xx: not retried, later batches not sent
    receiver.answer({201, 400});
    const FeedResult r = push_feed(Feed(receiver.url(), 10, 4), Fast());
    EXPECT_EQ(r.batches_sent, 1);
    EXPECT_EQ(r.readings_sent, 4);
    EXPECT_EQ(r.failures, 1);
    EXPECT_EQ(r.last_status, 400);
    EXPECT_NE(r.last_body.find("400"), std::string::npos) << r.last_body;
    EXPECT_EQ(receiver.seen().size(), 2u);
  }
  {
    std::string closed;
    {
      Receiver gone;
      closed = gone.url();
    }
    const FeedResult r = push_feed(Feed(closed, 10, 4), Fast());
    EXPECT_EQ(r.batches_sent, 0);
    EXPECT_EQ(r.failures, 4) << "connection refused: tried 4 times";
    EXPECT_EQ(r.last_status, 0);
    EXPECT_FALSE(r.last_body.empty());
  }
}

TEST(SimTemperaturePush, ProgressCancelAndBadTarget) {
  Receiver receiver;
  receiver.answer({500, 500, 500, 500});
  std::atomic<bool> cancel{false};
  std::vector<int> statuses;
  FeedControl c;
  c.retry_delay = 5s;
  c.cancel = &cancel;
  c.progress = [&](const FeedResult& r) {
    statuses.push_back(r.last_status);
    cancel = true;  // stop during the first back-off
  };
  const auto t0 = std::chrono::steady_clock::now();
  const FeedResult r = push_feed(Feed(receiver.url(), 10, 4), c);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(statuses, std::vector<int>{500});
  EXPECT_EQ(r.failures, 1);
  EXPECT_EQ(receiver.seen().size(), 1u);

  const FeedResult bad = push_feed(Feed("https://example.com", 10, 4), Fast());
  EXPECT_EQ(bad.failures, 1);
  EXPECT_EQ(bad.batches_sent, 0);
  EXPECT_NE(bad.last_body.find("target_url"), std::string::npos);
}

// ---- The simulator's control route ------------------------------------------------------------

SimOptions Options() {
  SimOptions o;
  o.time_scale = 0;
  o.tick = 10ms;
  return o;
}

json::object Get(http::Client& client, const std::string& target) {
  const auto res = client.request("GET", target);
  EXPECT_EQ(res.status, 200) << res.body;
  return json::parse(res.body).as_object();
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

TEST(SimTemperatureRoute, AcceptsAFeedAndReportsItDone) {
  Receiver receiver;
  Simulator sim(Options());
  http::Client client("127.0.0.1", sim.start());
  const std::string body =
      fmt::format(R"({{"target_url":"{}","api_key":"{}","api_secret":"{}","shipment_id":5,)"
                  R"("device_id":"LOG-9","profile":"chilled_failure","interval_s":120,"count":250,)"
                  R"("batch":100,"seed":4}})",
                  receiver.url(), kKey, kSecret);
  const auto res = client.request("POST", "/sim/loggers", body);
  ASSERT_EQ(res.status, 202) << res.body;
  EXPECT_EQ(json::parse(res.body).as_object().at("accepted"), json::value(true));

  json::object feed;
  ASSERT_TRUE(WaitFor([&] {
    const json::array feeds = Get(client, "/sim/loggers").at("feeds").as_array();
    if (feeds.size() != 1) return false;
    feed = feeds[0].as_object();
    return feed.at("state").as_string() == "done";
  })) << json::serialize(feed);
  EXPECT_EQ(feed.at("shipment_id").to_number<int>(), 5);
  EXPECT_EQ(feed.at("device_id").as_string(), "LOG-9");
  EXPECT_EQ(feed.at("profile").as_string(), "chilled_failure");
  EXPECT_EQ(feed.at("batches_sent").to_number<int>(), 3);
  EXPECT_EQ(feed.at("readings_sent").to_number<int>(), 250);
  EXPECT_EQ(feed.at("failures").to_number<int>(), 0);
  EXPECT_EQ(feed.at("last_status").to_number<int>(), 201);

  const auto seen = receiver.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].target, "/api/shipments/5/temperatures");
  EXPECT_TRUE(seen[0].signature_ok);
  // Default start: the stream ends now (wall clock).
  const json::array readings = json::parse(seen[2].body).at("readings").as_array();
  const auto last = domain::parse_rfc3339(readings.back().at("at").as_string());
  ASSERT_TRUE(last);
  const EpochMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LE(*last, now);
  EXPECT_GT(*last, now - 10 * kMinute);
}

TEST(SimTemperatureRoute, BadInputIs400NamingTheField) {
  Simulator sim(Options());
  http::Client client("127.0.0.1", sim.start());
  const auto res = client.request(
      "POST", "/sim/loggers",
      R"({"target_url":"http://127.0.0.1:1","api_key":"k","api_secret":"s","shipment_id":1,)"
      R"("device_id":"LOG-1","profile":"deep_frozen"})");
  ASSERT_EQ(res.status, 400) << res.body;
  const json::object err = json::parse(res.body).at("error").as_object();
  EXPECT_EQ(err.at("code").as_string(), "invalid_argument");
  EXPECT_EQ(err.at("field").as_string(), "profile");
  EXPECT_TRUE(Get(client, "/sim/loggers").at("feeds").as_array().empty());
}

TEST(SimTemperatureRoute, StopCancelsAndJoinsRunningFeeds) {
  std::string closed;
  {
    Receiver gone;
    closed = gone.url();
  }
  Simulator sim(Options());
  http::Client client("127.0.0.1", sim.start());
  // Every batch fails (connection refused) and waits 250 ms, 500 ms, 1 s before its retries.
  const auto res = client.request(
      "POST", "/sim/loggers",
      fmt::format(R"({{"target_url":"{}","api_key":"k","api_secret":"s","shipment_id":1,)"
                  R"("device_id":"LOG-1","profile":"frozen_ok"}})",
                  closed));
  ASSERT_EQ(res.status, 202) << res.body;
  ASSERT_TRUE(WaitFor([&] {
    const json::array feeds = Get(client, "/sim/loggers").at("feeds").as_array();
    return feeds.size() == 1 && feeds[0].at("failures").to_number<int>() >= 1;
  }));
  const json::object running = Get(client, "/sim/loggers").at("feeds").as_array()[0].as_object();
  EXPECT_EQ(running.at("state").as_string(), "running");
  EXPECT_EQ(running.at("last_status").to_number<int>(), 0);
  const auto t0 = std::chrono::steady_clock::now();
  sim.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace coldtrack::sim
