// The built-in carrier simulator (protocols/README.md "The built-in simulator"): plays Kdniao
// and Kuaidi100 over their exact wire protocols (and Cainiao's LINK gateway, query only), so
// ColdTrack's real adapters run unchanged against it; only base URLs and keys differ. It verifies
// every signature it receives, signs every push it sends, scripts deterministic cold-chain routes
// per waybill, and injects the failure cases the protocol documents list on demand.
//
// Endpoints (paths under the simulator's base URL, e.g. http://127.0.0.1:PORT):
//   POST /kdniao/Ebusiness/EbusinessOrderHandle.aspx  Kdniao instant query (RequestType
//                                                      1002/8001/8002)
//   POST /kdniao/api/dist                              Kdniao subscription (1008/8008)
//   POST /kuaidi100/poll/query.do                      Kuaidi100 real-time query
//   POST /kuaidi100/poll                               Kuaidi100 subscription (schema=json)
//   POST /cainiao/gateway/link.do                      Cainiao LINK gateway, query only
//
// Cainiao (carriers-cainiao.md): the envelope and signature are the confirmed ones, the
// business layer is ColdTrack's own PLACEHOLDER schema (the defaults of cainiao::CainiaoMapping),
// because the real tracking API is unknown. Cainiao push is unconfirmed and not simulated.
//   Request: form msg_type, logistic_provider_id (= SimOptions::cainiao_app_key),
//   logistics_interface, data_digest (= Base64(raw MD5(logistics_interface +
//   SimOptions::cainiao_secret_key))), optional to_code (accepted, ignored). The form is decoded
//   once ('+' = space, %XX); msg_type must be COLDTRACK_PLACEHOLDER_TRACE_QUERY and
//   logistics_interface the placeholder JSON {"cpCode","mailNo","phoneLast4"}.
//   Success: {"success":true,"data":{"cpCode","mailNo","status","reason"?,"traces":[{"time",
//   "desc","city","status"}]}}, statuses in ColdTrack's own codes ("IN_TRANSIT", "DELIVERED",
//   "EXCEPTION" + data.reason) from the same script as the other providers; no traces yet:
//   status "NO_INFO", traces [].
//   Failures (HTTP 200, the LINK shape {"success":false,"errorCode","errorMsg"}):
//     S02               data_digest mismatch or logistics_interface not a JSON object
//                       (documented; permanent)
//     INVALID_PROVIDER  logistic_provider_id is not cainiao_app_key (permanent)
//     UNKNOWN_MSG_TYPE  msg_type is not the placeholder query API (permanent)
//     PARAM_ERROR       form undecodable / a field missing / cpCode or mailNo empty (permanent)
//     FLOW_LIMIT        the rate_limit fault; errorMsg says "system busy" (retryable)
//   The codes other than S02 are the simulator's own (Cainiao's real ones are unknown).
// Control (JSON; for tests, benchmarks and demos):
//   POST /sim/faults
//   {"provider":"kdniao"|"kuaidi100"|"cainiao","mode":"timeout"|"http500"|"malformed"|
//                       "bad_signature"|"duplicate"|"out_of_order"|"rate_limit","count":N}
//   POST /sim/reset    forget waybills, subscriptions, queued pushes, faults, stats and the
//                      clock offset
//   GET  /sim/stats    call/push counters per provider, simulated time
//   POST /sim/advance  {"seconds":N}: move simulated time forward (pushes follow at once)
//   GET  /sim/health   {"ok":true}
//   POST /sim/loggers  start a cold-chain logger feed (sim/temperature.h) on its own thread:
//                      {"target_url":"http://127.0.0.1:8080","api_key","api_secret",
//                      "shipment_id":N,"device_id":"LOG-1","profile":"frozen_door_open",
//                      "start"?: RFC 3339 or epoch ms (default: wall-clock now - count *
//                      interval), "interval_s"?:60,"count"?:600,"batch"?:500,"seed"?:N}
//                      -> 202 {"accepted":true,"id":N}; bad input -> 400 naming the field
//   GET  /sim/loggers  {"feeds":[{"id","shipment_id","device_id","profile","state":"running"|
//                      "done","count","batches_sent","readings_sent","failures","last_status"}]}
//                      stop() cancels running feeds (an attempt in flight finishes) and joins
//
// Faults queue per provider and each one is used up by the next event it applies to:
//   timeout       query/subscribe: held for SimOptions::fault_delay, then HTTP 504, empty body;
//                 push: the attempt is dropped (counts as failed, retried with backoff)
//   http500       query/subscribe: HTTP 500 with an HTML body
//   malformed     query/subscribe: HTTP 200 with truncated JSON; push: correctly signed but
//                 truncated RequestData/param (retries send the good body)
//   bad_signature query/subscribe: refused as if the signature/key were wrong (documented
//                 failure); push: signed with a wrong ApiKey/salt (retries are signed right)
//   duplicate     push: the same push is sent twice
//   out_of_order  push: an older snapshot is sent right after the current one;
//                 query: answers with the previous (stale) snapshot
//   rate_limit    query/subscribe: the provider's "too frequent" failure (retryable)
// Cainiao has queries only, so its push-only faults (duplicate) are never used up.
//
// Wiring into the CLI (src/app/main.cc, not done here), flags wanted for `coldtrack sim`:
//   --host 127.0.0.1 --port 0 (0 = pick one and print it)
//   --time-scale 60 (simulated seconds per real second)  --seed 1
//   --kdniao-ebusiness-id ID --kdniao-api-key KEY --kdniao-callback-url URL
//   --kuaidi100-customer C --kuaidi100-key K --kuaidi100-salt S --kuaidi100-callback-url URL
//   --cainiao-app-key K --cainiao-secret-key S
//   --fault-delay-ms 15000 --push-timeout-ms 20000
//   -c/--config FILE: default the keys from carriers.{kdniao,kuaidi100,cainiao}.* and the
//   callback URLs from carriers.callback_base_url + /api/callbacks/{kdniao,kuaidi100}
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "domain/time.h"

