// Outbound HTTP(S) for carrier and notification APIs. Blocking by design: callers run it on a
// worker pool, never on an I/O thread. Thread-safe; connections (and TLS sessions) are reused.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace coldtrack::net {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds timeout{10000};  // whole exchange
};

struct HttpResponse {
  int status = 0;  // 0: transport failure (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport error text ("" on success)
  // On a transport failure: whether the request may have reached the server (false only when
  // it certainly did not: no connection, or nothing written).
  bool request_sent = true;
  bool transport_failed() const { return status == 0; }
};

class HttpClient {
 public:
  struct Options {
    bool verify_tls =
        true;  // peer and host verification; only tests against local servers turn it off
    std::string ca_file;  // extra CA bundle (e.g. a simulator's self-signed cert); "" = system
    std::string user_agent = "coldtrack";
    std::size_t max_response_bytes = 8 << 20;  // larger bodies fail (a misbehaving provider)
  };
  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for network problems: they come back as status 0 with `error` set.
  HttpResponse send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coldtrack::net
