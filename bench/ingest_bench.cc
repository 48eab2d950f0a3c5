// Carrier push ingest: how many carrier snapshots per second ColdTrack acknowledges, beside a raw
// SQLite loop inserting the same rows, measured in the same run (one process).
//
//   ColdTrack: wired as `coldtrack serve` wires the push path: the store from app::open_store
//              with the configuration `serve` reads without a file (defaults, then COLDTRACK_*
//              variables: SQLite, WAL, store.sqlite.synchronous), OrderService, TrackingService
//              with the anomaly check after every applied snapshot, the real http::Server with
//              `serve`'s routes, worker pool and limits, on loopback. N orders are created, paid
//              and shipped through OrderService (SF/ZTO/YTO/JD in turn). Then every shipment gets
//              one push per round, a complete form body in its provider's wire format, built and
//              signed here from protocols/ (Kdniao: RequestData + RequestType=101 + DataSign =
//              Base64(hex MD5(RequestData + ApiKey)); Kuaidi100: param + sign =
//              HEX(MD5(param + salt))), checked at start against the documents' vectors. CONNS
//              keep-alive connections (Boost.Beast, one client thread) send them; a push counts
//              when its reply is the protocol's success reply (Kdniao: Success true; Kuaidi100:
//              exactly {"result":true,"returnCode":"200","message":"成功"}).
//              Round 1 (first snapshot): 3 traces, IN_TRANSIT, the order moves SHIPPED ->
//              IN_TRANSIT. Round 2 (update): the same snapshot plus a newer 4th trace, status
//              unchanged.
//   raw:       a copy of the database taken after loading (VACUUM INTO: the same schema, indexes
//              and rows), opened with the same journal mode and synchronous setting; per
//              snapshot, in one BEGIN IMMEDIATE transaction, the exact rows ColdTrack wrote for it
//              (read from its database after each round: the shipment_tracking upsert with the
//              store's own SQL, tracking_events, the order update, order_events, outbox), with
//              prepared statements in a tight loop, after each ColdTrack round, on the same core.
// After each round every shipment's tracking (status, trace count, newest trace time, provider)
// and its order's status are read back through the store API; a failed push or a mismatch exits
// 1. Printed: a Markdown table as bench/run prints, and what helps to judge it (CPU per snapshot,
// core 0 use by other processes, the disk's fdatasync time between the phases, load average).
//
// Usage: ingest_bench [SHIPMENTS=10000]
// Environment: CONNS (client connections, default 16), PROVIDER (mixed|kdniao|kuaidi100, default
//   mixed: Kdniao and Kuaidi100 in turn), PIN (default 1: ColdTrack and the raw loop on core 0,
//   the client on core 1, as bench/run; 0: unpinned), ANOMALY_CHECK (default 1; 0 leaves out the
//   anomaly check after each snapshot, to show its cost), COLDTRACK_* (configuration, as for
//   `serve`), INGEST_COMMAND (the command shown).
#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "anomaly/rules.h"
#include "app/app.h"
#include "app/config.h"
#include "cache/nonce_cache.h"
#include "cache/rate_limiter.h"
#include "carriers/kdniao/kdniao.h"
#include "carriers/kuaidi100/kuaidi100.h"
#include "eta/eta.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "security/crypto.h"
#include "service/eta_service.h"
#include "service/monitor_service.h"
#include "service/order_service.h"
#include "service/pii.h"
#include "service/tracking_service.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;
using asio::ip::tcp;
using coldtrack::domain::EpochMs;
using Steady = std::chrono::steady_clock;

constexpr EpochMs kHourMs = 3'600'000;
constexpr std::string_view kFormType = "application/x-www-form-urlencoded;charset=utf-8";
constexpr std::string_view kKuaidi100Success =
    R"({"result":true,"returnCode":"200","message":"成功"})";

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

EpochMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void pin_to(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// ---- Signing and wire format, from protocols/ (independent of the adapters) ------------------

std::string md5_hex(std::string_view data, bool upper) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 15];
  }
  return out;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Kdniao: Base64(lowercase_hex(MD5(RequestData + ApiKey))) (carriers-kdniao.md §3, §7).
std::string kdniao_sign(std::string_view request_data, std::string_view api_key) {
  return base64(md5_hex(std::string(request_data) + std::string(api_key), false));
}

// Kuaidi100 push: UPPERCASE_HEX(MD5(param + salt)) (carriers-kuaidi100.md §2).
std::string kuaidi100_sign(std::string_view param, std::string_view salt) {
  return md5_hex(std::string(param) + std::string(salt), true);
}

