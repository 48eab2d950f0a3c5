// A small blocking HTTP/1.1 client that signs requests the way the API expects. Used by
// `coldtrack client`, the integration tests and the benchmarks.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace coldtrack::http {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct Credentials {
  std::string key;
  std::string secret;
};

class Client {
 public:
  Client(std::string host, unsigned short port);
  ~Client();
  // `target` is path plus optional query. Signs when credentials are given. Reuses the
  // connection (keep-alive) and reconnects once if the server closed it.
  ClientResponse request(const std::string& method, const std::string& target,
                         const std::string& body = {},
                         const std::optional<Credentials>& creds = std::nullopt,
                         const std::map<std::string, std::string>& extra_headers = {});

 private:
  struct Impl;
  Impl* impl_;
};

// Headers X-Api-Key, X-Timestamp, X-Nonce, X-Signature for a request made now.
std::map<std::string, std::string> signed_headers(const Credentials& creds,
                                                  const std::string& method,
                                                  const std::string& target,
                                                  const std::string& body, long long unix_seconds);

}  // namespace coldtrack::http
