// Request signing for integrations (see README "Request signing"):
//   hex(HMAC-SHA256(secret, METHOD\nPATH\nCANONICAL_QUERY\nTIMESTAMP\nNONCE\nhex(SHA256(body)))).
#pragma once

#include <string>
#include <string_view>

namespace coldtrack::security {

// Sorts the raw query's `name=value` pairs by name then value (bytewise, as sent on the wire,
// no decoding) and joins them with '&'. A pair without '=' is kept as is. Empty pairs (from
// "a=1&&b=2") are dropped. "" -> "".
std::string canonical_query(std::string_view raw_query);

// The string that is signed. `path` is the raw path without query; `raw_query` is the raw
// query string without '?' (canonicalized inside).
std::string string_to_sign(std::string_view method, std::string_view path,
                           std::string_view raw_query, std::string_view timestamp,
                           std::string_view nonce, std::string_view body);

// Lowercase hex signature.
std::string sign_request(std::string_view secret, std::string_view method, std::string_view path,
                         std::string_view raw_query, std::string_view timestamp,
                         std::string_view nonce, std::string_view body);

}  // namespace coldtrack::security