// application/x-www-form-urlencoded value: ALPHA / DIGIT / "*-._" kept, space as '+', every
// other byte %XX.
std::string form_value(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(v.size() * 3);
  for (const unsigned char c : v) {
    if (std::isalnum(c) || c == '*' || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// China time (UTC+8, no zone), as both carriers write trace times.
std::string china_time(EpochMs ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

struct Trace {
  std::string time;  // China time text
  std::string station, location;
  std::string kdniao_action;                     // Kdniao per-trace Action
  std::string kuaidi100_status, kuaidi100_code;  // Kuaidi100 status text and statusCode
};

struct KdniaoItem {
  std::string shipper_code, logistic_code, state, state_ex;
  std::vector<Trace> traces;  // oldest first
};

// RequestData of a Kdniao push (carriers-kdniao.md §7): the same shape as the document's vector.
std::string kdniao_request_data(std::string_view ebusiness_id, std::string_view push_time,
                                const std::vector<KdniaoItem>& items) {
  json::object root;
  root["EBusinessID"] = ebusiness_id;
  root["PushTime"] = push_time;
  root["Count"] = std::to_string(items.size());
  json::array data;
  for (const auto& it : items) {
    json::object o;
    o["EBusinessID"] = ebusiness_id;
    o["ShipperCode"] = it.shipper_code;
    o["LogisticCode"] = it.logistic_code;
    o["Success"] = true;
    o["Reason"] = "";
    o["State"] = it.state;
    o["StateEx"] = it.state_ex;
    json::array traces;
    for (const auto& t : it.traces) {
      traces.push_back(json::object{{"AcceptTime", t.time},
                                    {"AcceptStation", t.station},
                                    {"Location", t.location},
                                    {"Action", t.kdniao_action}});
    }
    o["Traces"] = std::move(traces);
    data.push_back(std::move(o));
  }
  root["Data"] = std::move(data);
  return json::serialize(root);
}

// `param` of a Kuaidi100 push (carriers-kuaidi100.md §2): status polling, data newest first.
std::string kuaidi100_param(std::string_view com, std::string_view nu, std::string_view state,
                            const std::vector<Trace>& oldest_first) {
  json::array data;
  for (auto it = oldest_first.rbegin(); it != oldest_first.rend(); ++it) {
    data.push_back(json::object{{"time", it->time},
                                {"ftime", it->time},
                                {"context", it->station},
                                {"location", it->location},
                                {"status", it->kuaidi100_status},
                                {"statusCode", it->kuaidi100_code}});
  }
  json::object last;
  last["message"] = "ok";
  last["nu"] = nu;
  last["ischeck"] = "0";
  last["condition"] = "F00";
  last["com"] = com;
  last["status"] = "200";
  last["state"] = state;
  last["data"] = std::move(data);
  json::object root;
  root["status"] = "polling";
  root["message"] = "";
  root["autoCheck"] = "0";
  root["comOld"] = "";
  root["comNew"] = "";
  root["lastResult"] = std::move(last);
  return json::serialize(root);
}

std::string kdniao_form(const std::string& request_data, std::string_view api_key) {
  return "RequestData=" + form_value(request_data) +
         "&RequestType=101&DataSign=" + form_value(kdniao_sign(request_data, api_key));
}

std::string kuaidi100_form(const std::string& param, std::string_view salt) {
  return "param=" + form_value(param) + "&sign=" + kuaidi100_sign(param, salt);
}

// The builders and signatures above against the documents' vectors, byte for byte.
bool self_test() {
  bool ok = true;
  auto expect = [&ok](std::string_view what, const std::string& got, std::string_view want) {
    if (got != want) {
      std::fprintf(stderr, "self-test %.*s: got %s\n", static_cast<int>(what.size()), what.data(),
                   got.c_str());
      ok = false;
    }
  };
  // carriers-kdniao.md §3, golden vector (verified).
  expect("kdniao DataSign golden",
         kdniao_sign("{'OrderCode':'','ShipperCode':'SF','LogisticCode':'118954907573'}",
                     "56da2cf8-c8a2-44b2-b6fa-476cd7d1ba17"),
         "OWFhM2I5N2ViM2U2MGRkMjc4YzU2NmVlZWI3ZDk0MmE=");
  // carriers-kdniao.md §7, derived push vector.
  const std::string kd = kdniao_request_data(
      "1237100", "2026-11-25 13:05:00",
      {{"SF",
        "SF1234567890123",
        "2",
        "202",
        {{"2026-11-24 18:00:00", "顺丰速运 已收取快件", "上海市", "1", "", ""},
         {"2026-11-25 08:30:00", "快件交给张三，正在派送途中", "杭州市", "202", "", ""}}}});
  expect(
      "kdniao push RequestData", kd,
      R"({"EBusinessID":"1237100","PushTime":"2026-11-25 13:05:00","Count":"1","Data":[{"EBusinessID":"1237100","ShipperCode":"SF","LogisticCode":"SF1234567890123","Success":true,"Reason":"","State":"2","StateEx":"202","Traces":[{"AcceptTime":"2026-11-24 18:00:00","AcceptStation":"顺丰速运 已收取快件","Location":"上海市","Action":"1"},{"AcceptTime":"2026-11-25 08:30:00","AcceptStation":"快件交给张三，正在派送途中","Location":"杭州市","Action":"202"}]}]})");
  expect("kdniao push DataSign", kdniao_sign(kd, "56da2cf8-c8a2-44b2-b6fa-476cd7d1ba17"),
         "N2FiNTQwNzgwODg5MjFhNTVmODg0MjM1ODQ2Yjc4NzY=");
  // carriers-kuaidi100.md §2, derived push vector.
  const std::string k100 = kuaidi100_param(
      "yuantong", "YT0000000000001", "5",
      {{"2026-11-24 18:00:00", "【上海市】已揽收", "上海市", "", "揽收", "1"},
       {"2026-11-25 08:30:00", "【杭州市】快件已到达，快递员正在派送", "杭州市", "", "派件", "5"}});
  expect(
      "kuaidi100 push param", k100,
      R"({"status":"polling","message":"","autoCheck":"0","comOld":"","comNew":"","lastResult":{"message":"ok","nu":"YT0000000000001","ischeck":"0","condition":"F00","com":"yuantong","status":"200","state":"5","data":[{"time":"2026-11-25 08:30:00","ftime":"2026-11-25 08:30:00","context":"【杭州市】快件已到达，快递员正在派送","location":"杭州市","status":"派件","statusCode":"5"},{"time":"2026-11-24 18:00:00","ftime":"2026-11-24 18:00:00","context":"【上海市】已揽收","location":"上海市","status":"揽收","statusCode":"1"}]}})");
  expect("kuaidi100 push sign", kuaidi100_sign(k100, "testsalt"),
         "06C276717609E58ACF9D604593C618F6");
  return ok;
}

// ---- Shipments and their pushes ----------------------------------------------------------------

struct CarrierPick {
  const char* code;       // canonical
  const char* kuaidi100;  // com (Kdniao's ShipperCode is the canonical code for these four)
  const char* name;
  const char* prefix;
  int digits;
};
constexpr std::array<CarrierPick, 4> kCarriers = {{{"SF", "shunfeng", "顺丰速运", "SF", 13},
                                                   {"ZTO", "zhongtong", "中通快递", "7", 11},
                                                   {"YTO", "yuantong", "圆通速递", "YT", 13},
                                                   {"JD", "jd", "京东物流", "JDV", 12}}};

struct Parcel {
  std::string order_no, waybill_no;
  const CarrierPick* carrier = nullptr;
  bool kdniao = true;  // else Kuaidi100
  EpochMs t0 = 0;      // first trace time (whole seconds)
};

// Round 1: picked up, left the origin hub, arrived at a transfer hub (IN_TRANSIT). Round 2 adds
// the arrival at the delivery branch (still IN_TRANSIT).
std::vector<Trace> traces_for(const Parcel& p, int round) {
  std::vector<Trace> t = {
      {china_time(p.t0), fmt::format("【上海市】{} 已收取快件", p.carrier->name), "上海市", "1",
       "揽收", "103"},
      {china_time(p.t0 + 3 * kHourMs), "快件已从【上海转运中心】发出，准备发往【杭州转运中心】",
       "上海市", "206", "在途", "1002"},
      {china_time(p.t0 + 8 * kHourMs), "快件已到达【杭州转运中心】", "杭州市", "204", "在途",
       "1002"}};
  if (round == 2)
    t.push_back({china_time(p.t0 + 9 * kHourMs + 40 * 60'000), "快件已到达【杭州西湖区营业部】",
                 "杭州市", "205", "在途", "1001"});
  return t;
}

EpochMs newest_trace_ms(const Parcel& p, int round) {
  return round == 1 ? p.t0 + 8 * kHourMs : p.t0 + 9 * kHourMs + 40 * 60'000;
}

struct Keys {
  std::string kdniao_ebusiness_id, kdniao_api_key, kuaidi100_customer, kuaidi100_key,
      kuaidi100_salt;
};

struct Push {
  std::size_t parcel;
  bool kdniao;
  std::string wire;  // the complete HTTP/1.1 request
};

Push make_push(const Parcel& p, std::size_t index, int round, const Keys& keys,
               const std::string& host) {
  const auto traces = traces_for(p, round);
  std::string target, body;
  if (p.kdniao) {
    const std::string rd = kdniao_request_data(
        keys.kdniao_ebusiness_id, china_time(wall_ms()),
        {{p.carrier->code, p.waybill_no, "2", traces.back().kdniao_action, traces}});
    target = "/api/callbacks/kdniao";
    body = kdniao_form(rd, keys.kdniao_api_key);
  } else {
    const std::string param = kuaidi100_param(p.carrier->kuaidi100, p.waybill_no, "0", traces);
    target = "/api/callbacks/kuaidi100";
    body = kuaidi100_form(param, keys.kuaidi100_salt);
  }
  std::string wire = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ingest-bench\r\nContent-Type: {}\r\n"
      "Content-Length: {}\r\nConnection: keep-alive\r\n\r\n",
      target, host, kFormType, body.size());
  wire += body;
  return Push{index, p.kdniao, std::move(wire)};
}

// ---- The client ---------------------------------------------------------------------------------

struct RoundResult {
  std::vector<double> latency_ms;  // per push, -1 when it failed
  std::size_t ok = 0, failed = 0;
  double seconds = 0;
  std::vector<std::string> errors;  // the first few
  std::size_t request_bytes = 0, reply_bytes = 0;
  double client_cpu_s = 0;   // the client thread's CPU time
  double process_cpu_s = 0;  // the whole process (ColdTrack + client) during the round
  double core0_busy_s = 0;   // core 0 busy time (every process) during the round
};

// CPU seconds (user + system) of the process or of the calling thread.
double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Busy seconds of one core from /proc/stat (user, nice, system, irq, softirq, steal).
double core_busy_seconds(int cpu) {
  std::ifstream in("/proc/stat");
  const std::string tag = fmt::format("cpu{} ", cpu);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(tag)) continue;
    std::istringstream f(line.substr(tag.size()));
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    f >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    return (user + nice + system + irq + softirq + steal) /
           static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

// The disk as other work leaves it: median time of a 4 KiB write + fdatasync, 100 times.
double fdatasync_probe_ms(const fs::path& dir) {
  const std::string path = (dir / "probe").string();
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  if (fd < 0) return -1;
  const std::string block(4096, 'x');
  std::vector<double> ms;
  for (int i = 0; i < 100; ++i) {
    const auto t0 = Steady::now();
    if (::pwrite(fd, block.data(), block.size(), 0) < 0) break;
    ::fdatasync(fd);
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (ms.empty()) return -1;
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void fail(RoundResult& r, const std::string& what) {
  ++r.failed;
  if (r.errors.size() < 5) r.errors.push_back(what);
}

bool success_reply(const Push& p, const bhttp::response<bhttp::string_body>& res,
                   const Keys& keys) {
  if (res.result() != bhttp::status::ok) return false;
  if (!p.kdniao) return res.body() == kKuaidi100Success;
  boost::system::error_code ec;
  const auto v = json::parse(res.body(), ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  const auto* success = o.if_contains("Success");
  const auto* id = o.if_contains("EBusinessID");
  return success && success->is_bool() && success->get_bool() && id && id->is_string() &&
         id->get_string() == keys.kdniao_ebusiness_id;
}

asio::awaitable<void> connection(tcp::endpoint ep, const std::vector<Push>& pushes,
                                 std::size_t& next, RoundResult& r, const Keys& keys) {
  tcp::socket sock(co_await asio::this_coro::executor);
  beast::flat_buffer buf;
  const auto tuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    const std::size_t i = next++;
    if (i >= pushes.size()) break;
    const Push& p = pushes[i];
    const auto t0 = Steady::now();
    if (!sock.is_open()) {
      buf.clear();
      auto [ec] = co_await sock.async_connect(ep, tuple);
      if (ec) {
        fail(r, "connect: " + ec.message());
        sock.close();
        continue;
      }
      sock.set_option(tcp::no_delay(true));
    }
    auto [wec, written] = co_await asio::async_write(sock, asio::buffer(p.wire), tuple);
    if (wec) {
      fail(r, "write: " + wec.message());
      sock.close();
      continue;
    }
    bhttp::response<bhttp::string_body> res;
    auto [rec, read] = co_await bhttp::async_read(sock, buf, res, tuple);
    if (rec) {
      fail(r, "read: " + rec.message());
      sock.close();
      continue;
    }
    r.request_bytes += written;
    r.reply_bytes += read;
    if (!success_reply(p, res, keys)) {
      fail(r, fmt::format("{} reply {}: {}", p.kdniao ? "kdniao" : "kuaidi100", res.result_int(),
                          res.body().substr(0, 200)));
    } else {
      r.latency_ms[i] = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      ++r.ok;
    }
    if (!res.keep_alive()) sock.close();
  }
  boost::system::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
}

RoundResult deliver(const tcp::endpoint& ep, const std::vector<Push>& pushes, int conns, int cpu,
                    const Keys& keys) {
  RoundResult r;
  r.latency_ms.assign(pushes.size(), -1);
  const double cpu0 = cpu_seconds(RUSAGE_SELF);
  const double core0 = core_busy_seconds(0);
  std::thread client([&] {
    pin_to(cpu);
    asio::io_context io(1);
    std::size_t next = 0;
    const double cpu0 = cpu_seconds(RUSAGE_THREAD);
    const auto t0 = Steady::now();
    for (int c = 0; c < conns; ++c)
      asio::co_spawn(io, connection(ep, pushes, next, r, keys), asio::detached);
    io.run();
    r.seconds = seconds_since(t0);
    r.client_cpu_s = cpu_seconds(RUSAGE_THREAD) - cpu0;
  });
  client.join();
  r.process_cpu_s = cpu_seconds(RUSAGE_SELF) - cpu0;
  r.core0_busy_s = core_busy_seconds(0) - core0;
  return r;
}

struct Percentiles {
  double p50 = 0, p99 = 0;
};
Percentiles percentiles(std::vector<double> v) {
  std::erase_if(v, [](double x) { return x < 0; });
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&v](double q) {
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
  };
  return {at(0.50), at(0.99)};
}

// ---- ColdTrack's rows, read back, and the raw loop ---------------------------------------------

class Sqlite {
 public:
  Sqlite(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Sqlite() {
    for (auto* s : stmts_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;
  sqlite3* raw() { return db_; }
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(sql.substr(0, 60) + ": " + msg);
    }
  }
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error("prepare: " + std::string(sqlite3_errmsg(db_)) + ": " + sql);
    stmts_.push_back(s);
    return s;
  }
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    std::int64_t v = 0;
    if (s && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    std::string v;
    if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

// A column value as SQLite stored it (NULL, integer or text).
struct Value {
  enum { kNull, kInt, kText } type = kNull;
  std::int64_t i = 0;
  std::string s;
};
Value column(sqlite3_stmt* s, int col) {
  Value v;
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_NULL:
      break;
    case SQLITE_INTEGER:
      v.type = Value::kInt;
      v.i = sqlite3_column_int64(s, col);
      break;
    default:
      v.type = Value::kText;
      v.s.assign(static_cast<const char*>(sqlite3_column_blob(s, col)),
                 static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
  }
  return v;
}
void bind(sqlite3_stmt* s, int idx, const Value& v) {
  if (v.type == Value::kNull)
    sqlite3_bind_null(s, idx);
  else if (v.type == Value::kInt)
    sqlite3_bind_int64(s, idx, v.i);
  else
    sqlite3_bind_text(s, idx, v.s.data(), static_cast<int>(v.s.size()), SQLITE_STATIC);
}
using Row = std::vector<Value>;
std::vector<Row> rows(Sqlite& db, const std::string& sql) {
  std::vector<Row> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db.raw(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    throw std::runtime_error("prepare: " + std::string(sqlite3_errmsg(db.raw())));
  while (sqlite3_step(s) == SQLITE_ROW) {
    Row r;
    for (int c = 0; c < sqlite3_column_count(s); ++c) r.push_back(column(s, c));
    out.push_back(std::move(r));
  }
  sqlite3_finalize(s);
  return out;
}

// What ColdTrack wrote for one snapshot, in the store's order.
struct SnapshotRows {
  Row tracking;  // the 14 upsert parameters
  std::vector<Row> tracking_events, order_updates, order_events, outbox;
};

struct Watermarks {
  std::int64_t tracking_events = 0, order_events = 0, outbox = 0, anomalies = 0;
};
Watermarks watermarks(Sqlite& db) {
  return {db.scalar("SELECT COALESCE(MAX(id), 0) FROM tracking_events"),
          db.scalar("SELECT COALESCE(MAX(id), 0) FROM order_events"),
          db.scalar("SELECT COALESCE(MAX(id), 0) FROM outbox"),
          db.scalar("SELECT COUNT(*) FROM anomalies")};
}

struct Captured {
  std::unordered_map<std::int64_t, SnapshotRows> by_shipment;
  std::size_t tracking_events = 0, order_updates = 0, order_events = 0, outbox = 0;
  std::map<std::string, std::size_t> unattributed_outbox;  // by topic
};

// The rows a round wrote, from ColdTrack's database, grouped by the shipment whose snapshot
// wrote them (rows with ids above `before`; every shipment_tracking row as it is now).
Captured capture(Sqlite& db, const Watermarks& before) {
  Captured c;
  std::unordered_map<std::int64_t, std::pair<std::int64_t, EpochMs>> order_of;  // shipment
  std::unordered_map<std::int64_t, std::int64_t> shipment_of_order;
  for (const auto& r : rows(db, "SELECT id, order_id, order_created_at FROM shipments")) {
    order_of[r[0].i] = {r[1].i, r[2].i};
    shipment_of_order[r[1].i] = r[0].i;
  }
  // The upsert's parameters as apply_tracking binds them (status_at: the newest trace time, not
  // before the order's creation).
  for (auto& r :
       rows(db,
            "SELECT shipment_id, provider, status, reason, raw_state, raw_substate, location, "
            "last_event_at, trace_count, traces_json, raw_payload, heard_at, updated_at FROM "
            "shipment_tracking")) {
    const auto id = r[0].i;
    const EpochMs newest = r[7].type == Value::kInt ? r[7].i : r[12].i;
    Value status_at;
    status_at.type = Value::kInt;
    status_at.i = std::max(newest, order_of.at(id).second);
    r.push_back(status_at);
    c.by_shipment[id].tracking = std::move(r);
  }
  std::unordered_map<std::int64_t, std::int64_t> shipment_of_tracking_event;
  for (auto& r : rows(db, fmt::format("SELECT id, shipment_id, status, reason, from_status, at, "
                                      "recorded_at, provider FROM tracking_events WHERE id > {} "
                                      "ORDER BY id",
                                      before.tracking_events))) {
    shipment_of_tracking_event[r[0].i] = r[1].i;
    const auto shipment = r[1].i;
    r.erase(r.begin());
    c.by_shipment[shipment].tracking_events.push_back(std::move(r));
    ++c.tracking_events;
  }
  std::unordered_map<std::int64_t, std::int64_t> order_of_event;
  for (auto& r : rows(db, fmt::format("SELECT e.id, e.order_id, e.status, e.from_status, e.at, "
                                      "e.recorded_at, e.actor, e.note, o.status, o.updated_at, "
                                      "o.finished_at FROM order_events e JOIN orders o ON o.id = "
                                      "e.order_id WHERE e.id > {} ORDER BY e.id",
                                      before.order_events))) {
    order_of_event[r[0].i] = r[1].i;
    const auto shipment = shipment_of_order.at(r[1].i);
    auto& snap = c.by_shipment[shipment];
    // UPDATE orders SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?
    snap.order_updates.push_back(Row{r[8], r[9], r[10], r[1]});
    snap.order_events.push_back(Row(r.begin() + 1, r.begin() + 8));
    ++c.order_updates;
    ++c.order_events;
  }
  for (auto& r : rows(db, fmt::format("SELECT topic, msg_key, payload, created_at, available_at "
                                      "FROM outbox WHERE id > {} ORDER BY id",
                                      before.outbox))) {
    const std::string& key = r[1].s;
    std::optional<std::int64_t> shipment;
    if (key.starts_with("tracking.status:")) {
      auto it = shipment_of_tracking_event.find(std::atoll(key.c_str() + 16));
      if (it != shipment_of_tracking_event.end()) shipment = it->second;
    } else if (key.starts_with("order.status:")) {
      auto it = order_of_event.find(std::atoll(key.c_str() + 13));
      if (it != order_of_event.end()) shipment = shipment_of_order.at(it->second);
    }
    if (!shipment) {
      ++c.unattributed_outbox[r[0].s];
      continue;
    }
    c.by_shipment[*shipment].outbox.push_back(std::move(r));
    ++c.outbox;
  }
  return c;
}

// The store's SQL (sql_store.cc: apply_tracking, insert_event, insert_outbox, apply_transition),
// SQLite dialect.
constexpr const char* kUpsertTracking =
    "INSERT INTO shipment_tracking (shipment_id, provider, status, reason, raw_state, "
    "raw_substate, location, last_event_at, trace_count, traces_json, raw_payload, heard_at, "
    "updated_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
    "(shipment_id) DO UPDATE SET status_at = CASE WHEN status != excluded.status OR reason != "
    "excluded.reason THEN excluded.status_at ELSE status_at END, provider = excluded.provider, "
    "status = excluded.status, reason = excluded.reason, raw_state = excluded.raw_state, "
    "raw_substate = excluded.raw_substate, location = excluded.location, last_event_at = "
    "excluded.last_event_at, trace_count = excluded.trace_count, traces_json = "
    "excluded.traces_json, raw_payload = excluded.raw_payload, heard_at = excluded.heard_at, "
    "updated_at = excluded.updated_at";
constexpr const char* kInsertTrackingEvent =
    "INSERT INTO tracking_events (shipment_id, status, reason, from_status, at, recorded_at, "
    "provider) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdateOrder =
    "UPDATE orders SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?";
constexpr const char* kInsertOrderEvent =
    "INSERT INTO order_events (order_id, status, from_status, at, recorded_at, actor, note) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kInsertOutbox =
    "INSERT INTO outbox (topic, msg_key, payload, created_at, available_at) VALUES (?, ?, ?, ?, "
    "?) ON CONFLICT (msg_key) DO NOTHING";

class RawLoop {
 public:
  RawLoop(const std::string& path, bool synchronous_full) : db_(path, SQLITE_OPEN_READWRITE) {
    mode_ = db_.text("PRAGMA journal_mode=WAL");
    db_.exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db_.exec("PRAGMA foreign_keys=ON");
    db_.exec("PRAGMA temp_store=MEMORY");
    begin_ = db_.prepare("BEGIN IMMEDIATE");
    commit_ = db_.prepare("COMMIT");
    upsert_ = db_.prepare(kUpsertTracking);
    tracking_event_ = db_.prepare(kInsertTrackingEvent);
    order_ = db_.prepare(kUpdateOrder);
    order_event_ = db_.prepare(kInsertOrderEvent);
    outbox_ = db_.prepare(kInsertOutbox);
  }
  const std::string& journal_mode() const { return mode_; }
  std::string synchronous() { return db_.text("PRAGMA synchronous"); }

  // One transaction per snapshot, in `order`; returns seconds and fills per-snapshot latency.
  double run(const Captured& c, const std::vector<std::int64_t>& order, std::vector<double>& lat) {
    lat.assign(order.size(), -1);  // -1: skipped (its push failed)
    const double cpu0 = cpu_seconds(RUSAGE_THREAD);
    const auto t0 = Steady::now();
    for (std::size_t k = 0; k < order.size(); ++k) {
      const auto s0 = Steady::now();
      const auto it = c.by_shipment.find(order[k]);
      if (it == c.by_shipment.end() || it->second.tracking.empty()) continue;  // push failed
      const SnapshotRows& snap = it->second;
      step(begin_, {});
      step(upsert_, snap.tracking);
      for (const auto& r : snap.tracking_events) step(tracking_event_, r);
      std::size_t next_outbox = 0;
      // The tracking event's outbox row comes right after it, the order's after the order event.
      if (!snap.tracking_events.empty() && next_outbox < snap.outbox.size())
        step(outbox_, snap.outbox[next_outbox++]);
      for (const auto& r : snap.order_updates) step(order_, r);
      for (const auto& r : snap.order_events) step(order_event_, r);
      while (next_outbox < snap.outbox.size()) step(outbox_, snap.outbox[next_outbox++]);
      step(commit_, {});
      lat[k] = std::chrono::duration<double, std::milli>(Steady::now() - s0).count();
    }
    const double s = seconds_since(t0);
    cpu_s_ = cpu_seconds(RUSAGE_THREAD) - cpu0;
    return s;
  }
  double last_cpu_seconds() const { return cpu_s_; }

 private:
  void step(sqlite3_stmt* s, const Row& values) {
    for (std::size_t i = 0; i < values.size(); ++i) bind(s, static_cast<int>(i + 1), values[i]);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
      throw std::runtime_error(fmt::format("raw loop: {} ({})", sqlite3_errmsg(db_.raw()), rc));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }

  Sqlite db_;
  std::string mode_;
  double cpu_s_ = 0;
  sqlite3_stmt *begin_, *commit_, *upsert_, *tracking_event_, *order_, *order_event_, *outbox_;
};

std::string machine_line() {
  std::string model, os;
  {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("model name")) {
        model = line.substr(line.find(':') + 1);
        model.erase(0, model.find_first_not_of(' '));
        break;
      }
    }
  }
  long mem_kb = 0;
  {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("MemTotal:")) mem_kb = std::atol(line.c_str() + 9);
  }
  {
    std::ifstream in("/etc/os-release");
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("PRETTY_NAME=")) {
        os = line.substr(12);
        std::erase(os, '"');
      }
    }
  }
  return fmt::format("{} cores ({}), {:.0f} GiB, {}", std::thread::hardware_concurrency(), model,
                     static_cast<double>(mem_kb) / 1048576.0, os);
}

std::string utc_now_text() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::uint64_t db_bytes(const fs::path& dir, const std::string& stem) {
  std::uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().starts_with(stem)) n += e.file_size(ec);
  return n;
}

}  // namespace

int run(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const char* conns_env = std::getenv("CONNS");
  const int conns = conns_env ? std::atoi(conns_env) : 16;
  const std::string provider = std::getenv("PROVIDER") ? std::getenv("PROVIDER") : "mixed";
  const bool pin = !std::getenv("PIN") || std::string(std::getenv("PIN")) != "0";
  const bool anomaly_check =
      !std::getenv("ANOMALY_CHECK") || std::string(std::getenv("ANOMALY_CHECK")) != "0";
  const std::string command = std::getenv("INGEST_COMMAND") ? std::getenv("INGEST_COMMAND")
                                                            : fmt::format("ingest_bench {}", n);
  if (n <= 0 || conns <= 0 ||
      (provider != "mixed" && provider != "kdniao" && provider != "kuaidi100")) {
    std::fprintf(
        stderr,
        "usage: ingest_bench [SHIPMENTS=10000]; CONNS>0, PROVIDER=mixed|kdniao|kuaidi100\n");
    return 2;
  }
  if (!self_test()) {
    std::fprintf(stderr, "error: the push builders do not reproduce the protocol vectors\n");
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  const auto started = Steady::now();
  const bool two_cores = std::thread::hardware_concurrency() > 1;
  const int server_cpu = pin ? 0 : -1;
  const int client_cpu = pin ? (two_cores ? 1 : 0) : -1;
  // Every thread created from here (worker pool, I/O thread) inherits core 0.
  pin_to(server_cpu);

  namespace app = coldtrack::app;
  namespace service = coldtrack::service;
  const auto dir = fs::temp_directory_path() /
                   fmt::format("coldtrack-ingest-{}", coldtrack::security::random_hex(4));
  fs::create_directories(dir);
  struct RemoveDir {  // also when something throws
    fs::path dir;
    ~RemoveDir() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove_dir{dir};
  int exit_code = 0;
  {
    // ---- ColdTrack, wired as `coldtrack serve` wires the push path -----------------------------
    // The configuration as `serve` reads it without a file: defaults, then COLDTRACK_* variables
    // (e.g. COLDTRACK_SERVER_WORKER_THREADS=8); the database is always a fresh temporary file.
    const auto env = app::process_environment();
    app::Config cfg = app::load_config(std::nullopt, env);
    std::string overrides;
    for (const auto& [name, value] : env)
      if (name.starts_with("COLDTRACK_") && name != "COLDTRACK_STORE_SQLITE_PATH")
        overrides += fmt::format("{}{}={}", overrides.empty() ? "" : " ", name, value);
    cfg.store.sqlite.path = (dir / "coldtrack.db").string();
    auto store = app::open_store(cfg);
    service::PiiCodec pii(coldtrack::security::random_bytes(32));
    service::OrderService orders(*store, pii, app::now_ms);
    service::TrackingService tracking(*store, app::now_ms);
    coldtrack::eta::Options eo;
    eo.min_lane_samples = cfg.eta.min_lane_samples;
    eo.cutoff_hour = cfg.eta.cutoff_hour;
    eo.utc_offset_minutes = 480;
    if (!cfg.eta.service_levels.empty()) eo.levels.apply(cfg.eta.service_levels);
    service::EtaService eta(*store, eo, cfg.eta.origin_city);
    eta.refresh();
    coldtrack::anomaly::RuleSet rules;
    if (!cfg.anomalies.overrides.empty()) rules.apply_overrides(cfg.anomalies.overrides);
    service::MonitorService monitor(*store, rules, eta, app::now_ms);
    std::atomic<std::int64_t> anomalies_opened{0}, anomalies_resolved{0};
    if (anomaly_check) {
      tracking.on_applied([&](const std::vector<std::int64_t>& ids) {
        const auto r = monitor.check_shipments(ids);
        anomalies_opened += r.opened;
        anomalies_resolved += r.resolved;
      });
    }

    asio::thread_pool pool(static_cast<std::size_t>(cfg.server.worker_threads));
    coldtrack::cache::MemoryNonceStore nonces;
    coldtrack::cache::MemoryRateLimiter track_limiter(cfg.track.rate_limit_per_minute);
    coldtrack::http::Authenticator auth(*store, pii, nonces, cfg.security.signature_window_s);
    coldtrack::http::Metrics metrics;
    coldtrack::http::Api api{orders,
                             tracking,
                             *store,
                             track_limiter,
                             pool,
                             metrics,
                             cfg.display.utc_offset_minutes,
                             [&store] { return store->ping(); },
                             true};
    api.eta = &eta;
    api.monitor = &monitor;
    Keys keys{"BENCH1237100", coldtrack::security::random_hex(16), "BENCHCUSTOMER",
              coldtrack::security::random_hex(16), coldtrack::security::random_hex(8)};
    coldtrack::carriers::kdniao::Protocol kdniao(coldtrack::carriers::kdniao::Config{
        keys.kdniao_ebusiness_id, keys.kdniao_api_key, cfg.carriers.kdniao.query_url,
        cfg.carriers.kdniao.subscribe_url, cfg.carriers.kdniao.query_request_type,
        cfg.carriers.kdniao.subscribe_request_type, "http://127.0.0.1/api/callbacks/kdniao"});
    coldtrack::carriers::kuaidi100::Config kc;
    kc.customer = keys.kuaidi100_customer;
    kc.key = keys.kuaidi100_key;
    kc.salt = keys.kuaidi100_salt;
    kc.callback_url = "http://127.0.0.1/api/callbacks/kuaidi100";
    coldtrack::carriers::kuaidi100::Protocol kuaidi100(std::move(kc));
    api.kdniao = &kdniao;
    api.kuaidi100 = &kuaidi100;
    coldtrack::http::Router router;
    coldtrack::http::add_order_routes(router, api);
    coldtrack::http::add_system_routes(router, api);
    coldtrack::http::add_callback_routes(router, api);
    coldtrack::http::add_monitoring_routes(router, api);
    coldtrack::http::add_customer_routes(router, api);
    coldtrack::http::add_notification_routes(router, api);
    coldtrack::http::ServerOptions so;
    so.host = "127.0.0.1";
    so.port = 0;
    so.io_threads = cfg.server.io_threads;
    so.max_body_bytes = cfg.server.max_body_bytes;
    so.request_timeout = std::chrono::seconds(cfg.server.header_timeout_s);
    so.idle_timeout = std::chrono::seconds(cfg.server.idle_timeout_s);
    coldtrack::http::Server server(so, router, &auth, store.get(), pool, metrics, app::now_ms);
    const unsigned short port = server.start();
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    const std::string host = fmt::format("127.0.0.1:{}", port);

    // ---- Load: N orders created, paid and shipped through OrderService -------------------------
    const EpochMs start_ms = wall_ms() / 1000 * 1000;
    std::vector<Parcel> parcels(static_cast<std::size_t>(n));
    std::size_t via_kdniao = 0;
    const service::Actor actor{"system:ingest-bench", "system", "", "local"};
    const auto t_load = Steady::now();
    for (int i = 0; i < n; ++i) {
      Parcel& p = parcels[static_cast<std::size_t>(i)];
      p.carrier = &kCarriers[static_cast<std::size_t>(i) % kCarriers.size()];
      p.kdniao = provider == "kdniao" || (provider == "mixed" && (i / 4) % 2 == 0);
      via_kdniao += p.kdniao;
      p.order_no = fmt::format("IB{:08}", i);
      p.waybill_no = fmt::format("{}{:0{}}", p.carrier->prefix, 100000 + i, p.carrier->digits);
      // Picked up 10 h before the first push (spread over 10 minutes), shipped 11 h before.
      p.t0 = start_ms - 10 * kHourMs + (i % 600) * 1000;
      coldtrack::domain::NewOrder o;
      o.order_no = p.order_no;
      o.customer = {"压测", fmt::format("1700003{:04}", i % 10000), ""};
      o.address = {"浙江省", "杭州市", "西湖区", "演示路1号"};
      o.items = {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 1, 3990}};
      o.amount_fen = 3990;
      o.created_at = start_ms - 12 * kHourMs;
      auto c = orders.create(o, actor);
      if (!c.ok()) throw std::runtime_error("create " + p.order_no + ": " + c.error().message);
      auto paid = orders.change_status(p.order_no, coldtrack::domain::OrderStatus::kPaid,
                                       start_ms - 12 * kHourMs + 60'000, "", actor);
      if (!paid.ok()) throw std::runtime_error("pay " + p.order_no + ": " + paid.error().message);
      auto s = orders.add_shipment(p.order_no, p.carrier->code, p.waybill_no, actor, "", "standard",
                                   start_ms - 11 * kHourMs);
      if (!s.ok()) throw std::runtime_error("ship " + p.order_no + ": " + s.error().message);
    }
    const double load_s = seconds_since(t_load);
    Sqlite view(cfg.store.sqlite.path, SQLITE_OPEN_READONLY);
    std::vector<std::int64_t> shipment_ids;  // in push order
    {
      std::unordered_map<std::string, std::int64_t> by_waybill;
      for (const auto& r : rows(view, "SELECT id, waybill_no FROM shipments"))
        by_waybill[r[1].s] = r[0].i;
      for (const auto& p : parcels) shipment_ids.push_back(by_waybill.at(p.waybill_no));
    }
    // The raw loop's database: a consistent copy of ColdTrack's after loading.
    const std::string raw_path = (dir / "raw.db").string();
    view.exec("VACUUM INTO '" + raw_path + "'");
    RawLoop raw(raw_path, cfg.store.sqlite.synchronous == "full");
    const std::uint64_t loaded_bytes = db_bytes(dir, "coldtrack.db");

    std::printf("## ColdTrack carrier push ingest bench: %d shipments, %s\n", n,
                utc_now_text().c_str());
    std::printf("machine: %s\n", machine_line().c_str());
    std::printf(
        "command: %s (%d connections, one client thread; pushes: %zu Kdniao, %zu Kuaidi100)\n",
        command.c_str(), conns, via_kdniao, parcels.size() - via_kdniao);
    std::printf(
        "ColdTrack: one process, http::Server on 127.0.0.1 (%d I/O thread, %d worker threads), "
        "store as `serve` opens it: SQLite WAL, synchronous=%s, mmap %d MiB; %s; %s%s\n",
        cfg.server.io_threads, cfg.server.worker_threads, cfg.store.sqlite.synchronous.c_str(),
        cfg.store.sqlite.mmap_mb,
        dlsym(RTLD_DEFAULT, "mallctl") ? "jemalloc (as the coldtrack binary)" : "glibc malloc",
        anomaly_check ? "anomaly check after each snapshot (as `serve`)"
                      : "NO anomaly check after each snapshot (ANOMALY_CHECK=0, unlike `serve`)",
        pin ? (two_cores ? "; ColdTrack and the raw loop on core 0, the client on core 1"
                         : "; everything on core 0")
            : "; unpinned");
    std::printf("config: %s\n",
                overrides.empty() ? "the defaults (no COLDTRACK_* variables)" : overrides.c_str());
    std::printf(
        "raw: copy of the loaded database (VACUUM INTO), journal_mode=%s, synchronous=%s, "
        "prepared statements, one BEGIN IMMEDIATE transaction per snapshot\n",
        raw.journal_mode().c_str(),
        raw.synchronous() == "2"   ? "FULL"
        : raw.synchronous() == "1" ? "NORMAL"
                                   : "?");
    std::printf(
        "load: %d orders created, paid and shipped through OrderService in %.1f s; "
        "database %.0f MiB\n",
        n, load_s, static_cast<double>(loaded_bytes) / 1048576.0);
    std::fflush(stdout);
    const std::string load_before = loadavg();

    // ---- Rounds ---------------------------------------------------------------------------------
    struct Figures {
      RoundResult ct;
      std::vector<double> raw_lat;
      double raw_s = 0, raw_cpu_s = 0;
      Captured rows;
    };
    std::array<Figures, 2> fig;
    std::size_t mismatches = 0;
    std::vector<std::string> mismatch_text;
    std::vector<double> probes;
    auto verify = [&](int round) {
      for (const auto& p : parcels) {
        const auto expected_newest = newest_trace_ms(p, round);
        const auto expected_traces = round == 1 ? 3 : 4;
        std::string problem;
        const auto t = store->order_tracking(p.order_no);
        if (!t || t->size() != 1) {
          problem = "tracking not found";
        } else {
          const auto& r = t->front();
          if (!r.tracked || r.status != "IN_TRANSIT" || r.trace_count != expected_traces ||
              r.last_event_at != expected_newest || r.waybill_no != p.waybill_no ||
              r.provider != (p.kdniao ? "kdniao" : "kuaidi100"))
            problem = fmt::format(
                "stored {} {} traces, newest {}, provider {} (expected "
                "IN_TRANSIT {} traces, newest {})",
                r.status, r.trace_count, r.last_event_at.value_or(0), r.provider, expected_traces,
                expected_newest);
        }
        auto o = orders.get(p.order_no, false, actor);
        if (!o.ok())
          problem += " order not found";
        else if (o.value().status != coldtrack::domain::OrderStatus::kInTransit)
          problem += fmt::format(" order {}", coldtrack::domain::to_string(o.value().status));
        if (!problem.empty()) {
          ++mismatches;
          if (mismatch_text.size() < 5)
            mismatch_text.push_back(fmt::format("round {} {}: {}", round, p.order_no, problem));
        }
      }
    };
    for (int round = 1; round <= 2; ++round) {
      Figures& f = fig[static_cast<std::size_t>(round - 1)];
      std::vector<Push> pushes;
      pushes.reserve(parcels.size());
      for (std::size_t i = 0; i < parcels.size(); ++i)
        pushes.push_back(make_push(parcels[i], i, round, keys, host));
      const Watermarks before = watermarks(view);
      probes.push_back(fdatasync_probe_ms(dir));
      const double mono0 = std::chrono::duration<double>(Steady::now().time_since_epoch()).count();
      f.ct = deliver(ep, pushes, conns, client_cpu, keys);
      std::fprintf(stderr,
                   "round %d: %zu acknowledged, %zu failed in %.2f s (steady clock %.6f to "
                   "%.6f)\n",
                   round, f.ct.ok, f.ct.failed, f.ct.seconds, mono0, mono0 + f.ct.seconds);
      f.rows = capture(view, before);
      verify(round);
      f.raw_s = raw.run(f.rows, shipment_ids, f.raw_lat);
      f.raw_cpu_s = raw.last_cpu_seconds();
      probes.push_back(fdatasync_probe_ms(dir));
      std::fprintf(stderr, "round %d raw: %zu transactions in %.2f s\n", round, shipment_ids.size(),
                   f.raw_s);
    }
    const Watermarks after = watermarks(view);
    const std::string load_after = loadavg();

    // ---- Report ---------------------------------------------------------------------------------
    auto rate = [](std::size_t count, double s) { return s > 0 ? count / s : 0.0; };
    std::printf(
        "\n| figure | ColdTrack | p50 / p99 ms | baseline (same run) | p50 / p99 ms | "
        "ratio |\n|---|---:|---:|---|---:|---:|\n");
    const char* labels[2] = {
        "first snapshot (3 traces; IN_TRANSIT; order SHIPPED → IN_TRANSIT), pushed over HTTP, "
        "acknowledged",
        "update (4th trace appended; status unchanged), pushed over HTTP, acknowledged"};
    double ct_total_s = 0, raw_total_s = 0;
    std::size_t ct_total = 0;
    for (int k = 0; k < 2; ++k) {
      const Figures& f = fig[static_cast<std::size_t>(k)];
      const auto ct = percentiles(f.ct.latency_ms);
      const auto rw = percentiles(f.raw_lat);
      const double ct_rate = rate(f.ct.ok, f.ct.seconds);
      const double raw_rate = rate(shipment_ids.size(), f.raw_s);
      const double per_snap = static_cast<double>(shipment_ids.size());
      const std::string what =
          k == 0 ? fmt::format(
                       "raw SQLite, same rows (1 tracking upsert + {:.2g} tracking "
                       "event + {:.2g} order update + {:.2g} order event + {:.2g} "
                       "outbox), 1 transaction each",
                       f.rows.tracking_events / per_snap, f.rows.order_updates / per_snap,
                       f.rows.order_events / per_snap, f.rows.outbox / per_snap)
                 : fmt::format("raw SQLite, same rows (1 tracking upsert{}), 1 transaction each",
                               f.rows.tracking_events + f.rows.outbox + f.rows.order_events
                                   ? fmt::format(" + {} other rows",
                                                 f.rows.tracking_events + f.rows.outbox +
                                                     f.rows.order_events + f.rows.order_updates)
                                   : "");
      std::printf(
          "| %s | %.0f snapshots/s | %.2f / %.2f | %s: %.0f snapshots/s | %.2f / %.2f | "
          "%.2f |\n",
          labels[k], ct_rate, ct.p50, ct.p99, what.c_str(), raw_rate, rw.p50, rw.p99,
          raw_rate > 0 ? ct_rate / raw_rate : 0);
      ct_total_s += f.ct.seconds;
      raw_total_s += f.raw_s;
      ct_total += f.ct.ok;
    }
    std::printf(
        "| both rounds | %.0f snapshots/s | | raw SQLite, both rounds: %.0f snapshots/s | | "
        "%.2f |\n\n",
        rate(ct_total, ct_total_s), rate(2 * shipment_ids.size(), raw_total_s),
        raw_total_s > 0 ? rate(ct_total, ct_total_s) / rate(2 * shipment_ids.size(), raw_total_s)
                        : 0);
    std::size_t failed = 0;
    for (int k = 0; k < 2; ++k) {
      const auto& r = fig[static_cast<std::size_t>(k)].ct;
      failed += r.failed;
      std::printf(
          "round %d: %zu pushes, %zu acknowledged, %zu failed, %.2f s; bytes per push on "
          "the wire: request %zu, reply %zu\n",
          k + 1, parcels.size(), r.ok, r.failed, r.seconds, r.ok ? r.request_bytes / r.ok : 0,
          r.ok ? r.reply_bytes / r.ok : 0);
      const auto& f = fig[static_cast<std::size_t>(k)];
      const double us = 1e6 / static_cast<double>(parcels.size());
      std::printf(
          "  CPU per snapshot: ColdTrack %.0f µs (%.0f %% of one core over the round), "
          "client %.0f µs; raw loop %.0f µs CPU of %.0f µs per transaction\n",
          (r.process_cpu_s - r.client_cpu_s) * us,
          100 * (r.process_cpu_s - r.client_cpu_s) / r.seconds, r.client_cpu_s * us,
          f.raw_cpu_s * us, f.raw_s * us);
      if (pin && two_cores)
        std::printf(
            "  core 0 during the round: busy %.0f %%, of which ColdTrack %.0f %% (the rest: "
            "other processes and interrupts)\n",
            100 * r.core0_busy_s / r.seconds, 100 * (r.process_cpu_s - r.client_cpu_s) / r.seconds);
      for (const auto& e : r.errors) std::printf("  error: %s\n", e.c_str());
      for (const auto& [topic, count] : fig[static_cast<std::size_t>(k)].rows.unattributed_outbox)
        std::printf(
            "  note: %zu outbox rows of topic %s not attributed to a snapshot (not in the "
            "raw loop)\n",
            count, topic.c_str());
    }
    std::printf(
        "anomaly check after each snapshot: %lld opened, %lld resolved (anomalies table: "
        "%lld rows)\n",
        static_cast<long long>(anomalies_opened.load()),
        static_cast<long long>(anomalies_resolved.load()), static_cast<long long>(after.anomalies));
    std::printf(
        "verified through the store API after each round: %zu shipments, %zu "
        "mismatches%s\n",
        parcels.size(), mismatches,
        mismatches ? ":"
                   : " (status IN_TRANSIT, trace count, "
                     "newest trace time, provider; order "
                     "IN_TRANSIT)");
    for (const auto& m : mismatch_text) std::printf("  %s\n", m.c_str());
    std::printf(
        "disk: 4 KiB write + fdatasync, median of 100, before round 1 / after its raw loop "
        "/ before round 2 / after its raw loop: %.2f / %.2f / %.2f / %.2f ms\n",
        probes[0], probes[1], probes[2], probes[3]);
    {
      // Other work on a shared machine shows as a slower disk between the phases or as core 0
      // time this process did not use; say so next to the figures.
      std::vector<std::string> busy;
      const double calm = std::min(probes[0], probes[2]);
      for (int k = 0; k < 4; ++k)
        if (probes[static_cast<std::size_t>(k)] > 2 * calm + 0.1)
          busy.push_back(fmt::format("fdatasync {:.2f} ms {} round {}",
                                     probes[static_cast<std::size_t>(k)],
                                     k % 2 ? "after the raw loop of" : "before", k / 2 + 1));
      for (int k = 0; k < 2 && pin && two_cores; ++k) {
        const auto& r = fig[static_cast<std::size_t>(k)].ct;
        const double others = (r.core0_busy_s - (r.process_cpu_s - r.client_cpu_s)) / r.seconds;
        if (r.seconds >= 1 && others > 0.15)  // /proc/stat counts in 10 ms ticks
          busy.push_back(
              fmt::format("{:.0f} % of core 0 used by others in round {}", 100 * others, k + 1));
      }
      if (!busy.empty()) {
        std::string text;
        for (const auto& b : busy) text += (text.empty() ? "" : "; ") + b;
        std::printf(
            "WARNING: other work disturbed this run (%s): run it again at a quiet "
            "moment\n",
            text.c_str());
      }
    }
    std::printf("database after the run: ColdTrack %.0f MiB, raw copy %.0f MiB\n",
                static_cast<double>(db_bytes(dir, "coldtrack.db")) / 1048576.0,
                static_cast<double>(db_bytes(dir, "raw.db")) / 1048576.0);
    std::printf(
        "load average (1/5/15 min) before the rounds: %s, after: %s (other work on the "
        "machine skews the figures)\n",
        load_before.c_str(), load_after.c_str());
    std::printf("errors: %zu; took %.0f s\n", failed + mismatches, seconds_since(started));
    if (failed > 0 || mismatches > 0) exit_code = 1;

    server.drain(std::chrono::milliseconds(1000));
    server.stop();
    pool.join();
    store->close();
  }
  return exit_code;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