namespace coldtrack::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string kdniao_ebusiness_id, kdniao_api_key;
  std::string kuaidi100_customer, kuaidi100_key, kuaidi100_salt;
  // Cainiao LINK: logistic_provider_id and the data_digest secret (query only).
  std::string cainiao_app_key, cainiao_secret_key;
  // Kdniao registers the push URL per account, so it comes from here. Kuaidi100 pushes to the
  // callbackurl of each subscription; a non-empty kuaidi100_callback_url overrides it (useful
  // when ColdTrack advertises an address the simulator cannot reach). kuaidi100_salt signs
  // pushes for subscriptions that carry no salt of their own.
  std::string kdniao_callback_url, kuaidi100_callback_url;
  // WeChat (base URL <sim>/wechat): the mini-program's credentials it accepts.
  std::string wechat_appid = "wx0000000000000001", wechat_secret = "sim-wechat-secret";
  double time_scale = 60.0; /* simulated seconds per real second; 0 = only /sim/advance */
  std::uint64_t seed = 1;
  // How long a "timeout" fault holds a call before answering 504 (longer than ColdTrack's
  // outbound timeout by default).
  std::chrono::milliseconds fault_delay{15000};
  // How long a push waits for the receiver's reply (Kuaidi100: 20 s, carriers-kuaidi100.md §2).
  std::chrono::milliseconds push_timeout{20000};
  // Real-time period of the push timer.
  std::chrono::milliseconds tick{250};
  int io_threads = 1;
};

class Simulator {
 public:
  explicit Simulator(SimOptions options);
  ~Simulator();  // stops
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds (port 0 = any free port), starts the I/O threads and the push timer; returns the port.
  unsigned short start();
  // Stops the push timer and the server. Idempotent.
  void stop();

  unsigned short port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // The control endpoints, callable in-process.
  domain::EpochMs now() const;  // simulated time
  void advance(std::chrono::seconds by);
  void reset();
  boost::json::object stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a simulator until SIGTERM/SIGINT; prints its base URL. Returns the process exit code.
int run_simulator(const SimOptions& options);

}  // namespace coldtrack::sim
