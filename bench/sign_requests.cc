// Pre-signs API requests for wrk (bench/wrk_requests.lua), so the load generator does no HMAC
// work and every request carries its own nonce (the server refuses a nonce twice).
//
// Usage: sign_requests DB_PATH KIND COUNT OUT_FILE
//   KIND  get    GET /api/orders/{order_no}, cycling over a hot set of 5,000 orders
//         phone  GET /api/orders?limit=20&phone=...   (500 phones of existing orders)
//         range  GET /api/orders?from=...&to=...&limit=20   (one-day windows)
//         create POST /api/orders with a new order number each
// Environment: COLDTRACK_API_KEY, COLDTRACK_API_SECRET (the key signs), and for `phone`
// COLDTRACK_SECURITY_DATA_KEY (to read phones from the database).
// Timestamps are "now": the file is good for security.signature_window_s (300 s by default).
//
// One request per line, fields separated by tabs:
//   METHOD \t TARGET \t BODY (may be empty) \t Name: value \t Name: value ...
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "api_data.h"
#include "security/crypto.h"
#include "security/signing.h"
#include "service/pii.h"

namespace {

namespace cb = coldtrack::bench;
namespace sec = coldtrack::security;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set");
  return v;
}

std::string order_json(const std::string& no, long i) {
  return fmt::format(
      R"({{"order_no":"{}","customer":{{"name":"压测","phone":"1700001{:04}"}},"address":{{"province":"上海市","city":"上海市","district":"浦东新区","detail":"演示路1号"}},"items":[{{"sku":"DJ","name":"水饺","category":"frozen","quantity":1,"unit_price_fen":3990}}],"amount_fen":3990}})",
      no, i % 10000);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sign_requests DB_PATH get|phone|range|create COUNT OUT_FILE\n");
    return 2;
  }
  const std::string db_path = argv[1], kind = argv[2], out_path = argv[4];
  const long count = std::atol(argv[3]);
  const std::string key = env("COLDTRACK_API_KEY"), secret = env("COLDTRACK_API_SECRET");

  // Targets (and bodies) to cycle over.
  std::vector<std::string> targets;
  sqlite3* db = cb::open_readonly(db_path);
  if (kind == "get") {
    for (const auto& no : cb::hot_order_nos(db, 5000)) targets.push_back("/api/orders/" + no);
  } else if (kind == "phone") {
    const auto data_key = sec::hex_decode(env("COLDTRACK_SECURITY_DATA_KEY"));
    if (!data_key) throw std::runtime_error("COLDTRACK_SECURITY_DATA_KEY is not hex");
    coldtrack::service::PiiCodec pii(*data_key);
    for (const auto& p : cb::phones(db, pii, 500))
      targets.push_back("/api/orders?limit=20&phone=" + p);
  } else if (kind == "range") {
    for (const auto& w : cb::day_windows(db, 500))
      targets.push_back(
          fmt::format("/api/orders?from={}&to={}&limit=20", cb::utc(w.from), cb::utc(w.to)));
  } else if (kind != "create") {
    throw std::runtime_error("unknown kind " + kind);
  }
  sqlite3_close(db);

  std::FILE* out = std::fopen(out_path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + out_path);
  static char buffer[1 << 20];
  std::setvbuf(out, buffer, _IOFBF, sizeof buffer);
  const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const auto run = sec::random_hex(3);
  const std::string method = kind == "create" ? "POST" : "GET";
  std::string target, body, line;
  for (long i = 0; i < count; ++i) {
    if (kind == "create") {
      target = "/api/orders";
      body = order_json(fmt::format("W{}{}", run, i), i);
    } else {
      target = targets[static_cast<std::size_t>(i) % targets.size()];
    }
    const auto q = target.find('?');
    const std::string_view path = std::string_view(target).substr(0, q);
    const std::string_view query =
        q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
    const auto nonce = sec::random_hex(12);
    const auto sig = sec::sign_request(secret, method, path, query, ts, nonce, body);
    line = fmt::format("{}\t{}\t{}\tX-Api-Key: {}\tX-Timestamp: {}\tX-Nonce: {}\tX-Signature: {}",
                       method, target, body, key, ts, nonce, sig);
    if (!body.empty()) line += "\tContent-Type: application/json";
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
  }
  return std::fclose(out) == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sign_requests: %s\n", e.what());
  return 1;
}
