#include "security/signing.h"

#include <algorithm>
#include <vector>

#include "security/crypto.h"

namespace coldtrack::security {
namespace {

struct QueryPair {
  std::string_view raw;    // the pair exactly as sent, e.g. "a=1" or "flag"
  std::string_view name;   // bytes before the first '='
  std::string_view value;  // bytes after the first '=' (empty when there is none)
};

}  // namespace

std::string canonical_query(std::string_view raw_query) {
  std::vector<QueryPair> pairs;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view raw = raw_query.substr(start, end - start);
    if (!raw.empty()) {
      const std::size_t eq = raw.find('=');
      if (eq == std::string_view::npos) {
        pairs.push_back({raw, raw, {}});
      } else {
        pairs.push_back({raw, raw.substr(0, eq), raw.substr(eq + 1)});
      }
    }
    start = end + 1;
  }
  // Compare name then value, not the whole pair: otherwise '=' (0x3D) would order "a=1" after
  // "a-b=0". std::string_view compares via char_traits<char>, i.e. as unsigned bytes. The raw
  // pair is the final tie-break so "x" and "x=" have a deterministic order.
  std::sort(pairs.begin(), pairs.end(), [](const QueryPair& a, const QueryPair& b) {
    if (a.name != b.name) return a.name < b.name;
    if (a.value != b.value) return a.value < b.value;
    return a.raw < b.raw;
  });

  std::string out;
  out.reserve(raw_query.size());
  for (const QueryPair& p : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(p.raw);
  }
  return out;
}

std::string string_to_sign(std::string_view method, std::string_view path,
                           std::string_view raw_query, std::string_view timestamp,
                           std::string_view nonce, std::string_view body) {
  // Fields are used verbatim (no case folding or decoding): the verifier must rebuild the exact
  // bytes the client signed, and any normalisation here would have to be mirrored by clients.
  std::string out;
  out.reserve(method.size() + path.size() + raw_query.size() + timestamp.size() + nonce.size() +
              70);
  out.append(method).push_back('\n');
  out.append(path).push_back('\n');
  out.append(canonical_query(raw_query)).push_back('\n');
  out.append(timestamp).push_back('\n');
  out.append(nonce).push_back('\n');
  // Hashing the body keeps the signed string small and its layout unambiguous for any body.
  // Most signed requests are GETs: the empty body's hash is a constant.
  static const std::string kEmptyBodyHash = sha256_hex("");
  if (body.empty()) {
    out.append(kEmptyBodyHash);
  } else {
    out.append(sha256_hex(body));
  }
  return out;
}

std::string sign_request(std::string_view secret, std::string_view method, std::string_view path,
                         std::string_view raw_query, std::string_view timestamp,
                         std::string_view nonce, std::string_view body) {
  return hmac_sha256_hex(secret, string_to_sign(method, path, raw_query, timestamp, nonce, body));
}

}  // namespace coldtrack::security
