// libcurl-backed implementation of net::HttpClient.
//
// Handles: a small mutex-guarded LIFO pool of easy handles per HttpClient. A call takes a
// handle for the duration of the transfer (so at most one handle per concurrently calling
// thread), and puts it back afterwards; the handle keeps its connection cache, so keep-alive
// connections are reused by later calls. DNS and TLS sessions are shared between all handles
// of one client through a CURLSH with lock callbacks. (Connection-cache sharing through
// CURLSH is not used: libcurl does not support it across concurrent threads.)
#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace coldtrack::net {
namespace {

constexpr std::size_t kMaxIdleHandles = 16;
constexpr char kTooLarge[] = "response too large";

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool has_ctl(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool valid_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && !std::strchr("\"(),/:;<=>?@[\\]{}", c);
  });
}

struct Transfer {
  HttpResponse* response;
  std::size_t max_bytes;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  if (t->response->body.size() + len > t->max_bytes) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR aborts the transfer
  }
  t->response->body.append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    // A new status line (after 1xx or a proxy CONNECT response): keep only the final block.
    t->response->headers.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;  // blank line, junk
  std::string name = lower(std::string(trim(line.substr(0, colon))));
  std::string value(trim(line.substr(colon + 1)));
  auto [it, inserted] = t->response->headers.emplace(name, value);
  if (!inserted) {
    it->second += ", ";
    it->second += value;
  }
  return len;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (!next) return false;
  list.release();
  list.reset(next);
  return true;
}

HttpResponse failure(std::string error) {
  HttpResponse r;
  r.error = std::move(error);
  return r;
}

long clamp_ms(std::chrono::milliseconds ms) {
  // 0 means "no timeout" to libcurl; a blocking client must never wait forever.
  return static_cast<long>(std::clamp<std::chrono::milliseconds::rep>(ms.count(), 1, 1L << 30));
}

}  // namespace

struct HttpClient::Impl {
  Options options;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;
  std::mutex pool_mu;
  std::vector<CURL*> idle;

  explicit Impl(Options o) : options(std::move(o)) {
    global_init();
    share = curl_share_init();
    if (share) {
      curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock);
      curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
      curl_share_setopt(share, CURLSHOPT_USERDATA, this);
      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
      curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
  }

  ~Impl() {
    for (CURL* h : idle) curl_easy_cleanup(h);  // before the share they are attached to
    if (share) curl_share_cleanup(share);
  }

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (data >= 0 && data < CURL_LOCK_DATA_LAST) self->share_locks[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (data >= 0 && data < CURL_LOCK_DATA_LAST) self->share_locks[data].unlock();
  }

  CURL* acquire() {
    {
      std::lock_guard lk(pool_mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* h) {
    {
      std::lock_guard lk(pool_mu);
      if (idle.size() < kMaxIdleHandles) {
        idle.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }

  HttpResponse send(const HttpRequest& req);
  HttpResponse perform(CURL* h, const HttpRequest& req);
};

HttpResponse HttpClient::Impl::send(const HttpRequest& req) {
  if (!valid_token(req.method)) return failure("invalid method");
  for (const auto& [name, value] : req.headers) {
    if (!valid_token(name) || has_ctl(value)) return failure("invalid header");
  }
  CURL* h = acquire();
  if (!h) return failure("curl_easy_init failed");
  HttpResponse r = perform(h, req);
  release(h);
  return r;
}

HttpResponse HttpClient::Impl::perform(CURL* h, const HttpRequest& req) {
  // Resets options only; the handle keeps its live connections and caches.
  curl_easy_reset(h);

  HttpResponse response;
  Transfer transfer{&response, options.max_response_bytes};

  Slist headers;
  bool has_expect = false;
  for (const auto& [name, value] : req.headers) {
    if (lower(name) == "expect") has_expect = true;
    // "Name;" is curl's spelling for a header with an empty value ("Name:" would remove it).
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    if (!append(headers, line)) return failure("out of memory");
  }
  // No "Expect: 100-continue" round trip for larger bodies unless the caller asks for it.
  if (!has_expect && !append(headers, "Expect:")) return failure("out of memory");

  auto set = [&](CURLoption opt, auto value) {
    CURLcode rc = curl_easy_setopt(h, opt, value);
    return rc == CURLE_OK;
  };
  bool ok = set(CURLOPT_URL, req.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85
  ok = ok && set(CURLOPT_PROTOCOLS_STR, "http,https");
  ok = ok && set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  ok = ok && set(CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS});
  ok = ok && set(CURLOPT_REDIR_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS});
#endif
  ok = ok && set(CURLOPT_NOSIGNAL, 1L);
  ok = ok && set(CURLOPT_FOLLOWLOCATION, 0L);
  ok = ok && set(CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(req.connect_timeout));
  ok = ok && set(CURLOPT_TIMEOUT_MS, clamp_ms(req.timeout));
  ok = ok && set(CURLOPT_TCP_KEEPALIVE, 1L);
  ok = ok && set(CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  ok = ok && set(CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) ok = ok && set(CURLOPT_CAINFO, options.ca_file.c_str());
  if (share) ok = ok && set(CURLOPT_SHARE, share);
  ok = ok && set(CURLOPT_USERAGENT, options.user_agent.c_str());
  ok = ok && set(CURLOPT_HTTPHEADER, headers.get());
  // Lets curl fail early when Content-Length already says the body is too large.
  constexpr auto kOffMax = static_cast<std::size_t>(std::numeric_limits<curl_off_t>::max());
  ok = ok && set(CURLOPT_MAXFILESIZE_LARGE,
                 static_cast<curl_off_t>(std::min(options.max_response_bytes, kOffMax)));
  ok = ok && set(CURLOPT_WRITEFUNCTION, &on_body);
  ok = ok && set(CURLOPT_WRITEDATA, &transfer);
  ok = ok && set(CURLOPT_HEADERFUNCTION, &on_header);
  ok = ok && set(CURLOPT_HEADERDATA, &transfer);

  const std::string& m = req.method;
  if (m == "GET" && req.body.empty()) {
    ok = ok && set(CURLOPT_HTTPGET, 1L);
  } else if (m == "HEAD" && req.body.empty()) {
    ok = ok && set(CURLOPT_NOBODY, 1L);
  } else {
    if (m == "POST" || !req.body.empty()) {
      // Explicit size: binary safe, and curl does not copy or strlen the data.
      ok = ok && set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      ok = ok && set(CURLOPT_POSTFIELDS, req.body.data());
    }
    if (m != "POST") ok = ok && set(CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  if (!ok) return failure("unsupported request option");

  CURLcode rc = curl_easy_perform(h);
  // Drop pointers to this call's locals before the handle goes back to the pool.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);

  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) return failure(kTooLarge);
  if (rc != CURLE_OK) {
    HttpResponse f = failure(curl_easy_strerror(rc));
    // Not idempotent calls (SMS, WeChat messages) may be retried only when nothing left us.
    long request_bytes = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes);
    f.request_sent = request_bytes > 0 || rc == CURLE_OPERATION_TIMEDOUT;
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) f.request_sent = false;
    return f;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status <= 0) return failure("no HTTP response");
  response.status = static_cast<int>(status);
  return response;
}

HttpClient::HttpClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) {
  return impl_->send(request);
}

}  // namespace coldtrack::net
