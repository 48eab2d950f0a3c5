// application/x-www-form-urlencoded, as Kdniao and Kuaidi100 sign and send it. Hand-written
// rather than Boost.URL: the encoded bytes are what gets signed, so which characters are escaped
// must be explicit (WHATWG serializer, as Java's URLEncoder and PHP's urlencode produce: only
// ALPHA / DIGIT / "*-._" literal, space as '+', everything else %XX uppercase), and decoding
// must refuse malformed escapes and repeated names (which value was signed?).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coldtrack::carriers::form {

std::string encode(std::string_view value);
// name=value pairs joined by '&', each side encoded once.
std::string encode(const std::vector<std::pair<std::string, std::string>>& fields);
// One value: '+' -> space, %XX -> byte; nullopt on a malformed escape.
std::optional<std::string> decode(std::string_view value);
// A whole body, decoded exactly once; nullopt on a malformed escape, a repeated name or (unless
// allowed) an empty name. Empty pieces ("a=1&&b=2") are skipped.
std::optional<std::map<std::string, std::string>> parse(std::string_view body,
                                                        bool allow_empty_names = false);

}  // namespace coldtrack::carriers::form
